#include "tally/storage/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "tally/util/clock.h"

namespace tally {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMarker = "TALLY_BACKUP";

std::string UtcStamp(int64_t ms) {
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = strftime(buf, sizeof(buf), "%Y%m%dT%H%M%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

// fsync()s a file or directory.
Status SyncPath(const fs::path& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path.string() + " to sync it");
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok ? Status::OK() : Status::IOError("cannot sync " + path.string());
}

Status WriteMarker(const fs::path& dir, const BackupInfo& info) {
  const fs::path path = dir / kMarker;
  {
    std::ofstream out(path);
    out << "tally-backup 1\nlsn " << info.lsn << "\ntime_ms " << info.time_ms << "\ntime "
        << UtcStamp(info.time_ms) << "\n";
    if (!out.flush()) return Status::IOError("cannot write " + path.string());
  }
  TALLY_RETURN_IF_ERROR(SyncPath(path));
  return SyncPath(dir);
}

// Copies the directory tree `from` into `to` (created) and syncs every file and directory.
Status CopyTree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) return Status::IOError("cannot copy " + from.string() + ": " + ec.message());
  for (const auto& entry : fs::recursive_directory_iterator(to, ec))
    TALLY_RETURN_IF_ERROR(SyncPath(entry.path()));
  if (ec) return Status::IOError("cannot list " + to.string() + ": " + ec.message());
  TALLY_RETURN_IF_ERROR(SyncPath(to));
  return SyncPath(to.parent_path());
}

}  // namespace

Backups::Backups(Store* store, CommitLog* log, int64_t start_ms, Lsn start_lsn)
    : store_(store), log_(log) {
  MutexLock l(&mu_);
  state_.last_save_ms = start_ms;
  state_.last_save_lsn = start_lsn;
}

Backups::~Backups() { Wait(); }

void Backups::Wait() {
  std::thread t;
  {
    MutexLock l(&mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

bool Backups::Begin() {
  MutexLock l(&mu_);
  if (state_.in_progress) return false;
  state_.in_progress = true;
  state_.current_start_ms = NowMs();
  return true;
}

void Backups::Finish(StatusOr<BackupInfo> result, int64_t start_ms) {
  MutexLock l(&mu_);
  state_.in_progress = false;
  state_.last_duration_ms = NowMs() - start_ms;
  if (result.ok()) {
    state_.last_save_ms = start_ms;
    state_.last_save_lsn = result->lsn;
    state_.last_path = result->path;
    state_.last_error.clear();
    ++state_.saves;
  } else {
    state_.last_error = result.status().ToString();
  }
}

StatusOr<BackupInfo> Backups::Take(const std::string& root, int64_t start_ms) {
  BackupInfo info;
  info.time_ms = start_ms;
  info.lsn = log_->ack_lsn();
  // Everything a reply has acknowledged is in RocksDB (memtables at least) before the flush.
  TALLY_RETURN_IF_ERROR(log_->WaitApplied(info.lsn));
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::IOError("cannot create " + root + ": " + ec.message());
  const std::string name = "backup-" + UtcStamp(start_ms) + "-lsn" + std::to_string(info.lsn);
  fs::path dir = fs::path(root) / name;
  for (int n = 1; fs::exists(dir); ++n) dir = fs::path(root) / (name + "-" + std::to_string(n));
  info.path = dir.string();
  fs::create_directory(dir, ec);
  if (ec) return Status::IOError("cannot create " + info.path + ": " + ec.message());
  Status st = store_->CreateCheckpoint((dir / "db").string());
  if (st.ok()) st = WriteMarker(dir, info);
  if (!st.ok()) {
    fs::remove_all(dir, ec);  // never leave a half backup that looks whole
    return st;
  }
  return info;
}

StatusOr<BackupInfo> Backups::Save(const std::string& root) {
  if (!Begin()) return Status::Busy("a backup is already in progress");
  const int64_t start = NowMs();
  StatusOr<BackupInfo> result = Take(root, start);
  Finish(result, start);
  return result;
}

Status Backups::StartBackground(const std::string& root) {
  if (!Begin()) return Status::Busy("a backup is already in progress");
  Wait();  // the previous thread has finished (in_progress was false): reap it
  MutexLock l(&mu_);
  thread_ = std::thread([this, root] {
    const int64_t start = NowMs();
    Finish(Take(root, start), start);
  });
  return Status::OK();
}

BackupState Backups::state() const {
  MutexLock l(&mu_);
  return state_;
}

StatusOr<Lsn> RestoreBackup(const std::string& backup, const std::string& dir, int databases) {
  const fs::path from(backup), to(dir);
  std::error_code ec;
  if (!fs::is_regular_file(from / kMarker, ec) || !fs::is_directory(from / "db", ec))
    return Status::InvalidArgument(backup + " is not a Tally backup (no " + kMarker + " or db/)");
  if (fs::exists(to, ec) && !fs::is_empty(to, ec))
    return Status::InvalidArgument(dir + " is not empty: restore only into an empty directory");
  fs::create_directories(to, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  TALLY_RETURN_IF_ERROR(CopyTree(from / "db", to / "db"));
  fs::create_directory(to / "log", ec);
  if (ec) return Status::IOError("cannot create " + (to / "log").string() + ": " + ec.message());
  // Open what was copied, as tallyd will: a damaged copy is found now, not at the next start.
  StoreOptions so;
  so.path = (to / "db").string();
  so.databases = databases;
  so.disable_wal = true;
  auto store = Store::Open(so);
  if (!store.ok()) return store.status();
  const Lsn lsn = (*store)->recovered_lsn();
  TALLY_RETURN_IF_ERROR((*store)->Close(/*flush=*/false));
  return lsn;
}

}  // namespace tally
