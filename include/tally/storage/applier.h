// Applier: brings the groups the write-ahead log has written into RocksDB, off the reply path.
// The commit thread hands it each group once the log has it (Enqueue); the applier thread takes
// every group queued since its last pass and writes them as one RocksDB batch with RocksDB's WAL
// off (Store::Write: sorted, one post-image per key, the applied LSN and key counts in the same
// batch). Since RocksDB's WAL is off, what is only in its memtables dies with the process: the
// log keeps every record until a checkpoint (a flush of all column families, atomic across
// them) has put it in RocksDB's files, then Log::Purge deletes the segments below it.
//
// Back-pressure: writers call Reserve() before appending to the commit log; it blocks while
// more than max_pending_bytes of records are on their way (in the commit log's queue, being
// written, or waiting to be applied), so memory stays bounded when applying falls behind (never
// an unbounded queue).
//
// Thread-safe. A failed RocksDB write is fail-stop: on_failure is called once (the commit log
// then refuses writes), and Reserve() no longer blocks.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <span>
#include <thread>
#include <vector>

#include "tally/storage/log.h"
#include "tally/storage/store.h"
#include "tally/storage/types.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct ApplierOptions {
  // Records waiting to be applied, in bytes, past which writers wait. Default: 64 MiB.
  size_t max_pending_bytes = 64 << 20;
  // Sealed log segments, in bytes, past which RocksDB is flushed and the log purged.
  // Default: 64 MiB.
  uint64_t checkpoint_bytes = 64 << 20;
  // After a batch the applier lets groups gather this long before the next one, unless
  // someone waits for it (WaitApplied, a writer out of room, Stop). Each RocksDB write and
  // each wake-up of the applier has a fixed cost, which one-command-per-client loads paid per
  // group of a few records; and a larger sorted batch inserts into RocksDB's memtable more
  // cheaply (consecutive keys lie closer in its skip list) and coalesces more rewrites of one
  // key. 0: apply as soon as a group is queued. Default: 100 ms (10 ms until 2026-12-02:
  // INCR -P 16 everysec 4.5-4.9 against 4.9-6.6 us/req, bench/README.md).
  std::chrono::milliseconds gather{100};
};

struct ApplierStats {
  Lsn applied_lsn = 0;
  uint64_t batches = 0;
  uint64_t records = 0;
  uint64_t checkpoints = 0;
  uint64_t pending_bytes = 0;
  uint64_t writer_waits = 0;  // times a writer waited for room
  LogStats log;               // the write-ahead log's segments
};

class Applier {
 public:
  // `store` (opened with disable_wal) and `log` must outlive the applier; `applied` is the LSN
  // RocksDB holds (after recovery's replay).
  Applier(Store* store, Log* log, ApplierOptions options, Lsn applied);
  ~Applier();  // Stop()s if still running
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  void Start();
  // Applies everything queued, checkpoints (flush + purge) unless told not to, and stops the
  // thread.
  Status Stop(bool checkpoint = true);

  // Writers reserve room for records before appending them to the commit log: blocks while
  // more than max_pending_bytes are reserved and not yet applied, then reserves Bytes(records).
  // Must not be called by the commit thread or the applier.
  void Reserve(size_t bytes);
  // Gives back the room of records that will never be applied (the log failed to write them).
  void Release(size_t bytes);
  // Queues a group the log has written (LSN order across calls), whose room was reserved.
  // Never blocks.
  void Enqueue(std::vector<Record>&& group);
  // What Reserve() counts for records.
  static size_t Bytes(std::span<const Record> records);

  // Highest LSN RocksDB has (in memtables at least): a table entry at or below it may be
  // evicted and reloaded from RocksDB.
  Lsn applied_lsn() const { return applied_lsn_.load(std::memory_order_acquire); }
  // Blocks until applied_lsn() >= lsn; the failure if applying failed, Shutdown if stopped.
  Status WaitApplied(Lsn lsn);
  // Flushes RocksDB and purges the log below what it now has on disk.
  Status Checkpoint();

  std::function<void(const Status&)> on_failure;  // set before Start()
  ApplierStats stats() const;
  // Test hook: the applier sleeps this long before each batch (0 = none).
  void set_apply_delay_for_testing(std::chrono::milliseconds d) { delay_ms_ = d.count(); }

 private:
  void Run();
  // Moves the oldest queued groups, about kMaxBatchRecords records or all, to `groups`;
  // returns whether some are left.
  bool TakeLocked(std::vector<std::vector<Record>>* groups) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits (mu_ held) until the gather window after the last batch has passed, or somebody
  // needs the applier now.
  void GatherLocked() EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* const store_;
  Log* const log_;
  const ApplierOptions options_;
  std::atomic<Lsn> applied_lsn_;
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<uint64_t> batches_{0}, records_{0}, checkpoints_{0}, writer_waits_{0};
  mutable Mutex mu_;
  CondVar work_cv_{&mu_};  // the applier waits for groups
  CondVar room_cv_{&mu_};  // writers wait for room; WaitApplied for progress
  std::vector<std::vector<Record>> queue_ GUARDED_BY(mu_);
  size_t pending_bytes_ GUARDED_BY(mu_) = 0;  // queued + being applied
  bool stopping_ GUARDED_BY(mu_) = false;
  int urgent_ GUARDED_BY(mu_) = 0;  // WaitApplied callers and writers waiting for room
  std::chrono::steady_clock::time_point last_batch_ GUARDED_BY(mu_);
  Status failure_ GUARDED_BY(mu_);
  Mutex checkpoint_mu_;  // one checkpoint at a time
  std::thread thread_;
};

}  // namespace tally
