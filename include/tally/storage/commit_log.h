// CommitLog: the group-commit write path. Keyspace operations Append() post-image records; the
// commit thread takes every record queued since its last write and hands them to the
// RecordWriter as one batch; under appendfsync always that write syncs, so many clients share
// one fsync (group commit). A second thread, the syncer, syncs once a second under everysec, and
// whatever was written at shutdown.
//
// Thread-safe. Records are written in LSN order; an LSN is assigned under the log's lock, so the
// caller that holds a key's shard lock while appending keeps per-key order.
//
// Fail-stop: once a write or sync fails, the log is failed for good. Nothing at or after the
// failed group is ever reported durable, waiters get the error, and healthy() turns false so
// that the keyspace refuses new writes. A failed fsync is never retried (it may have dropped
// the data).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tally/storage/applier.h"
#include "tally/storage/record_writer.h"
#include "tally/storage/types.h"
#include "tally/util/config.h"
#include "tally/util/histogram.h"
#include "tally/util/latency_monitor.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct CommitLogStats {
  Lsn last_lsn = 0;     // highest LSN handed out
  Lsn written_lsn = 0;  // highest LSN written to the log (in the OS at least)
  Lsn durable_lsn = 0;  // highest LSN known to be on disk
  uint64_t groups = 0;  // batches written
  uint64_t records = 0;
  uint64_t fsyncs = 0;
  uint64_t write_errors = 0;
  uint64_t fsync_p99_usec = 0;  // over the last 1024 syncs
};

class CommitLog {
 public:
  // `writer` must outlive the log. LSNs continue after `last_lsn` (what the store recovered).
  CommitLog(RecordWriter* writer, FsyncPolicy policy, Lsn last_lsn);
  ~CommitLog();  // Stop()s if still running
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;

  // With an applier (Engine: the writer is Tally's log), every written group is handed to it,
  // and Append() waits for room in it first (back-pressure). Without one the writer is the
  // store itself, and applied means written. REQUIRES: before Start(); `applier` outlives the
  // log.
  void set_applier(Applier* applier) { applier_ = applier; }
  // Where "fsync" and "commit" latencies go (LATENCY LATEST); any time, nullptr for none.
  void set_latency_monitor(LatencyMonitor* m) { latency_.store(m, std::memory_order_release); }
  // The applier, or nullptr.
  const Applier* applier() const { return applier_; }

  // Starts the commit thread.
  void Start();
  // Writes everything queued, syncs the log and stops the thread. Returns the first failure.
  Status Stop();

  // Queues records (one atomic group: they land in the same batch) and returns the LSN of the
  // last one. Records get consecutive LSNs, assigned here.
  Lsn Append(std::vector<Record> records);
  Lsn Append(Record record);

  // Appends made on the calling thread from now on do not wake the commit thread. Whoever then
  // waits for them (WhenAcked, WaitApplied) wakes it, and records nobody waits for are picked up
  // within 10 ms (the idle commit thread's poll; after a second idle it stops polling, and the
  // next append wakes it). For io threads, which run a whole pipeline of
  // commands, or many connections' commands, before their replies wait: one wake-up covers them
  // all, so groups are larger and the commit thread is woken less often.
  static void DeferWakeupsOnThisThread();

  // False once the log has failed; then every write must be refused.
  bool healthy() const { return !failed_.load(std::memory_order_acquire); }
  Status failure() const;

  // The LSN a reply may reveal under the current policy: durable_lsn under always, written_lsn
  // under everysec and no (replies never wait for fsync there, but do wait for the write).
  Lsn ack_lsn() const;
  // Who gets records nobody has written yet on their way when a caller starts to wait.
  enum class AckWake {
    kCommitThread,  // wake the commit thread now
    kCallerLeads,   // the caller calls Lead() once it has queued all it will for now
  };
  // Calls `done` once ack_lsn() >= lsn (OK) or when the log fails (the error). `done` runs on
  // the thread that wrote (or synced) the record, or inline if the condition already holds; it
  // must not block.
  void WhenAcked(Lsn lsn, std::function<void(Status)> done, AckWake wake = AckWake::kCommitThread);
  // For an io thread at the end of a pass, after WhenAcked(..., kCallerLeads): it writes
  // everything queued itself, as one group (one write(2), and under always one fdatasync, in
  // LSN order with the commit thread's groups), and notifies the waiters, so a reply costs no
  // hand-off to the commit thread and back (Redis writes and syncs its AOF in beforeSleep the
  // same way). Under always, if another thread is writing a group at that moment, it wakes the
  // commit thread instead of waiting behind that fsync.
  void Lead();

