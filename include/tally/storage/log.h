// Log: Tally's own write-ahead log. Every group of records the commit log hands it becomes one
// checksummed frame (src/storage/log_format.h) appended to the current segment file under
// `dir`; a write with `sync` returns once an fdatasync has made it durable. RocksDB is the store
// the log is applied to (with RocksDB's own WAL off), so a record must stay in the log until
// RocksDB has flushed it: Purge() deletes the segments that are wholly below that point.
//
// Segments are named after the first LSN they hold (00000000000000000001.tlog). A segment is
// sealed (trimmed to its last frame, synced, closed) before the next one is created, and the
// directory is synced after each creation, so after any crash only the newest segment can end
// in a torn frame. Each segment is allocated at segment_bytes when created (fallocate), so an
// append does not change the file's size and fdatasync writes no inode: the newest segment
// ends in zeros after a crash.
//
// Recovery (Open): every segment is read and checked. A torn tail of the newest segment (a
// frame cut short, zeros, or a bad checksum with nothing valid after it: the last write of a
// crash, never acknowledged) is cut off. Any other damage — a bad frame followed by a valid
// one, a damaged older segment, a gap in the LSNs — makes Open fail with Corruption naming the
// file and offset, rather than skip records that were acknowledged.
//
// All file I/O goes through rocksdb::FileSystem (the Env's), so the power-loss tests' FaultFS
// sees the log exactly as it sees RocksDB's files.
//
// Thread-safety: Write() from one thread at a time (the commit thread); Sync() may run
// concurrently with Write() (the everysec syncer); Purge(), ReadFrom() and the accessors from
// any thread. Fail-stop: after a failed write or sync every later Write()/Sync() fails.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tally/storage/record_writer.h"
#include "tally/storage/types.h"
#include "tally/util/function_ref.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace rocksdb {
class Env;
class FileSystem;
class FSWritableFile;
}  // namespace rocksdb

namespace tally {

struct LogOptions {
  std::string dir;                  // created if missing
  rocksdb::Env* env = nullptr;      // Default: the OS (tests inject faults here)
  size_t segment_bytes = 16 << 20;  // Default: 16 MiB; a segment past this size is sealed
  // log-retention-bytes: sealed segments kept even once RocksDB has flushed them (for readers
  // of ReadFrom). Default: 0.
  size_t retention_bytes = 0;
};

struct LogStats {
  size_t segments = 0;
  uint64_t bytes = 0;  // in all retained segments
  uint64_t purged_segments = 0;
};

class Log : public RecordWriter {
 public:
  using GroupFn = FunctionRef<Status(std::vector<Record>& group)>;
  // Opens the log in options.dir, recovering as described above, calls `replay` with every
  // group (or the part of it) above `applied` in LSN order, and starts a new segment for the
  // records to come. REQUIRES: nothing else uses the directory.
  static StatusOr<std::unique_ptr<Log>> Open(const LogOptions& options, Lsn applied,
                                             GroupFn replay);
  ~Log() override;

  // One frame for `records` (consecutive LSNs); with `sync`, also fdatasync.
  Status Write(std::span<const Record> records, bool sync) override;
  Status Sync() override;

  // Deletes sealed segments whose every record has LSN <= `flushed` (RocksDB has them on
  // disk), newest kept first while they fit in retention_bytes.
  Status Purge(Lsn flushed);
  // Calls fn with every retained group from the one holding `from` on, in LSN order; records
  // below `from` are left out. Reads the files, so it sees what Write() has handed the OS.
  Status ReadFrom(Lsn from, GroupFn fn) const;

  // The highest LSN in the log (recovered or written since); 0 if none.
  Lsn last_lsn() const { return last_lsn_.load(std::memory_order_acquire); }
  // Bytes in sealed segments (what a flush of RocksDB would let Purge() free).
  uint64_t sealed_bytes() const;
  LogStats stats() const;
  // Syncs and closes the current segment; deletes it too if it is the only one left and every
  // record in it is at or below `flushed` (RocksDB has it on disk). Idempotent.
  Status Close(Lsn flushed = 0);

 private:
  struct Segment {
    Lsn first = 0;  // from the name
    Lsn last = 0;   // last LSN in it (0 while empty)
    uint64_t bytes = 0;
    std::string path;
  };
  explicit Log(const LogOptions& options);
  Status Recover(Lsn applied, GroupFn replay);
  // Seals the current segment (if any) and starts one for records from `first`.
  Status Roll(Lsn first) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Status SyncDir();

  const LogOptions options_;
  std::shared_ptr<rocksdb::FileSystem> fs_;
  std::atomic<Lsn> last_lsn_{0};
  std::string buffer_;  // the frame being written (commit thread)
  mutable Mutex mu_;
  std::vector<Segment> segments_ GUARDED_BY(mu_);  // oldest first; back() is current
  std::shared_ptr<rocksdb::FSWritableFile> current_ GUARDED_BY(mu_);
  Status failed_ GUARDED_BY(mu_);
  uint64_t purged_ GUARDED_BY(mu_) = 0;
};

}  // namespace tally
