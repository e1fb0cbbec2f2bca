#include "tally/storage/log.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "log_format.h"
#include "log_segment.h"

namespace tally {
namespace {

Status FromIo(const rocksdb::IOStatus& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  return Status::IOError(what + ": " + s.ToString());
}

// Decodes a frame payload into `group`, keeping only records at or above `from`.
Status DecodeFrom(std::string_view payload, Lsn from, std::vector<Record>* group, Lsn* last) {
  group->clear();
  const Lsn first = logfmt::FirstLsn(payload);
  const uint32_t count = logfmt::RecordCount(payload);
  if (count > 0 && first + count - 1 < from) {  // wholly below `from`: no need to decode
    *last = first + count - 1;
    return Status::OK();
  }
  TALLY_RETURN_IF_ERROR(logfmt::DecodePayload(payload, group));
  *last = group->empty() ? logfmt::FirstLsn(payload) - 1 : group->back().lsn;
  auto keep =
      std::find_if(group->begin(), group->end(), [&](const Record& r) { return r.lsn >= from; });
  group->erase(group->begin(), keep);
  return Status::OK();
}

// A segment being sealed or closed: cut to its last frame (`bytes`; the rest is preallocated
// zeros) and synced.
Status TrimAndSync(rocksdb::FSWritableFile* file, uint64_t bytes) {
  TALLY_RETURN_IF_ERROR(FromIo(file->Truncate(bytes, rocksdb::IOOptions(), nullptr), "log trim"));
  return FromIo(file->Sync(rocksdb::IOOptions(), nullptr), "log sync");
}

}  // namespace

Log::Log(const LogOptions& options) : options_(options) {
  fs_ = options.env != nullptr ? options.env->GetFileSystem() : rocksdb::FileSystem::Default();
}

Log::~Log() { (void)Close(); }

StatusOr<std::unique_ptr<Log>> Log::Open(const LogOptions& options, Lsn applied, GroupFn replay) {
  std::unique_ptr<Log> log(new Log(options));
  TALLY_RETURN_IF_ERROR(FromIo(
      log->fs_->CreateDirIfMissing(options.dir, rocksdb::IOOptions(), nullptr), options.dir));
  TALLY_RETURN_IF_ERROR(log->Recover(applied, replay));
  return log;
}

Status Log::Recover(Lsn applied, GroupFn replay) {
  std::vector<std::string> names;
  TALLY_RETURN_IF_ERROR(
      FromIo(fs_->GetChildren(options_.dir, rocksdb::IOOptions(), &names, nullptr), options_.dir));
  std::vector<Segment> found;
  for (const auto& n : names) {
    if (Lsn first = logseg::ParseName(n); first != 0)
      found.push_back(Segment{first, 0, 0, options_.dir + "/" + n});
  }
  std::sort(found.begin(), found.end(),
            [](const Segment& a, const Segment& b) { return a.first < b.first; });
  Lsn last = 0;
  Lsn next = applied + 1;  // the next record replay needs
  std::string data;
  std::vector<Record> group;
  for (size_t i = 0; i < found.size(); ++i) {
    Segment& seg = found[i];
    const bool newest = i + 1 == found.size();
    TALLY_RETURN_IF_ERROR(logseg::ReadFile(fs_.get(), seg.path, &data));
    auto scan = logseg::ScanFrames(data, seg.path, [&](std::string_view payload, Lsn* end) {
      TALLY_RETURN_IF_ERROR(DecodeFrom(payload, applied + 1, &group, end));
      if (group.empty()) return Status::OK();
      if (group.front().lsn > next) {
        return Status::Corruption("log records " + std::to_string(next) + " to " +
                                  std::to_string(group.front().lsn - 1) + " are missing (in " +
                                  seg.path + ")");
      }
      next = group.back().lsn + 1;
      return replay(group);
    });
    if (!scan.ok()) return scan.status();
    if (scan->torn && !newest) {
      return Status::Corruption("log segment " + seg.path + " is damaged at offset " +
                                std::to_string(scan->valid_bytes) +
                                " and newer segments follow it");
    }
    const bool zeros_only =
        std::string_view(data).substr(scan->valid_bytes).find_first_not_of('\0') ==
        std::string_view::npos;
    if (data.size() > scan->valid_bytes && !zeros_only) {
      spdlog::warn(
          "Write-ahead log {}: dropping a torn tail of {} bytes at offset {} (the last "
          "write before a crash, never acknowledged)",
          seg.path, data.size() - scan->valid_bytes, scan->valid_bytes);
    }
    if (scan->valid_bytes == 0) {
      TALLY_RETURN_IF_ERROR(
          FromIo(fs_->DeleteFile(seg.path, rocksdb::IOOptions(), nullptr), seg.path));
      continue;
    }
    if (scan->torn) {
      std::unique_ptr<rocksdb::FSWritableFile> f;
      TALLY_RETURN_IF_ERROR(
          FromIo(fs_->ReopenWritableFile(seg.path, rocksdb::FileOptions(), &f, nullptr), seg.path));
      TALLY_RETURN_IF_ERROR(
          FromIo(f->Truncate(scan->valid_bytes, rocksdb::IOOptions(), nullptr), seg.path));
      TALLY_RETURN_IF_ERROR(FromIo(f->Sync(rocksdb::IOOptions(), nullptr), seg.path));
      TALLY_RETURN_IF_ERROR(FromIo(f->Close(rocksdb::IOOptions(), nullptr), seg.path));
    }
    seg.last = scan->last;
    seg.bytes = scan->valid_bytes;
    last = std::max(last, scan->last);
    MutexLock l(&mu_);
    segments_.push_back(seg);
  }
  last_lsn_.store(last, std::memory_order_release);
  MutexLock l(&mu_);
  return Roll(std::max(last, applied) + 1);
}

Status Log::SyncDir() {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  TALLY_RETURN_IF_ERROR(
      FromIo(fs_->NewDirectory(options_.dir, rocksdb::IOOptions(), &dir, nullptr), options_.dir));
  return FromIo(dir->Fsync(rocksdb::IOOptions(), nullptr), options_.dir);
}

Status Log::Roll(Lsn first) {
  if (current_) {
    // A sealed segment ends at its last frame: only the newest may have a preallocated tail.
    TALLY_RETURN_IF_ERROR(TrimAndSync(current_.get(), segments_.back().bytes));
    TALLY_RETURN_IF_ERROR(FromIo(current_->Close(rocksdb::IOOptions(), nullptr), "log close"));
    current_.reset();
  }
  Segment seg{first, 0, 0, options_.dir + "/" + logseg::Name(first)};
  rocksdb::FileOptions fo;
  fo.fallocate_with_keep_size = false;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  TALLY_RETURN_IF_ERROR(FromIo(fs_->NewWritableFile(seg.path, fo, &file, nullptr), seg.path));
  // Allocated at its full size up front, so that appends do not change the file's size: an
  // fdatasync then writes the data alone, not the inode too (on ext4, 440-520 against
  // 780-900 us per write + fdatasync; bench/README.md). A file system without fallocate just
  // grows the file as before.
  if (rocksdb::IOStatus s =
          file->Allocate(0, options_.segment_bytes, rocksdb::IOOptions(), nullptr);
      !s.ok()) {
    spdlog::debug("Write-ahead log {}: no preallocation ({})", seg.path, s.ToString());
  }
  current_ = std::move(file);
  segments_.push_back(seg);
  return SyncDir();
}

Status Log::Write(std::span<const Record> records, bool sync) {
  if (records.empty()) return Status::OK();
  buffer_.clear();
  logfmt::AppendFrame(records, &buffer_);
  {
    MutexLock l(&mu_);
    if (!failed_.ok()) return failed_;
    Status st;
    if (segments_.back().bytes >= options_.segment_bytes) st = Roll(records.front().lsn);
    if (st.ok()) {
      st = FromIo(current_->Append(buffer_, rocksdb::IOOptions(), nullptr), "log write");
    }
    if (!st.ok()) {
      failed_ = st;
      return st;
    }
    Segment& seg = segments_.back();
    seg.bytes += buffer_.size();
    seg.last = records.back().lsn;
  }
  last_lsn_.store(records.back().lsn, std::memory_order_release);
  return sync ? Sync() : Status::OK();
}

Status Log::Sync() {
  std::shared_ptr<rocksdb::FSWritableFile> file;
  {
    MutexLock l(&mu_);
    if (!failed_.ok()) return failed_;
    file = current_;
  }
  if (!file) return Status::IOError("log is closed");
  // Sync is fdatasync for a POSIX file: the data and the size, not the timestamps.
  Status st = FromIo(file->Sync(rocksdb::IOOptions(), nullptr), "log sync");
  if (!st.ok()) {
    MutexLock l(&mu_);
    if (failed_.ok()) failed_ = st;
  }
  return st;
}

Status Log::Purge(Lsn flushed) {
  std::vector<std::string> doomed;
  {
    MutexLock l(&mu_);
    // Newest sealed segments first: keep while within retention_bytes.
    uint64_t kept = 0;
    size_t cut = 0;  // segments_[0, cut) go
    for (size_t i = segments_.size() - 1; i-- > 0;) {
      const Segment& s = segments_[i];
      if (s.last > flushed) continue;
      if (kept + s.bytes <= options_.retention_bytes) {
        kept += s.bytes;
        continue;
      }
      cut = i + 1;
      break;
    }
    for (size_t i = 0; i < cut; ++i) doomed.push_back(segments_[i].path);
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<long>(cut));
    purged_ += cut;
  }
  for (const auto& path : doomed)
    TALLY_RETURN_IF_ERROR(FromIo(fs_->DeleteFile(path, rocksdb::IOOptions(), nullptr), path));
  return Status::OK();
}

