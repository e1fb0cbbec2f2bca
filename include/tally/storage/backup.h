// Backups: consistent snapshots of the data (SAVE, BGSAVE) and restoring one into an empty data
// directory (tallyd --restore).
//
// A backup is a new directory under the backup root, "backup-<UTC time>-lsn<N>", holding
//   db/           a RocksDB checkpoint: hard links to the immutable SST files (copies across
//                 file systems), taken after an atomic flush of every column family, so the
//                 applied LSN and key counts stored with the data match it exactly;
//   TALLY_BACKUP  what it is: the LSN it holds at least, when it was taken, by which version.
// Taking one waits until everything acknowledged so far (CommitLog::ack_lsn) is applied to
// RocksDB, so the backup holds every write acknowledged before it started, and since RocksDB
// applies the log in LSN order it holds a prefix of the log: a state that existed. Clients are
// not paused: writes go on while the checkpoint is made, and the log is not needed to restore.
//
// Thread-safe; one backup at a time.
#pragma once

#include <cstdint>
#include <string>
#include <thread>

#include "tally/storage/commit_log.h"
#include "tally/storage/store.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct BackupInfo {
  std::string path;  // the backup's directory
  Lsn lsn = 0;       // it holds every write up to this LSN (and possibly a few after)
  int64_t time_ms = 0;
};

// What INFO persistence and LASTSAVE report.
struct BackupState {
  bool in_progress = false;
  int64_t current_start_ms = 0;   // of the running backup
  int64_t last_save_ms = 0;       // start of the last successful one (the server's start at first)
  Lsn last_save_lsn = 0;          // the LSN it holds (the LSN recovered at start at first)
  int64_t last_duration_ms = -1;  // -1: none taken yet
  uint64_t saves = 0;             // successful backups since start
  std::string last_path;
  std::string last_error;  // empty: the last backup succeeded (or none was taken)
};

class Backups {
 public:
  // `store` and `log` (the commit log in front of it) must outlive this.
  Backups(Store* store, CommitLog* log, int64_t start_ms, Lsn start_lsn);
  ~Backups();  // waits for a running background backup
  Backups(const Backups&) = delete;
  Backups& operator=(const Backups&) = delete;

  // Takes a backup now (SAVE) into a new directory under `root` (created if missing). kBusy if
  // one is already running.
  StatusOr<BackupInfo> Save(const std::string& root);
  // Starts one on its own thread (BGSAVE). kBusy if one is already running.
  Status StartBackground(const std::string& root);
  BackupState state() const;
  // Waits for a running background backup to finish.
  void Wait();

 private:
  bool Begin();  // false if one is running
  void Finish(StatusOr<BackupInfo> result, int64_t start_ms);
  StatusOr<BackupInfo> Take(const std::string& root, int64_t start_ms);

  Store* const store_;
  CommitLog* const log_;
  mutable Mutex mu_;
  BackupState state_ GUARDED_BY(mu_);
  std::thread thread_ GUARDED_BY(mu_);
};

// Fills the data directory `dir` (which must not exist or be empty) from the backup at
// `backup`, opens the restored store to check it and returns the LSN it holds. `databases` is
// the server's option of that name.
StatusOr<Lsn> RestoreBackup(const std::string& backup, const std::string& dir, int databases);

}  // namespace tally
