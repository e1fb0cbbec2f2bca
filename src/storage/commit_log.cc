#include "tally/storage/commit_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "tally/util/thread_name.h"

namespace tally {

namespace {
constexpr auto kEverysecInterval = std::chrono::seconds(1);
constexpr size_t kLatencyRing = 1024;
// Idle polls for deferred appends before the commit thread sleeps: about a second.
constexpr int kPollsBeforeSleep = 100;
thread_local bool t_defer_wakeups = false;

// Whether an append to an empty queue wakes the commit thread: not on a thread that defers its
// wake-ups, unless the commit thread has stopped polling.
bool AppendWakes(bool commit_thread_asleep) { return !t_defer_wakeups || commit_thread_asleep; }
}  // namespace

void CommitLog::DeferWakeupsOnThisThread() { t_defer_wakeups = true; }

CommitLog::CommitLog(RecordWriter* writer, FsyncPolicy policy, Lsn last_lsn)
    : writer_(writer),
      policy_(policy),
      written_lsn_(last_lsn),
      durable_lsn_(last_lsn),
      next_lsn_(last_lsn + 1) {}

CommitLog::~CommitLog() { (void)Stop(); }

void CommitLog::Start() {
  last_sync_ = std::chrono::steady_clock::now();
  {
    MutexLock l(&sync_mu_);
    writer_done_ = false;
  }
  thread_ = std::thread([this] {
    SetThreadName("tally-commit");
    Run();
  });
  syncer_ = std::thread([this] {
    SetThreadName("tally-syncer");
    RunSyncer();
  });
}

Status CommitLog::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  written_cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
  {
    MutexLock l(&sync_mu_);
    writer_done_ = true;
  }
  sync_cv_.SignalAll();
  if (syncer_.joinable()) syncer_.join();
  MutexLock l(&mu_);
  return failure_;
}

Lsn CommitLog::Append(Record record) {
  if (applier_ != nullptr) applier_->Reserve(Applier::Bytes({&record, 1}));
  MutexLock l(&mu_);
  record.lsn = next_lsn_++;
  Lsn lsn = record.lsn;
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(record));
  if (was_empty && AppendWakes(asleep_)) cv_.Signal();
  return lsn;
}

Lsn CommitLog::Append(std::vector<Record> records) {
  if (applier_ != nullptr) applier_->Reserve(Applier::Bytes(records));
  MutexLock l(&mu_);
  bool was_empty = queue_.empty();
  Lsn lsn = 0;
  for (auto& r : records) {
    r.lsn = lsn = next_lsn_++;
    queue_.push_back(std::move(r));
  }
  if (was_empty && lsn != 0 && AppendWakes(asleep_)) cv_.Signal();
  return lsn;
}

Lsn CommitLog::last_lsn() const {
  MutexLock l(&mu_);
  return next_lsn_ - 1;
}

Status CommitLog::WaitApplied(Lsn lsn) {
  {
    MutexLock l(&mu_);
    if (written_lsn_.load() < lsn) WakeForQueued();
    while (!(written_lsn_.load() >= lsn || !failure_.ok() || stopping_)) written_cv_.Wait();
    if (!failure_.ok()) return failure_;
    if (written_lsn_.load() < lsn) return Status::Shutdown();
  }
  return applier_ != nullptr ? applier_->WaitApplied(lsn) : Status::OK();
}

Status CommitLog::failure() const {
  MutexLock l(&mu_);
  return failure_;
}

Lsn CommitLog::ack_lsn() const {
  return policy() == FsyncPolicy::kAlways ? durable_lsn_.load(std::memory_order_acquire)
                                          : written_lsn_.load(std::memory_order_acquire);
}

void CommitLog::WhenAcked(Lsn lsn, std::function<void(Status)> done, AckWake wake) {
  if (lsn <= ack_lsn()) {
    done(Status::OK());
    return;
  }
  Status st;
  {
    MutexLock l(&mu_);
    // The status is read under the lock Fail() sets it under, never OK once a failure began.
    st = failure_;
    // Re-check under the lock: the commit thread publishes before it takes the lock to notify.
    if (st.ok() && lsn > ack_lsn()) {
      if (wake == AckWake::kCommitThread) WakeForQueued();
      waiters_.push_back({lsn, std::move(done)});
      return;
    }
  }
  done(std::move(st));
}

