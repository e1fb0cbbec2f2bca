// FaultFS: a rocksdb::FileSystem for power-loss and I/O-fault tests, in the manner of RocksDB's
// FaultInjectionTestFS and SQLite's test6.c. It passes everything to the real file system and
// remembers, per file written through it, how many bytes were appended and how many were
// synced, and whether the directory entry was synced. PowerCut() then does to the files what
// losing power would: per file, drop the unsynced bytes, keep a random prefix of them, or tear
// the last sector; files whose directory was never synced may vanish. A file preallocated with
// fallocate() reads zeros past what was kept, up to its allocated size.
//
// Faults: SetDead() makes every write and sync fail (the power is off: nothing more reaches the
// disk, and no acknowledgement can leave); InjectErrors() fails 1 in N writes or syncs with EIO
// or ENOSPC. Thread-safe.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <string>

namespace tally::test {

class FaultFS : public rocksdb::FileSystemWrapper {
 public:
  enum class Loss { kDropUnsynced, kRandomPrefix, kTornSector };

  explicit FaultFS(const std::shared_ptr<rocksdb::FileSystem>& base) : FileSystemWrapper(base) {}
  const char* Name() const override { return "TallyFaultFS"; }

  void SetDead(bool dead) { dead_ = dead; }
  // The sync that makes syncs() reach `n` finds the power off (it fails, and so does all after).
  void DieAtSync(uint64_t n) { die_at_sync_ = n; }
  // Fails one in `one_in` writes and syncs (0: never), with ENOSPC instead of EIO if `nospace`.
  void InjectErrors(uint32_t one_in, bool nospace, uint64_t seed);
  uint64_t syncs() const { return syncs_; }
  uint64_t injected() const { return injected_; }

  // Applies the power cut to the files on disk. Call after the database is closed.
  void PowerCut(Loss mode, std::mt19937_64& rng, bool lose_unsynced_dir_entries);

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus RenameFile(const std::string& s, const std::string& t,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* d) override;

  // For the file and directory wrappers.
  rocksdb::IOStatus MaybeFail(bool is_sync);
  void Appended(const std::string& name, uint64_t end);
  void Synced(const std::string& name);
  void Allocated(const std::string& name, uint64_t end);
  void Truncated(const std::string& name, uint64_t size);
  void DirSynced(const std::string& dir);

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool dir_synced = false;
    uint64_t allocated = 0;  // fallocate()d up to here (the file's size without KEEP_SIZE)
  };
  std::atomic<bool> dead_{false};
  std::atomic<uint64_t> die_at_sync_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> injected_{0};
  std::mutex mu_;
  std::map<std::string, FileState> files_;  // GUARDED_BY(mu_)
  uint32_t one_in_ = 0;                     // GUARDED_BY(mu_)
  bool nospace_ = false;                    // GUARDED_BY(mu_)
  std::mt19937_64 rng_;                     // GUARDED_BY(mu_)
};

}  // namespace tally::test
