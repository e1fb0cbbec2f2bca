// FuzzServer: a ServerContext over a real store in a temporary directory, for fuzz targets
// that run commands (one per process: the directory is left for the OS to clean).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tally/commands/command_table.h"

namespace tally {

class FuzzServer : public ServerContext {
 public:
  FuzzServer() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tally-fuzz-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    (void)config_.Set("proto-max-bulk-len", "1mb", false);
    // SAVE and BGSAVE fail fast (no flush and no directory per run).
    (void)config_.Set("backup-dir", "/dev/null/no-backups", false);
    StoreOptions so;
    so.path = dir_ + "/db";
    store_ = std::move(*Store::Open(so));
    log_ = std::make_unique<CommitLog>(store_.get(), FsyncPolicy::kNo, 0);
    log_->Start();
    keyspace_ = std::make_unique<Keyspace>(store_.get(), log_.get(), KeyspaceOptions{});
    backups_ = std::make_unique<Backups>(store_.get(), log_.get(), 0, 0);
    table_ = BuildCommandTable();
  }
  Config& config() override { return config_; }
  Keyspace& keyspace() override { return *keyspace_; }
  CommitLog& commit_log() override { return *log_; }
  Backups& backups() override { return *backups_; }
  LatencyMonitor& latency_monitor() override { return latency_monitor_; }
  PubSub& pubsub() override { return pubsub_; }
  ServerStats stats() override { return {}; }
  void ForEachSession(FunctionRef<void(const Session&)>) override {}
  void RequestShutdown() override {}
  const CommandTable& table() { return *table_; }

 private:
  std::string dir_;
  Config config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitLog> log_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<Backups> backups_;
  LatencyMonitor latency_monitor_;
  PubSub pubsub_;
  std::unique_ptr<CommandTable> table_;
};

}  // namespace tally
