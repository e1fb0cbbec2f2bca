#include "fault_fs.h"

#include <filesystem>
#include <fstream>

namespace tally::test {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

std::string Parent(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

class FaultFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(std::unique_ptr<rocksdb::FSWritableFile>&& f, FaultFS* fs, std::string name,
            uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), name_(std::move(name)), size_(size) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* d) override {
    IOStatus s = fs_->MaybeFail(false);
    if (s.ok()) s = target()->Append(data, o, d);
    if (s.ok()) fs_->Appended(name_, size_ += data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                  IODebugContext* d) override {
    IOStatus s = fs_->MaybeFail(false);
    if (s.ok()) s = target()->Append(data, o, v, d);
    if (s.ok()) fs_->Appended(name_, size_ += data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            IODebugContext* d) override {
    IOStatus s = fs_->MaybeFail(false);
    if (s.ok()) s = target()->PositionedAppend(data, offset, o, d);
    if (s.ok()) fs_->Appended(name_, size_ = std::max(size_, offset + data.size()));
    return s;
  }
  IOStatus Allocate(uint64_t offset, uint64_t len, const IOOptions& o, IODebugContext* d) override {
    IOStatus s = target()->Allocate(offset, len, o, d);
    if (s.ok()) fs_->Allocated(name_, offset + len);
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* d) override {
    IOStatus s = target()->Truncate(size, o, d);
    if (s.ok()) fs_->Truncated(name_, size_ = size);
    return s;
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* d) override {
    IOStatus s = fs_->MaybeFail(true);
    if (s.ok()) s = target()->Sync(o, d);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* d) override {
    IOStatus s = fs_->MaybeFail(true);
    if (s.ok()) s = target()->Fsync(o, d);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }

 private:
  FaultFS* fs_;
  std::string name_;
  uint64_t size_;
};

class FaultDir : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDir(std::unique_ptr<rocksdb::FSDirectory>&& d, FaultFS* fs, std::string name)
      : FSDirectoryWrapper(std::move(d)), fs_(fs), name_(std::move(name)) {}
  IOStatus Fsync(const IOOptions& o, IODebugContext* d) override {
    IOStatus s = fs_->MaybeFail(true);
    if (s.ok()) s = FSDirectoryWrapper::Fsync(o, d);
    if (s.ok()) fs_->DirSynced(name_);
    return s;
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* d,
                               const rocksdb::DirFsyncOptions& opts) override {
    IOStatus s = fs_->MaybeFail(true);
    if (s.ok()) s = FSDirectoryWrapper::FsyncWithDirOptions(o, d, opts);
    if (s.ok()) fs_->DirSynced(name_);
    return s;
  }

 private:
  FaultFS* fs_;
  std::string name_;
};

}  // namespace

void FaultFS::InjectErrors(uint32_t one_in, bool nospace, uint64_t seed) {
  std::lock_guard<std::mutex> l(mu_);
  one_in_ = one_in;
  nospace_ = nospace;
  rng_.seed(seed);
}

IOStatus FaultFS::MaybeFail(bool is_sync) {
  if (is_sync) {
    uint64_t n = ++syncs_;
    if (die_at_sync_ != 0 && n >= die_at_sync_) dead_ = true;
  }
  if (dead_) return IOStatus::IOError("power is off");
  std::lock_guard<std::mutex> l(mu_);
  if (one_in_ != 0 && rng_() % one_in_ == 0) {
    ++injected_;
    return nospace_ ? IOStatus::NoSpace("injected ENOSPC") : IOStatus::IOError("injected EIO");
  }
  return IOStatus::OK();
}

void FaultFS::Appended(const std::string& name, uint64_t end) {
  std::lock_guard<std::mutex> l(mu_);
  files_[name].size = end;
}

void FaultFS::Allocated(const std::string& name, uint64_t end) {
  std::lock_guard<std::mutex> l(mu_);
  auto& f = files_[name];
  f.allocated = std::max(f.allocated, end);
}

void FaultFS::Synced(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto& f = files_[name];
  f.synced = f.size;
}

