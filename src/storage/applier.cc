#include "tally/storage/applier.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "tally/util/thread_name.h"

namespace tally {
namespace {
// A pass applies at most about this many records as one RocksDB batch (a replayed log tail can
// queue millions): the batch, its sort and its lookups stay a few MiB.
constexpr size_t kMaxBatchRecords = 128 << 10;
}  // namespace

Applier::Applier(Store* store, Log* log, ApplierOptions options, Lsn applied)
    : store_(store), log_(log), options_(options), applied_lsn_(applied) {}

Applier::~Applier() { (void)Stop(); }

void Applier::Start() {
  thread_ = std::thread([this] {
    SetThreadName("tally-apply");
    Run();
  });
}

Status Applier::Stop(bool checkpoint) {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  work_cv_.SignalAll();
  if (!thread_.joinable()) {
    MutexLock l(&mu_);
    return failure_;
  }
  thread_.join();
  {
    MutexLock l(&mu_);
    if (!failure_.ok()) return failure_;
  }
  return checkpoint ? Checkpoint() : Status::OK();
}

size_t Applier::Bytes(std::span<const Record> records) {
  size_t n = 0;
  for (const Record& r : records) n += r.key.size() + r.value.size() + sizeof(Record);
  return n;
}

void Applier::Reserve(size_t bytes) {
  MutexLock l(&mu_);
  if (pending_bytes_ > options_.max_pending_bytes) {
    writer_waits_.fetch_add(1, std::memory_order_relaxed);
    ++urgent_;
    work_cv_.Signal();
    while (pending_bytes_ > options_.max_pending_bytes && failure_.ok() && !stopping_)
      room_cv_.Wait();
    --urgent_;
  }
  pending_bytes_ += bytes;
}

void Applier::Release(size_t bytes) {
  {
    MutexLock l(&mu_);
    pending_bytes_ -= std::min(bytes, pending_bytes_);
  }
  room_cv_.SignalAll();
}

void Applier::Enqueue(std::vector<Record>&& group) {
  if (group.empty()) return;
  MutexLock l(&mu_);
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(group));
  if (was_empty) work_cv_.Signal();
}

Status Applier::WaitApplied(Lsn lsn) {
  MutexLock l(&mu_);
  if (applied_lsn() < lsn) {
    ++urgent_;
    work_cv_.Signal();
    while (applied_lsn() < lsn && failure_.ok() && !stopping_) room_cv_.Wait();
    --urgent_;
  }
  if (!failure_.ok()) return failure_;
  return applied_lsn() >= lsn ? Status::OK() : Status::Shutdown();
}

void Applier::Run() {
  std::vector<std::vector<Record>> groups;
  std::vector<Record> batch;
  bool backlog = false;
  while (true) {
    {
      MutexLock l(&mu_);
      while (queue_.empty() && !stopping_) work_cv_.Wait();
      if (queue_.empty()) break;     // stopping, and everything applied
      if (!backlog) GatherLocked();  // a backlog has gathered already
      backlog = TakeLocked(&groups);
    }
    if (int64_t d = delay_ms_.load(); d > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(d));
    size_t bytes = 0;
    for (auto& g : groups) {
      bytes += Bytes(g);
      std::move(g.begin(), g.end(), std::back_inserter(batch));
    }
    Status st = store_->Write(batch, /*sync=*/false);
    if (st.ok()) {
      applied_lsn_.store(batch.back().lsn, std::memory_order_release);
      batches_.fetch_add(1, std::memory_order_relaxed);
      records_.fetch_add(batch.size(), std::memory_order_relaxed);
    }
    {
      MutexLock l(&mu_);
      pending_bytes_ -= std::min(bytes, pending_bytes_);
      if (!st.ok() && failure_.ok()) failure_ = st;
      last_batch_ = std::chrono::steady_clock::now();
    }
    room_cv_.SignalAll();
    groups.clear();
    batch.clear();
    if (!st.ok()) {
      spdlog::error("Applying the write-ahead log to RocksDB failed: {}", st.ToString());
      if (on_failure) on_failure(st);
      break;
    }
    if (log_->sealed_bytes() >= options_.checkpoint_bytes) {
      st = Checkpoint();
      if (!st.ok())
        spdlog::warn("Checkpoint failed (the log keeps its segments): {}", st.ToString());
    }
  }
}

bool Applier::TakeLocked(std::vector<std::vector<Record>>* groups) {
  size_t n = 0, records = 0;
  while (n < queue_.size() && records < kMaxBatchRecords) records += queue_[n++].size();
  if (n == queue_.size()) {
    groups->swap(queue_);
    return false;
  }
  const auto end = queue_.begin() + static_cast<ptrdiff_t>(n);
  std::move(queue_.begin(), end, std::back_inserter(*groups));
  queue_.erase(queue_.begin(), end);
  return true;
}

void Applier::GatherLocked() {
  const auto until = last_batch_ + options_.gather;
  while (urgent_ == 0 && !stopping_ && std::chrono::steady_clock::now() < until)
    work_cv_.WaitUntil(until);
}

Status Applier::Checkpoint() {
  MutexLock l(&checkpoint_mu_);
  const Lsn lsn = applied_lsn();
  // After the flush RocksDB's files hold everything up to `lsn`: the log below it can go.
  TALLY_RETURN_IF_ERROR(store_->Flush());
  checkpoints_.fetch_add(1, std::memory_order_relaxed);
  return log_->Purge(lsn);
}

ApplierStats Applier::stats() const {
  ApplierStats s;
  s.applied_lsn = applied_lsn();
  s.batches = batches_.load();
  s.records = records_.load();
  s.checkpoints = checkpoints_.load();
  s.writer_waits = writer_waits_.load();
  s.log = log_->stats();
  MutexLock l(&mu_);
  s.pending_bytes = pending_bytes_;
  return s;
}

}  // namespace tally