Status Log::ReadFrom(Lsn from, GroupFn fn) const {
  std::vector<Segment> segs;
  {
    MutexLock l(&mu_);
    segs = segments_;
  }
  std::string data;
  std::vector<Record> group;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (i + 1 < segs.size() && segs[i + 1].first <= from) continue;  // wholly before `from`
    TALLY_RETURN_IF_ERROR(logseg::ReadFile(fs_.get(), segs[i].path, &data));
    // Only what Write() had finished when the list was taken.
    data.resize(std::min<size_t>(data.size(), segs[i].bytes));
    auto scan = logseg::ScanFrames(data, segs[i].path, [&](std::string_view payload, Lsn* end) {
      TALLY_RETURN_IF_ERROR(DecodeFrom(payload, from, &group, end));
      return group.empty() ? Status::OK() : fn(group);
    });
    if (!scan.ok()) return scan.status();
  }
  return Status::OK();
}

uint64_t Log::sealed_bytes() const {
  MutexLock l(&mu_);
  uint64_t n = 0;
  for (size_t i = 0; i + 1 < segments_.size(); ++i) n += segments_[i].bytes;
  return n;
}

LogStats Log::stats() const {
  MutexLock l(&mu_);
  LogStats s;
  s.segments = segments_.size();
  for (const auto& seg : segments_) s.bytes += seg.bytes;
  s.purged_segments = purged_;
  return s;
}

Status Log::Close(Lsn flushed) {
  MutexLock l(&mu_);
  if (!current_) return Status::OK();
  Status st = failed_;
  if (st.ok()) st = TrimAndSync(current_.get(), segments_.back().bytes);
  Status close = FromIo(current_->Close(rocksdb::IOOptions(), nullptr), "log close");
  current_.reset();
  if (!st.ok() || !close.ok()) return st.ok() ? close : st;
  // Everything in the last segment is in RocksDB's files: the next start has nothing to read.
  const Segment& last = segments_.back();
  if (segments_.size() == 1 && last.last <= flushed) {
    TALLY_RETURN_IF_ERROR(
        FromIo(fs_->DeleteFile(last.path, rocksdb::IOOptions(), nullptr), last.path));
    segments_.clear();
  }
  return Status::OK();
}

}  // namespace tally
