// An in-process ServerContext over a real RocksDB store in a temporary directory, for keyspace
// and command tests: Run({"incr", "k"}) returns the reply bytes (":1\r\n"), after waiting, as a
// connection would, for the LSN the reply depends on.
#pragma once

#include <future>
#include <memory>

#include "tally/commands/command_table.h"
#include "tally/commands/scripting.h"
#include "tally/util/clock.h"
#include "test_util.h"

namespace tally::test {

// Passes records to the store until told to fail, like a disk that starts returning EIO.
class FailableWriter : public RecordWriter {
 public:
  explicit FailableWriter(RecordWriter* inner) : inner_(inner) {}
  Status Write(std::span<const Record> records, bool sync) override {
    if (fail) return Status::IOError("injected EIO on WAL write");
    return inner_->Write(records, sync);
  }
  Status Sync() override { return fail ? Status::IOError("injected EIO on sync") : inner_->Sync(); }
  std::atomic<bool> fail{false};

 private:
  RecordWriter* inner_;
};

class TestServer : public ServerContext {
 public:
  explicit TestServer(const std::string& dir, FsyncPolicy policy = FsyncPolicy::kAlways)
      : dir_(dir), policy_(policy) {
    EXPECT_OK(config_.Set("dir", dir, false));  // SAVE and BGSAVE write under it
    Open();
  }
  ~TestServer() override { Close(); }

  KeyspaceOptions keyspace_options;  // taken at the next Open()

  void Open() {
    StoreOptions so;
    so.path = dir_ + "/db";
    so.databases = static_cast<int>(config_.Int(Opt::kDatabases));
    auto store = Store::Open(so);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    writer_ = std::make_unique<FailableWriter>(store_.get());
    log_ = std::make_unique<CommitLog>(writer_.get(), policy_, store_->recovered_lsn());
    log_->Start();
    keyspace_ = std::make_unique<Keyspace>(store_.get(), log_.get(), keyspace_options);
    backups_ = std::make_unique<Backups>(store_.get(), log_.get(), NowMs(), log_->last_lsn());
    table_ = BuildCommandTable();
    session_ = std::make_unique<Session>();
    session_->authenticated = config_.Str(Opt::kRequirepass).empty();
  }
  // A clean stop (log drained and synced, store closed), as SHUTDOWN does.
  void Close() {
    if (!log_) return;
    backups_.reset();
    Status st = log_->Stop();
    if (!writer_->fail) EXPECT_OK(st);
    keyspace_.reset();
    log_.reset();
    EXPECT_OK(store_->Close());
    store_.reset();
  }
  void Restart() {
    Close();
    Open();
  }

  // Runs one command in the test session and returns its reply bytes.
  std::string Run(std::vector<std::string> argv) {
    std::vector<std::string_view> args(argv.begin(), argv.end());
    std::string out;
    ReplyWriter writer(&out);
    writer.set_protocol(session_->resp.load());
    CommandContext ctx{args, *session_, writer, *this};
    table_->Dispatch(ctx);
    std::promise<Status> acked;
    log_->WhenAcked(ctx.barrier, [&](Status st) { acked.set_value(st); });
    Status st = acked.get_future().get();
    if (!st.ok()) return "<not acknowledged: " + st.ToString() + ">";
    return out;
  }

  Session& session() { return *session_; }
  // Makes every later WAL write and sync fail.
  void FailDisk() { writer_->fail = true; }
  Config& config() override { return config_; }
  Keyspace& keyspace() override { return *keyspace_; }
  CommitLog& commit_log() override { return *log_; }
  Backups& backups() override { return *backups_; }
  LatencyMonitor& latency_monitor() override { return latency_monitor_; }
  PubSub& pubsub() override { return pubsub_; }
  ScriptEngine* scripts() override { return &scripts_; }
  ServerStats stats() override { return ServerStats{}; }
  void ForEachSession(FunctionRef<void(const Session&)> fn) override { fn(*session_); }
  void RequestShutdown() override { shutdown_requested = true; }
  bool shutdown_requested = false;

 private:
  std::string dir_;
  FsyncPolicy policy_;
  Config config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FailableWriter> writer_;
  std::unique_ptr<CommitLog> log_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<Backups> backups_;
  LatencyMonitor latency_monitor_;
  PubSub pubsub_;
  ScriptEngine scripts_;
  std::unique_ptr<CommandTable> table_;
  std::unique_ptr<Session> session_;
};

}  // namespace tally::test
