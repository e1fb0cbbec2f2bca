#include "tally/storage/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iterator>

namespace tally {
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
  std::vector<std::vector<Record>> replay;
  TALLY_RETURN_IF_ERROR(engine->Recover(options, &replay));
  Engine& e = *engine;
  const Lsn applied = e.store_->recovered_lsn();
  // The log's last record, or RocksDB's if it has more (a group it flushed whose frame a power
  // cut lost): the next record follows it.
  const Lsn last = std::max(applied, e.log_->last_lsn());
  e.applier_ = std::make_unique<Applier>(e.store_.get(), e.log_.get(), options.apply, applied);
  e.commit_log_ = std::make_unique<CommitLog>(e.log_.get(), options.policy, last);
  e.commit_log_->set_applier(e.applier_.get());
  CommitLog* commit_log = e.commit_log_.get();
  e.applier_->on_failure = [commit_log](const Status& st) { commit_log->Fail(st); };
  e.keyspace_ = std::make_unique<Keyspace>(e.store_.get(), commit_log, options.keyspace);
  // The replayed records are applied off the start path, as live ones are; until then the
  // table answers for their keys.
  TALLY_RETURN_IF_ERROR(e.keyspace_->Replay(replay));
  Lsn loaded_at_start = 0;  // the last replayed record of what is read from RocksDB at start
  size_t bytes = 0;
  for (const std::vector<Record>& group : replay) {
    bytes += Applier::Bytes(group);
    for (const Record& r : group) {
      if (r.db == kAlertDb || r.db == kFunctionDb) loaded_at_start = r.lsn;
    }
  }
  e.applier_->Reserve(bytes);
  for (std::vector<Record>& group : replay) e.applier_->Enqueue(std::move(group));
  if (options.apply_delay_for_testing.count() > 0)
    e.applier_->set_apply_delay_for_testing(options.apply_delay_for_testing);
  e.applier_->Start();
  e.commit_log_->Start();
  // Alert rules (and, in the server, FUNCTION libraries) are loaded from RocksDB.
  if (loaded_at_start != 0) TALLY_RETURN_IF_ERROR(e.applier_->WaitApplied(loaded_at_start));
  TALLY_RETURN_IF_ERROR(e.keyspace_->LoadAlerts());
  return engine;
}

Status Engine::Recover(const EngineOptions& options, std::vector<std::vector<Record>>* replay) {
  auto store = Store::Open(options.store);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  store_lsn_ = store_->recovered_lsn();
  auto log = Log::Open(options.log, store_lsn_, [&](std::vector<Record>& group) -> Status {
    replayed_ += group.size();
    replay->push_back(std::move(group));
    return Status::OK();
  });
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  if (replayed_ > 0) {
    spdlog::info("Replaying {} log records above LSN {} (the table holds them until applied)",
                 replayed_, store_lsn_);
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
