#include "tally/server/server.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/write.hpp>
#include <filesystem>
#include <random>

#include "../http/http_api.h"
#include "ack_waiters.h"
#include "connection.h"
#include "events.h"
#include "listener.h"
#include "log_sink.h"
#include "monitors.h"
#include "tally/commands/acl.h"
#include "tally/commands/scripting.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/strings.h"
#include "tally/util/thread_name.h"

#ifndef TALLY_VERSION
#define TALLY_VERSION "0.1.0"
#endif

namespace tally {

namespace {

std::string RandomRunId() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  const char* hex = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = hex[gen() % 16];
  return id;
}

// The log file's sink, reopened on SIGHUP (null when logging to standard output).
std::shared_ptr<ReopenableFileSink> log_file_sink;

void SetupLogging(const Config& config) {
  std::string file = config.Str(Opt::kLogfile);
  std::shared_ptr<spdlog::logger> logger;
  if (file.empty()) {
    logger = spdlog::stdout_color_mt("tallyd");
  } else {
    log_file_sink = std::make_shared<ReopenableFileSink>(file);
    logger = std::make_shared<spdlog::logger>("tallyd", log_file_sink);
    spdlog::register_logger(logger);
  }
  spdlog::set_default_logger(logger);
  static const spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                      spdlog::level::info, spdlog::level::warn};
  spdlog::set_level(kLevels[config.Int(Opt::kLoglevel)]);
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace

Server::Server(Config* config, std::string config_file, std::string executable)
    : config_(config),
      config_file_(std::move(config_file)),
      executable_(std::move(executable)),
      monitors_(std::make_unique<Monitors>()) {}

Server::~Server() = default;

StatusOr<std::unique_ptr<Server>> Server::Create(Config* config, std::string config_file,
                                                 std::string executable) {
  if (!spdlog::get("tallyd")) SetupLogging(*config);
  std::unique_ptr<Server> server(new Server(config, std::move(config_file), std::move(executable)));
  Status st = server->Open();
  if (!st.ok()) return st;
  return server;
}

Status Server::Open() {
  run_id_ = RandomRunId();
  start_time_ms_ = NowMs();
  auto t0 = NowMs();
  auto engine = Engine::Open(EngineOptionsFromConfig(*config_));
  if (!engine.ok()) {
    std::string advice;
    if (engine.status().code() == Status::Code::kCorruption) {
      advice =
          ". The write-ahead log or a data file is damaged somewhere other than its tail; "
          "tallyd refuses to start rather than skip acknowledged writes. Restore the "
          "directory from a backup, or move it aside to start empty";
    }
    return Status::IOError("cannot open the data store in " + config_->Str(Opt::kDir) + ": " +
                           engine.status().ToString() + advice);
  }
  engine_ = std::move(*engine);
  event_hub_ = std::make_unique<EventHub>();
  event_publisher_ =
      std::make_unique<EventPublisher>(engine_->commit_log(), &pubsub_, event_hub_.get(), config_);
  engine_->keyspace()->set_event_sink(event_publisher_.get());
  latency_monitor_.set_threshold_ms(config_->Int(Opt::kLatencyMonitorThreshold));
  engine_->commit_log()->set_latency_monitor(&latency_monitor_);
  backups_ = std::make_unique<Backups>(engine_->store(), engine_->commit_log(), start_time_ms_,
                                       engine_->commit_log()->last_lsn());
  commands_ = BuildCommandTable();
  acl_ = std::make_unique<Acl>(commands_.get());
  const std::vector<Config::UserLine> user_lines = config_->user_lines();
  if (const std::string aclfile = config_->Str(Opt::kAclfile); !aclfile.empty()) {
    if (!user_lines.empty()) return Status::InvalidArgument(errors::kAclFileAndUserLines);
    Status st = acl_->LoadFile(aclfile);
    if (!st.ok()) return Status::InvalidArgument("Error loading the ACL file: " + st.message());
  } else if (!user_lines.empty()) {
    TALLY_RETURN_IF_ERROR(acl_->LoadDeclarations(user_lines));
  }
  // requirepass is the default user's password (Redis: "requirepass x" is "resetpass >x").
  if (const std::string pass = config_->Str(Opt::kRequirepass); !pass.empty())
    acl_->SetDefaultPassword(pass);
  scripts_ = std::make_unique<ScriptEngine>();
  TALLY_RETURN_IF_ERROR(LoadFunctionLibraries(*engine_->store(), *scripts_));
  script_pool_ = std::make_unique<asio::thread_pool>(1);
  // A script's records are waited for by its connection, whose io thread leads their group
  // (AckWaiters): the script thread's appends need wake nobody, as an io thread's.
  asio::post(*script_pool_, [] {
    SetThreadName("tally-script");
    CommitLog::DeferWakeupsOnThisThread();
  });
  engine_->commit_log()->set_commit_delay_for_testing(
      std::chrono::milliseconds(config_->Int(Opt::kDebugCommitDelayMs)));
  engine_->applier()->set_apply_delay_for_testing(
      std::chrono::milliseconds(config_->Int(Opt::kDebugApplyDelayMs)));
  config_->SetListener([this](Opt o) -> Status {
    if (o == Opt::kAppendfsync)
      engine_->commit_log()->set_policy(static_cast<FsyncPolicy>(config_->Int(o)));
    if (o == Opt::kDebugCommitDelayMs)
      engine_->commit_log()->set_commit_delay_for_testing(
          std::chrono::milliseconds(config_->Int(o)));
    if (o == Opt::kRequirepass) acl_->SetDefaultPassword(config_->Str(o));
    if (o == Opt::kLatencyMonitorThreshold) latency_monitor_.set_threshold_ms(config_->Int(o));
    if (o == Opt::kHistoryKeys || o == Opt::kHistoryResolution || o == Opt::kHistoryRetention ||
        o == Opt::kHistoryKeepOnDelete) {
      engine_->keyspace()->history_policy()->Set(HistorySettingsFromConfig(*config_));
    }
    if (o == Opt::kDebugApplyDelayMs)
      engine_->applier()->set_apply_delay_for_testing(std::chrono::milliseconds(config_->Int(o)));
    if (IsTlsOption(o)) return ReloadTls();
    return Status::OK();
  });
  spdlog::info("Data store opened in {} in {} ms (RocksDB at LSN {}, {} log records replayed)",
               config_->Str(Opt::kDir), NowMs() - t0, engine_->store_lsn(),
               engine_->replayed_records());
  return Status::OK();
}

void Server::WaitSignals() {
  listeners_.front()->signals.async_wait([this](std::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      // logrotate renamed the file: write to a new one at the configured path.
      if (log_file_sink) log_file_sink->Reopen();
      spdlog::info("Received SIGHUP, log file reopened");
      WaitSignals();
      return;
    }
    spdlog::info("Received {}, scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    RequestShutdown();
  });
}

void Server::Unregister(uint64_t id) {
  MutexLock lock(&clients_mu_);
  clients_.erase(id);
  clients_cv_.SignalAll();
}

void Server::Housekeeping() {
  Listener* l = listeners_.front().get();
  l->housekeeping.expires_after(std::chrono::seconds(1));
  l->housekeeping.async_wait([this](std::error_code ec) {
    if (ec || stopping()) return;
    int64_t timeout = config_->Int(Opt::kTimeout);
    if (timeout > 0) {
      int64_t now = NowMs();
      MutexLock lock(&clients_mu_);
      for (auto& [id, c] : clients_) {
        if (now - c->session().last_interaction_ms.load() > timeout * 1000) c->Stop();
      }
    }
    Housekeeping();
  });
}

bool Server::has_monitors() const { return monitors_->active(); }

void Server::FeedMonitors(std::string line) { monitors_->Feed(line); }

void Server::NotifySupervisor(const char* state) {
  const std::string mode = config_->Get("supervised").front().second;
  // Upstart's "expect stop": the server stops itself once ready, as Redis does.
  if (mode == "upstart" && std::string_view(state).starts_with("READY")) raise(SIGSTOP);
  if (mode != "systemd" && !(mode == "auto" && getenv("NOTIFY_SOCKET") != nullptr)) return;
  if (sd_notify(0, state) < 0) spdlog::warn("sd_notify failed; is NOTIFY_SOCKET right?");
}

void Server::RunExpirer() {
  constexpr size_t kKeysPerCycle = 1000;
  while (!stopping()) {
    // As Redis: no key expires while clients are paused (a WRITE pause freezes the data).
    size_t handled = client_pause_.active(NowMs())
                         ? 0
                         : engine_->keyspace()->ActiveExpireCycle(NowMs(), kKeysPerCycle);
    // A full cycle means more are due: go on at once; else wait for the next tick.
    if (handled >= kKeysPerCycle) continue;
    MutexLock lock(&stop_mu_);
    if (!stopping())
      stop_cv_.WaitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
  }
}

void Server::CountBytes(uint64_t in, uint64_t out) {
  if (in) net_in_.fetch_add(in, std::memory_order_relaxed);
  if (out) net_out_.fetch_add(out, std::memory_order_relaxed);
}

ServerStats Server::stats() {
  ServerStats s;
  s.start_time_ms = start_time_ms_;
  {
    MutexLock lock(&clients_mu_);
    s.connected_clients = clients_.size();
  }
  s.total_connections = total_connections_.load();
  s.rejected_connections = rejected_connections_.load();
  s.total_commands = total_commands_.load();
  s.net_input_bytes = net_in_.load();
  s.net_output_bytes = net_out_.load();
  s.port = bound_port_;
  s.io_threads = static_cast<int>(io_.size());
  s.run_id = run_id_;
  s.config_file = config_file_;
  s.executable = executable_;
  return s;
}

void Server::ForEachSession(FunctionRef<void(const Session&)> fn) {
  MutexLock lock(&clients_mu_);
  for (auto& [id, c] : clients_) fn(c->session());
}

size_t Server::KillClients(FunctionRef<bool(const Session&)> match) {
  MutexLock lock(&clients_mu_);
  size_t n = 0;
  for (auto& [id, c] : clients_) {
    if (c->session().killed.load() || !match(c->session())) continue;
    c->session().killed.store(true);
    c->Stop();
    ++n;
  }
  return n;
}

asio::any_io_executor Server::script_executor() { return script_pool_->get_executor(); }

void Server::RequestShutdown() {
  // A script still running is stopped; what it wrote was never acknowledged and is dropped.
  if (scripts_) scripts_->Abort();
  {
    MutexLock lock(&stop_mu_);
    stopping_.store(true, std::memory_order_release);
  }
  stop_cv_.SignalAll();
}

Status Server::Run() {
  Status st = Listen();
  if (!st.ok()) return st;
  Listener* first = listeners_.front().get();
  first->signals.add(SIGINT);
  first->signals.add(SIGTERM);
  first->signals.add(SIGHUP);
  WaitSignals();
  Housekeeping();
  // Keep every io_context running while it has no socket yet.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  for (auto& io : io_) work.emplace_back(io->get_executor());
  for (auto& io : io_) {
    threads_.emplace_back([ctx = io.get()] {
      SetThreadName("tally-io");
      CommitLog::DeferWakeupsOnThisThread();
      ctx->run();
    });
  }
  expirer_ = std::thread([this] {
    SetThreadName("tally-expire");
    RunExpirer();
  });
  spdlog::info(
      "tallyd {} ready: port {}, http-port {}, bind {}, data dir {}, appendfsync {}, io-threads "
      "{}, "
      "tls-port {}",
      TALLY_VERSION, bound_port_, http_port_, config_->Str(Opt::kBind), config_->Str(Opt::kDir),
      FsyncPolicyName(engine_->commit_log()->policy()), io_.size(), tls_port_);
  NotifySupervisor("READY=1\nSTATUS=Ready to accept connections");
  {
    MutexLock lock(&stop_mu_);
    while (!stopping()) stop_cv_.Wait();
  }
  spdlog::info("Shutting down: no new connections; finishing in-flight commands");
  NotifySupervisor("STOPPING=1\nSTATUS=Committing and closing the store");
  asio::post(*io_[0], [this] {
    std::error_code ec;
    for (auto& l : listeners_) {
      l->acceptor.close(ec);
      l->housekeeping.cancel();
      l->signals.cancel(ec);
    }
  });
  {
    MutexLock lock(&clients_mu_);
    for (auto& [id, c] : clients_) c->Stop();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!clients_.empty() && std::chrono::steady_clock::now() < deadline)
      clients_cv_.WaitUntil(deadline);
  }
  for (auto& io : io_) io->stop();
  for (auto& t : threads_) t.join();
  script_pool_->join();
  if (expirer_.joinable()) expirer_.join();
  {
    MutexLock lock(&clients_mu_);
    clients_.clear();
  }
  backups_->Wait();  // a BGSAVE still running finishes first
  Status close_status = engine_->Close();
  if (!close_status.ok()) spdlog::error("Closing the store: {}", close_status.ToString());
  spdlog::info("tallyd is now ready to exit, bye bye...");
  return close_status;
}

}  // namespace tally