bool CommitLog::idle_for_testing() const {
  MutexLock l(&mu_);
  return idle_ && queue_.empty();
}

bool CommitLog::asleep_for_testing() const {
  MutexLock l(&mu_);
  return asleep_;
}

void CommitLog::WakeForQueued() {
  if (idle_ && !queue_.empty()) cv_.Signal();
}

void CommitLog::NotifyWaiters() {
  std::vector<Waiter> ready;
  Status st;
  {
    MutexLock l(&mu_);
    st = failure_;
    Lsn acked = ack_lsn();
    // Stable: waiters of one LSN order hear in the order they asked.
    auto it = std::stable_partition(waiters_.begin(), waiters_.end(),
                                    [&](const Waiter& w) { return st.ok() && w.lsn > acked; });
    ready.assign(std::make_move_iterator(it), std::make_move_iterator(waiters_.end()));
    waiters_.erase(it, waiters_.end());
  }
  for (auto& w : ready) w.done(st);
}

void CommitLog::Fail(const Status& st) {
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  {
    MutexLock l(&mu_);
    if (failure_.ok()) failure_ = Status::LogFailed(st.ToString());
    // Inside the lock: whoever sees failure_ under it sees healthy() false too.
    failed_.store(true, std::memory_order_release);
  }
  written_cv_.SignalAll();
  spdlog::error(
      "Write-ahead log failed: {}. No write at or after this point will be acknowledged; "
      "writes are refused until tallyd is restarted on a healthy disk.",
      st.ToString());
  NotifyWaiters();
}