  // Highest LSN whose record the writer has (the OS has it: a process crash loses nothing).
  Lsn written_lsn() const { return written_lsn_.load(std::memory_order_acquire); }
  // Highest LSN whose record RocksDB has (what a read that misses the table finds there).
  Lsn applied_lsn() const { return applier_ ? applier_->applied_lsn() : written_lsn(); }
  // Highest LSN known to be on stable storage.
  Lsn durable_lsn() const { return durable_lsn_.load(std::memory_order_acquire); }
  // Highest LSN handed out so far.
  Lsn last_lsn() const;
  // Blocks until applied_lsn() >= lsn or the log has failed. For rare whole-keyspace reads
  // (KEYS, SCAN) that read RocksDB directly; must not be called by the commit thread.
  Status WaitApplied(Lsn lsn);
  // Fails the log for good (as a failed write does): for failures found elsewhere, such as
  // applying to RocksDB.
  void Fail(const Status& st);

  void set_policy(FsyncPolicy p) { policy_.store(p, std::memory_order_relaxed); }
  FsyncPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
  CommitLogStats stats() const;
  // Records per group written, and fsync latency in seconds (for /metrics).
  const Histogram& group_sizes() const { return group_sizes_; }
  const Histogram& fsync_seconds() const { return fsync_seconds_; }

  // Test hook: the commit thread sleeps this long before each write (0 = none).
  void set_commit_delay_for_testing(std::chrono::milliseconds d) { commit_delay_ms_ = d.count(); }
  // Test hook: how often the idle commit thread looks for deferred appends (default 10 ms).
  void set_idle_poll_for_testing(std::chrono::milliseconds d) { idle_poll_ms_ = d.count(); }
  // Test hook: whether the commit thread waits for records, with none queued.
  bool idle_for_testing() const;
  // Test hook: whether the commit thread has stopped polling and sleeps until an append.
  bool asleep_for_testing() const;

 private:
  struct Waiter {
    Lsn lsn;
    std::function<void(Status)> done;
  };
  void Run();
  // Takes everything queued and writes it as one group (WriteGroup). Writers take write_mu_
  // before mu_, so groups reach the writer and the applier in LSN order.
  void WriteQueued() LOCKS_EXCLUDED(write_mu_);
  void WriteQueuedLocked() EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes `batch` (syncing under always), publishes written_lsn, hands it to the applier and
  // notifies waiters; fails the log if the write fails.
  void WriteGroup(std::vector<Record>& batch) EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void RunSyncer();
  // Whether the syncer should sync (or, once the writer is done, finish) now.
  bool SyncDue() const EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  void SyncNow();
  // An fsync that began at `start` made everything up to `lsn` durable: counts it, records its
  // latency, publishes durable_lsn.
  void SyncedUpTo(Lsn lsn, std::chrono::steady_clock::time_point start);
  void RecordSyncLatency(std::chrono::steady_clock::duration d);
  void RecordLatency(const char* event, std::chrono::steady_clock::duration d);
  void NotifyWaiters();
  // Wakes the idle commit thread for records appended with deferred wake-ups.
  void WakeForQueued() EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RecordWriter* const writer_;
  Applier* applier_ = nullptr;
  std::atomic<LatencyMonitor*> latency_{nullptr};
  std::atomic<FsyncPolicy> policy_;
  std::atomic<Lsn> written_lsn_;
  std::atomic<Lsn> durable_lsn_;
  std::atomic<bool> failed_{false};
  std::atomic<int64_t> commit_delay_ms_{0};
  std::atomic<int64_t> idle_poll_ms_{10};
  std::atomic<uint64_t> groups_{0}, records_{0}, fsyncs_{0}, write_errors_{0};
  Histogram group_sizes_{Histogram::SizeBounds()};
  Histogram fsync_seconds_{Histogram::LatencyBounds()};

  Mutex write_mu_;  // held by whoever writes a group; taken before mu_
  mutable Mutex mu_;
  CondVar cv_{&mu_};
  CondVar written_cv_{&mu_};
  Lsn next_lsn_ GUARDED_BY(mu_);
  std::vector<Record> queue_ GUARDED_BY(mu_);
  std::vector<Waiter> waiters_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  bool idle_ GUARDED_BY(mu_) = false;    // the commit thread waits for records
  bool asleep_ GUARDED_BY(mu_) = false;  // ... and no longer polls: every append wakes it
  Status failure_ GUARDED_BY(mu_);
  std::vector<uint32_t> fsync_usec_ GUARDED_BY(mu_);  // ring of recent sync latencies
  size_t fsync_pos_ GUARDED_BY(mu_) = 0;
  // The syncer's state.
  Mutex sync_mu_;
  CondVar sync_cv_{&sync_mu_};
  bool writer_done_ GUARDED_BY(sync_mu_) = false;
  std::chrono::steady_clock::time_point last_sync_;  // syncer only
  std::thread thread_;
  std::thread syncer_;
};

}  // namespace tally