void FaultFS::Truncated(const std::string& name, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  auto& f = files_[name];
  f.size = size;
  f.synced = std::min(f.synced, size);
  f.allocated = std::min(f.allocated, size);
}

void FaultFS::DirSynced(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [name, f] : files_)
    if (Parent(name) == dir) f.dir_synced = true;
}

IOStatus FaultFS::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                  std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* d) {
  if (dead_) return IOStatus::IOError("power is off");
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->NewWritableFile(f, o, &file, d);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> l(mu_);
    files_[f] = FileState{};
  }
  r->reset(new FaultFile(std::move(file), this, f, 0));
  return s;
}

IOStatus FaultFS::ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                     std::unique_ptr<rocksdb::FSWritableFile>* r,
                                     IODebugContext* d) {
  if (dead_) return IOStatus::IOError("power is off");
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->ReopenWritableFile(f, o, &file, d);
  if (!s.ok()) return s;
  std::error_code ec;
  uint64_t size = std::filesystem::exists(f, ec) ? std::filesystem::file_size(f, ec) : 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    files_.try_emplace(f, FileState{size, size, true});
  }
  r->reset(new FaultFile(std::move(file), this, f, size));
  return s;
}

IOStatus FaultFS::NewDirectory(const std::string& name, const IOOptions& o,
                               std::unique_ptr<rocksdb::FSDirectory>* r, IODebugContext* d) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  IOStatus s = target()->NewDirectory(name, o, &dir, d);
  if (s.ok()) r->reset(new FaultDir(std::move(dir), this, name));
  return s;
}

IOStatus FaultFS::RenameFile(const std::string& s, const std::string& t, const IOOptions& o,
                             IODebugContext* d) {
  if (dead_) return IOStatus::IOError("power is off");
  IOStatus st = target()->RenameFile(s, t, o, d);
  if (st.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(s);
    FileState f = it != files_.end() ? it->second : FileState{};
    if (it != files_.end()) files_.erase(it);
    if (it == files_.end()) {
      std::error_code ec;
      f.size = f.synced = std::filesystem::file_size(t, ec);
    }
    f.dir_synced = false;  // the new name is durable only once its directory is synced
    files_[t] = f;
  }
  return st;
}

IOStatus FaultFS::DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* d) {
  if (dead_) return IOStatus::IOError("power is off");
  IOStatus s = target()->DeleteFile(f, o, d);
  if (s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    files_.erase(f);
  }
  return s;
}

void FaultFS::PowerCut(Loss mode, std::mt19937_64& rng, bool lose_unsynced_dir_entries) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [name, f] : files_) {
    std::error_code ec;
    if (!std::filesystem::exists(name, ec)) continue;
    if (lose_unsynced_dir_entries && !f.dir_synced && rng() % 2 == 0) {
      std::filesystem::remove(name, ec);  // the directory entry never reached the disk
      continue;
    }
    uint64_t keep = f.synced;
    uint64_t unsynced = f.size > f.synced ? f.size - f.synced : 0;
    if (mode != Loss::kDropUnsynced && unsynced > 0) keep += rng() % (unsynced + 1);
    std::filesystem::resize_file(name, keep, ec);
    if (mode == Loss::kTornSector && keep > f.synced) {
      // The last sector of what was kept is half old, half garbage.
      uint64_t start = std::max<uint64_t>(f.synced, keep > 512 ? keep - 512 : 0);
      std::fstream out(name, std::ios::in | std::ios::out | std::ios::binary);
      out.seekp(static_cast<std::streamoff>(start));
      for (uint64_t i = start; i < keep; ++i) out.put(static_cast<char>(rng() & 0xff));
    }
    // A preallocated file (the log's segments) keeps its size once a sync has made it durable,
    // and may before: what was not written reads back as zeros.
    if (f.allocated > keep && (f.synced > 0 || rng() % 2 == 0))
      std::filesystem::resize_file(name, f.allocated, ec);
  }
  files_.clear();
}

}  // namespace tally::test