void CommitLog::RecordLatency(const char* event, std::chrono::steady_clock::duration d) {
  if (LatencyMonitor* m = latency_.load(std::memory_order_acquire)) {
    m->Record(event, std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  }
}

void CommitLog::RecordSyncLatency(std::chrono::steady_clock::duration d) {
  fsync_seconds_.Observe(std::chrono::duration<double>(d).count());
  RecordLatency("fsync", d);
  auto usec =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  MutexLock l(&mu_);
  if (fsync_usec_.size() < kLatencyRing) {
    fsync_usec_.push_back(usec);
  } else {
    fsync_usec_[fsync_pos_++ % kLatencyRing] = usec;
  }
}

void CommitLog::SyncNow() {
  Lsn target = written_lsn_.load(std::memory_order_acquire);
  auto start = std::chrono::steady_clock::now();
  Status st = writer_->Sync();
  last_sync_ = std::chrono::steady_clock::now();
  if (!st.ok()) {
    Fail(st);
    return;
  }
  SyncedUpTo(target, start);
  NotifyWaiters();
}

void CommitLog::SyncedUpTo(Lsn lsn, std::chrono::steady_clock::time_point start) {
  fsyncs_.fetch_add(1, std::memory_order_relaxed);
  RecordSyncLatency(std::chrono::steady_clock::now() - start);
  if (durable_lsn_.load() < lsn) durable_lsn_.store(lsn, std::memory_order_release);
}

void CommitLog::Run() {
  while (true) {
    {
      MutexLock l(&mu_);
      // Deferred appends (DeferWakeupsOnThisThread) wake nobody: whoever waits for them does,
      // and records nobody waits for are picked up at the next poll. After a second without
      // records the thread sleeps until an append wakes it (an idle server stays idle).
      idle_ = true;
      for (int polls = 0; queue_.empty() && !stopping_; ++polls) {
        if (polls < kPollsBeforeSleep) {
          cv_.WaitUntil(std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(idle_poll_ms_.load(std::memory_order_relaxed)));
        } else {
          asleep_ = true;
          cv_.Wait();
          asleep_ = false;
        }
      }
      idle_ = false;
      if (queue_.empty() && stopping_) break;
    }
    WriteQueued();
  }
}

void CommitLog::Lead() {
  {
    MutexLock l(&mu_);
    if (queue_.empty()) return;  // another writer has them: it notifies
    if (stopping_ || commit_delay_ms_.load() > 0) {
      WakeForQueued();
      return;
    }
  }
  if (policy() != FsyncPolicy::kAlways) {
    WriteQueued();
    return;
  }
  // Under always the leader's fsync holds up its own clients, as Redis's does. While another
  // thread writes a group, the commit thread takes this one instead: queued behind that fsync,
  // the leader would prepare no next group (bench/README).
  if (!write_mu_.TryLock()) {
    MutexLock l(&mu_);
    WakeForQueued();
    return;
  }
  WriteQueuedLocked();
  write_mu_.Unlock();
}

void CommitLog::WriteQueued() {
  MutexLock w(&write_mu_);
  WriteQueuedLocked();
}

void CommitLog::WriteQueuedLocked() {
  std::vector<Record> batch;
  {
    MutexLock l(&mu_);
    batch.swap(queue_);
  }
  if (!batch.empty()) WriteGroup(batch);
}

void CommitLog::WriteGroup(std::vector<Record>& batch) {
  if (!healthy()) {
    if (applier_ != nullptr) applier_->Release(Applier::Bytes(batch));  // never applied
    return;
  }
  const auto picked = std::chrono::steady_clock::now();
  if (int64_t d = commit_delay_ms_.load(); d > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(d));
  // Under always the write itself syncs (one fdatasync for the whole group). Otherwise the
  // syncer syncs once a second (everysec) or never.
  const bool sync = policy() == FsyncPolicy::kAlways;
  auto start = std::chrono::steady_clock::now();
  Status st = writer_->Write(batch, sync);
  if (!st.ok()) {
    Fail(st);
    if (applier_ != nullptr) applier_->Release(Applier::Bytes(batch));
    return;
  }
  groups_.fetch_add(1, std::memory_order_relaxed);
  records_.fetch_add(batch.size(), std::memory_order_relaxed);
  group_sizes_.Observe(static_cast<double>(batch.size()));
  const Lsn last = batch.back().lsn;
  written_lsn_.store(last, std::memory_order_release);
  if (sync) SyncedUpTo(last, start);
  RecordLatency("commit", std::chrono::steady_clock::now() - picked);
  if (applier_ != nullptr) applier_->Enqueue(std::move(batch));
  // The syncer is not woken here: it polls at least every 100 ms, so waking it for every group
  // (two context switches each) bought nothing but CPU.
  { MutexLock l(&mu_); }
  written_cv_.SignalAll();
  NotifyWaiters();
}

bool CommitLog::SyncDue() const {
  if (!healthy()) return writer_done_;
  const bool behind = durable_lsn_.load() < written_lsn_.load();
  switch (policy()) {
    case FsyncPolicy::kAlways:
      return behind || writer_done_;
    case FsyncPolicy::kEverysec:
      return writer_done_ ||
             (behind && std::chrono::steady_clock::now() - last_sync_ >= kEverysecInterval);
    case FsyncPolicy::kNo:
      return writer_done_;
  }
  return writer_done_;
}

void CommitLog::RunSyncer() {
  while (true) {
    {
      MutexLock l(&sync_mu_);
      while (!SyncDue()) {
        if (policy() == FsyncPolicy::kEverysec && durable_lsn_.load() < written_lsn_.load()) {
          sync_cv_.WaitUntil(last_sync_ + kEverysecInterval);
        } else {
          // Also notices policy changes.
          sync_cv_.WaitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
        }
      }
      if (writer_done_ && (!healthy() || durable_lsn_.load() >= written_lsn_.load())) break;
    }
    if (healthy()) SyncNow();
  }
  NotifyWaiters();
}

CommitLogStats CommitLog::stats() const {
  CommitLogStats s;
  s.written_lsn = written_lsn_.load();
  s.durable_lsn = durable_lsn_.load();
  s.groups = groups_.load();
  s.records = records_.load();
  s.fsyncs = fsyncs_.load();
  s.write_errors = write_errors_.load();
  MutexLock l(&mu_);
  s.last_lsn = next_lsn_ - 1;
  if (!fsync_usec_.empty()) {
    std::vector<uint32_t> v = fsync_usec_;
    size_t idx = (v.size() * 99) / 100;
    std::nth_element(v.begin(), v.begin() + idx, v.end());
    s.fsync_p99_usec = v[idx];
  }
  return s;
}

}  // namespace tally
