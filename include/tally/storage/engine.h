// Engine: the storage stack, opened and closed as one. Tally's log (Log) is the write-ahead
// log; the commit log (CommitLog) groups records into it, one write + one fsync per group;
// the applier (Applier) brings written groups into RocksDB (Store, its own WAL off) off the
// reply path; the keyspace (Keyspace) is what commands call.
//
// Recovery (Open): RocksDB opens with what its files hold, including the LSN it has applied
// up to (stored atomically with the data); the log is checked (a torn tail dropped, damage in
// the middle refused) and every record above that LSN is queued for the applier again (records
// are post-images, so re-applying is harmless), its keys put in the table as dirty entries
// (Keyspace::Replay), so the first reply does not wait for RocksDB's memtable inserts; then the
// threads start. Records of what is loaded from RocksDB at start (alert rules, FUNCTION
// libraries) are applied before Open returns.
//
// Close(): everything queued is written and synced to the log, applied, RocksDB flushed and
// the log purged, so the next Open replays nothing.
//
// Thread-safety: Open/Close from one thread; the parts are thread-safe as documented.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "tally/storage/applier.h"
#include "tally/storage/commit_log.h"
#include "tally/storage/keyspace.h"
#include "tally/storage/log.h"
#include "tally/storage/store.h"
#include "tally/util/config.h"
#include "tally/util/status.h"

namespace tally {

struct EngineOptions {
  StoreOptions store;  // the RocksDB directory etc.; the engine turns RocksDB's WAL off
  LogOptions log;      // the log's directory etc.; log.env defaults to store.env
  ApplierOptions apply;
  KeyspaceOptions keyspace;
  FsyncPolicy policy = FsyncPolicy::kAlways;  // Default: always
  // Tests: the applier sleeps this long before each batch from the start, replayed ones too.
  std::chrono::milliseconds apply_delay_for_testing{0};
};

// The options tallyd's configuration gives: RocksDB in <dir>/db, the log in <dir>/log, ...
EngineOptions EngineOptionsFromConfig(const Config& config);
// The history options (history-keys, -resolution, -retention, -keep-on-delete).
HistorySettings HistorySettingsFromConfig(const Config& config);

class Engine {
 public:
  static StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  ~Engine();  // Close()s
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Keyspace* keyspace() const { return keyspace_.get(); }
  CommitLog* commit_log() const { return commit_log_.get(); }
  Store* store() const { return store_.get(); }
  Log* log() const { return log_.get(); }
  Applier* applier() const { return applier_.get(); }

  // What recovery found: the LSN RocksDB had applied, and how many log records it replayed
  // (queued for the applier and put in the table).
  Lsn store_lsn() const { return store_lsn_; }
  uint64_t replayed_records() const { return replayed_; }

  // Stops and closes everything (see above). Returns the first failure. Idempotent. Without
  // `checkpoint` (tests), RocksDB's memtables are dropped and the log kept, as after SIGKILL.
  Status Close(bool checkpoint = true);

 private:
  Engine() = default;
  // Opens the store and the log; the log's records above the store's LSN go to `replay`.
  Status Recover(const EngineOptions& options, std::vector<std::vector<Record>>* replay);

  std::unique_ptr<Store> store_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<Applier> applier_;
  std::unique_ptr<CommitLog> commit_log_;
  std::unique_ptr<Keyspace> keyspace_;
  Lsn store_lsn_ = 0;
  uint64_t replayed_ = 0;
  bool closed_ = false;
};

}  // namespace tally
