#include "tally/storage/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iterator>

namespace tally {
namespace {
// Replayed groups are applied in batches of about this many bytes.
constexpr size_t kReplayBatchBytes = 4 << 20;
}  // namespace

HistorySettings HistorySettingsFromConfig(const Config& config) {
  HistorySettings h;
  std::string keys = config.Str(Opt::kHistoryKeys);
  size_t i = 0;
  while (i < keys.size()) {
    const size_t end = std::min(keys.find(' ', i), keys.size());
    if (end > i) h.patterns.push_back(keys.substr(i, end - i));
    i = end + 1;
  }
  h.resolution_ms = config.Int(Opt::kHistoryResolution);
  h.retention_ms = config.Int(Opt::kHistoryRetention) * 1000;
  h.keep_on_delete = config.Int(Opt::kHistoryKeepOnDelete) != 0;
  return h;
}

EngineOptions EngineOptionsFromConfig(const Config& config) {
  EngineOptions eo;
  StoreOptions& so = eo.store;
  so.path = (std::filesystem::path(config.Str(Opt::kDir)) / "db").string();
  so.databases = static_cast<int>(config.Int(Opt::kDatabases));
  so.block_cache_bytes = static_cast<size_t>(config.Int(Opt::kRocksdbBlockCacheSize));
  so.write_buffer_bytes = static_cast<size_t>(config.Int(Opt::kRocksdbWriteBufferSize));
  so.expired_before = std::make_shared<std::atomic<int64_t>>(0);
  eo.log.dir = (std::filesystem::path(config.Str(Opt::kDir)) / "log").string();
  eo.log.segment_bytes = static_cast<size_t>(config.Int(Opt::kLogSegmentSize));
  eo.log.retention_bytes = static_cast<size_t>(config.Int(Opt::kLogRetentionBytes));
  eo.apply.max_pending_bytes = static_cast<size_t>(config.Int(Opt::kApplyMaxPendingBytes));
  // A checkpoint once sealed segments reach half a write buffer: a restart after a crash then
  // replays at most that plus one segment.
  eo.apply.checkpoint_bytes = so.write_buffer_bytes / 2;
  eo.policy = static_cast<FsyncPolicy>(config.Int(Opt::kAppendfsync));
  eo.keyspace.databases = so.databases;
  eo.keyspace.table_max_memory = static_cast<size_t>(config.Int(Opt::kTableMaxMemory));
  eo.keyspace.expired_before = so.expired_before;
  eo.keyspace.history = std::make_shared<HistoryPolicy>();
  eo.keyspace.history->Set(HistorySettingsFromConfig(config));
  return eo;
}

StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  std::unique_ptr<Engine> engine(new Engine());
  options.store.disable_wal = true;
  if (options.log.env == nullptr) options.log.env = options.store.env;
  TALLY_RETURN_IF_ERROR(engine->Recover(options));
  Engine& e = *engine;
  const Lsn last = std::max(e.store_->recovered_lsn(), e.log_->last_lsn());
  // RocksDB now has everything the log had (replayed), or more (a group it flushed whose frame
  // a power cut lost): applied up to `last`.
  e.applier_ = std::make_unique<Applier>(e.store_.get(), e.log_.get(), options.apply, last);
  e.commit_log_ = std::make_unique<CommitLog>(e.log_.get(), options.policy, last);
  e.commit_log_->set_applier(e.applier_.get());
  CommitLog* commit_log = e.commit_log_.get();
  e.applier_->on_failure = [commit_log](const Status& st) { commit_log->Fail(st); };
  e.keyspace_ = std::make_unique<Keyspace>(e.store_.get(), commit_log, options.keyspace);
  TALLY_RETURN_IF_ERROR(e.keyspace_->LoadAlerts());
  e.applier_->Start();
  e.commit_log_->Start();
  return engine;
}

Status Engine::Recover(const EngineOptions& options) {
  auto store = Store::Open(options.store);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  store_lsn_ = store_->recovered_lsn();
  std::vector<Record> batch;
  size_t bytes = 0;
  auto apply = [&]() -> Status {
    if (batch.empty()) return Status::OK();
    Status st = store_->Write(batch, /*sync=*/false);
    replayed_ += batch.size();
    batch.clear();
    bytes = 0;
    return st;
  };
  auto log = Log::Open(options.log, store_lsn_, [&](std::vector<Record>& group) -> Status {
    bytes += Applier::Bytes(group);
    std::move(group.begin(), group.end(), std::back_inserter(batch));
    return bytes >= kReplayBatchBytes ? apply() : Status::OK();
  });
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  TALLY_RETURN_IF_ERROR(apply());
  if (replayed_ > 0) {
    spdlog::info("Replayed {} log records above LSN {} into the store", replayed_, store_lsn_);
  }
  return Status::OK();
}

Engine::~Engine() { (void)Close(); }

Status Engine::Close(bool checkpoint) {
  if (closed_) return Status::OK();
  closed_ = true;
  Status st;
  auto keep = [&st](Status s) {
    if (st.ok() && !s.ok()) st = std::move(s);
  };
  if (commit_log_) keep(commit_log_->Stop());
  // Everything the log has is now queued for the applier; Stop() applies it and checkpoints.
  // After a failure the log holds the truth: nothing more is written anywhere (the next start
  // replays the log), as the failed disk would only fail again.
  checkpoint = checkpoint && st.ok();
  Lsn flushed = 0;  // what RocksDB's files hold after the final checkpoint
  if (applier_) {
    Status stopped = applier_->Stop(checkpoint);
    if (stopped.ok() && checkpoint) flushed = applier_->applied_lsn();
    keep(stopped);
  }
  keyspace_.reset();
  commit_log_.reset();
  applier_.reset();
  if (log_) keep(log_->Close(flushed));
  if (store_) keep(store_->Close(checkpoint));
  return st;
}

}  // namespace tally
