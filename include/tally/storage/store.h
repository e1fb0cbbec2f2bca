// Store: Tally's data in RocksDB. The only file that talks to RocksDB.
//
// Layout: the default column family holds data ([db: 1 byte][user key] -> encoded value); the
// "meta" column family holds per-database key counts and the last LSN, updated in the same
// WriteBatch as the data they describe, so they are exact after any crash. The "expiry" column
// family indexes volatile keys by time ([db][expire-at ms, 8 bytes big-endian][user key]); an
// entry is added with every write of a value that has an expiry and removed by active expiry, so
// it may hold stale entries (a key re-set since), which active expiry checks and drops.
//
// Recovery is RocksDB's WAL recovery with kPointInTimeRecovery: a torn tail is dropped, and
// damage in the middle of the log stops Open() with an error rather than skipping records.
//
// Thread-safety: Get() and counts() may be called from any thread; Write()/Sync() from one
// thread at a time (the applier, or the commit thread when RocksDB's WAL is the log).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tally/storage/record_writer.h"
#include "tally/storage/types.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class WriteBatch;
}  // namespace rocksdb

namespace tally {

struct StoreOptions {
  std::string path;                      // the RocksDB directory; created if missing
  int databases = 16;                    // Default: 16
  size_t block_cache_bytes = 64 << 20;   // Default: 64 MiB
  size_t write_buffer_bytes = 64 << 20;  // Default: 64 MiB
  rocksdb::Env* env = nullptr;           // Default: the OS (tests inject faults here)
  // RocksDB's own WAL off: writes reach only the memtables, and only a Flush() (or RocksDB's
  // own flushes, atomic across the column families) puts them on disk. For a store that Tally's
  // log is applied to (Engine): the log is the write-ahead log then. Default: false.
  bool disable_wal = false;
  // Values whose expiry is at or before this time (ms) may be dropped by compaction. Active
  // expiry raises it (Keyspace::ActiveExpireCycle). Default: none (nothing is dropped).
  std::shared_ptr<std::atomic<int64_t>> expired_before;
};

class Store : public RecordWriter {
 public:
  // Opens (and recovers) the database.
  static StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store() override;

  // The encoded value stored for (db, key), or nullopt.
  StatusOr<std::optional<std::string>> Get(DbIndex db, std::string_view key) const;

  Status Write(std::span<const Record> records, bool sync) override;
  Status Sync() override;
  // Flushes every column family's memtable to files, atomically across them, and waits: what
  // was written is then on disk even with the WAL off.
  Status Flush();
  // Makes a RocksDB checkpoint in `dir` (which must not exist): the memtables are flushed
  // (atomically across column families, so the applied LSN and key counts match the data),
  // then the files are hard-linked (copied across file systems). Writes go on meanwhile.
  Status CreateCheckpoint(const std::string& dir);
  // Compacts all data (the compaction filter runs). For tests and maintenance.
  Status CompactAll();
  // Flushes and syncs the WAL, flushes the memtables (unless told not to: with the WAL off,
  // what is only in them is then dropped, as after a crash), then closes. Idempotent.
  Status Close(bool flush = true);

  // Memory RocksDB holds: all memtables, and the block cache's contents.
  struct MemoryUsage {
    uint64_t memtables = 0;
    uint64_t block_cache = 0;
  };
  MemoryUsage memory() const;

  // The last LSN the store recovered.
  Lsn recovered_lsn() const { return recovered_lsn_; }
  // Each database's key counts as of the last Write() (as recovered before the first). Any
  // thread.
  std::vector<KeyCounts> counts() const;
  // One database's counts (system databases included).
  KeyCounts count(DbIndex db) const;

  // Calls fn(expire_at_ms, key) for the expiry-index entries of `db` due at or before `now_ms`,
  // soonest first, until it returns false.
  Status ForEachDue(DbIndex db, int64_t now_ms,
                    const std::function<bool(int64_t, std::string_view)>& fn) const;
  // Calls fn(expire_at_ms) for up to `limit` index entries of `db` after `now_ms`.
  Status ForEachUpcoming(DbIndex db, int64_t now_ms, size_t limit,
                         const std::function<void(int64_t)>& fn) const;

  // Calls fn(key, encoded value) for every key of `db` after `after` (from the first if empty),
  // in key order, until it returns false.
  Status ForEach(DbIndex db, std::string_view after,
                 const std::function<bool(std::string_view, std::string_view)>& fn) const;

 private:
  Store() = default;
  bool disable_wal_ = false;
  // Adds what one record does to `batch` (counts and the LSN are written by Write()).
  void AddToBatch(const Record& r, rocksdb::WriteBatch* batch) const;
  // What each record does to the key counts. A blind record's deltas are found from the key's
  // state before it: the last earlier record for the key in `records` (absent after a flush of
  // its database), else what RocksDB holds (one MultiGet for all such keys).
  Status ResolveDeltas(std::span<const Record> records, std::vector<CountDelta>* out) const;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* data_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* expiry_cf_ = nullptr;
  Lsn recovered_lsn_ = 0;
  // Write() and Sync() never overlap: after a failed WAL write RocksDB must not be asked to
  // sync (it would retry a failed fsync; Debian's build even asserts), and a failed write or
  // sync is remembered so that neither is tried again.
  Mutex write_mu_;
  Status failed_ GUARDED_BY(write_mu_);
  mutable Mutex counts_mu_;
  std::vector<KeyCounts> counts_ GUARDED_BY(counts_mu_);  // persisted with each batch
};

// Adds what `r` does to per-database key counts, given its resolved deltas: a flush empties its
// databases first.
void AddToCounts(const Record& r, CountDelta delta, std::vector<KeyCounts>* counts);

// The RocksDB key of (db, key).
std::string DataKey(DbIndex db, std::string_view key);

}  // namespace tally
