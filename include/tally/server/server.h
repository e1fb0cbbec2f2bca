// Server: wires the parts together. It opens the Store (recovering the WAL) before accepting
// connections, starts the CommitLog's thread, runs `io-threads` Asio io_contexts (one thread
// each) and deals accepted sockets to them round-robin; each connection is one coroutine.
//
// Run() blocks until a graceful shutdown (SIGTERM, SIGINT or SHUTDOWN): stop accepting, let each
// connection finish the batch it is executing (replies included), commit and sync everything
// queued, close RocksDB. Thread-safe where ServerContext requires it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tally/commands/client_pause.h"
#include "tally/commands/command_table.h"
#include "tally/commands/server_context.h"
#include "tally/storage/commit_log.h"
#include "tally/storage/engine.h"
#include "tally/storage/keyspace.h"
#include "tally/storage/store.h"
#include "tally/util/config.h"
#include "tally/util/histogram.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace asio {
class io_context;
class thread_pool;
namespace ssl {
class context;
}  // namespace ssl
}  // namespace asio

namespace tally {

class AckWaiters;
class Client;
class HttpApi;
class Monitors;
class EventHub;
class EventPublisher;
struct Listener;

// What a listening port serves.
enum class ListenKind { kResp, kTls, kHttp };

class Server : public ServerContext {
 public:
  // Sets up logging from the config and opens the store. `config` must outlive the server.
  static StatusOr<std::unique_ptr<Server>> Create(Config* config, std::string config_file,
                                                  std::string executable);
  ~Server() override;

  // Serves until shutdown. Returns the first storage failure seen while stopping, if any.
  Status Run();

  // ServerContext.
  Config& config() override { return *config_; }
  Keyspace& keyspace() override { return *engine_->keyspace(); }
  CommitLog& commit_log() override { return *engine_->commit_log(); }
  Backups& backups() override { return *backups_; }
  LatencyMonitor& latency_monitor() override { return latency_monitor_; }
  PubSub& pubsub() override { return pubsub_; }
  ScriptEngine* scripts() override { return scripts_.get(); }
  Acl* acl() override { return acl_.get(); }
  ClientPause* client_pause() override { return &client_pause_; }
  // Where scripts run (one thread), off the io threads, which go on serving while one runs.
  asio::any_io_executor script_executor();
  ServerStats stats() override;
  void ForEachSession(FunctionRef<void(const Session&)> fn) override;
  size_t KillClients(FunctionRef<bool(const Session&)> match) override;
  void RequestShutdown() override;
  bool has_monitors() const override;
  void FeedMonitors(std::string line) override;
  Monitors& monitors() { return *monitors_; }
  EventHub& event_hub() { return *event_hub_; }  // the HTTP event streams' listeners

  // For connections and the HTTP API.
  const CommandTable& commands() const { return *commands_; }
  Store& store() { return *engine_->store(); }
  // Request latency, arrival to reply sent, per protocol (for /metrics).
  Histogram& resp_latency() { return resp_latency_; }
  Histogram& http_latency() { return http_latency_; }
  // The bound HTTP port (0 if the API is off).
  int http_port() const { return http_port_; }
  void CountCommand() { total_commands_.fetch_add(1, std::memory_order_relaxed); }
  void CountBytes(uint64_t in, uint64_t out);
  void Unregister(uint64_t id);
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // The plain RESP port bound (0 with "port 0": TLS only).
  int bound_port() const { return bound_port_; }

 private:
  Server(Config* config, std::string config_file, std::string executable);
  Status Open();
  Status Listen();
  // Opens a listener of `kind` on every `bind` address for `port`; returns the port bound.
  StatusOr<int> ListenOn(int port, ListenKind kind);
  // CONFIG SET tls-*: builds a context from the options now set and gives it to new TLS
  // clients. Without a TLS port, nothing to do (as Redis). On failure the reason is logged, the
  // old context stays, and the error is Redis's "Unable to update TLS configuration...".
  Status ReloadTls();
  std::shared_ptr<asio::ssl::context> TlsContext() const;
  void StartAccepting(Listener* listener);
  void OnAccepted(std::shared_ptr<Client> client, asio::awaitable<void> run,
                  asio::any_io_executor executor);
  void Housekeeping();
  // SIGINT/SIGTERM: graceful shutdown; SIGHUP: reopen the log file. Re-arms itself.
  void WaitSignals();
  void RunExpirer();
  // With `supervised systemd` (or auto and $NOTIFY_SOCKET set), tells systemd `state`; with
  // upstart, stops itself (SIGSTOP) when ready.
  void NotifySupervisor(const char* state);

  Config* const config_;
  const std::string config_file_;
  const std::string executable_;
  std::string run_id_;
  int64_t start_time_ms_ = 0;
  int bound_port_ = 0;

  LatencyMonitor latency_monitor_;  // outlives engine_, whose commit log reports to it
  std::unique_ptr<Monitors> monitors_;
  PubSub pubsub_;
  std::unique_ptr<EventHub> event_hub_;
  std::unique_ptr<EventPublisher> event_publisher_;  // outlives engine_'s commit log callbacks
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Backups> backups_;  // before engine_ goes: it may be taking one
  std::unique_ptr<CommandTable> commands_;
  ClientPause client_pause_;
  std::unique_ptr<Acl> acl_;  // after commands_, whose table it points into
  std::unique_ptr<ScriptEngine> scripts_;
  std::unique_ptr<asio::thread_pool> script_pool_;
  std::unique_ptr<HttpApi> http_api_;
  int http_port_ = 0;
  // With a tls-port: what new TLS clients' streams are made from. CONFIG SET tls-* swaps it
  // (ReloadTls); a stream keeps the context it was made from.
  mutable Mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_context_ GUARDED_BY(tls_mu_);
  int tls_port_ = 0;
  Histogram resp_latency_{Histogram::LatencyBounds()};
  Histogram http_latency_{Histogram::LatencyBounds()};

  std::vector<std::unique_ptr<asio::io_context>> io_;
  std::vector<std::shared_ptr<AckWaiters>> acks_;  // one per io_context
  std::vector<std::thread> threads_;
  std::thread expirer_;  // active expiry, every 100 ms (Redis's hz 10)
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::atomic<size_t> next_io_{0};

  Mutex clients_mu_;
  CondVar clients_cv_{&clients_mu_};  // signalled when a client leaves
  std::unordered_map<uint64_t, std::shared_ptr<Client>> clients_ GUARDED_BY(clients_mu_);
  std::atomic<uint64_t> next_client_id_{1};

  Mutex stop_mu_;
  CondVar stop_cv_{&stop_mu_};  // signalled by RequestShutdown
  std::atomic<bool> stopping_{false};

  std::atomic<uint64_t> total_connections_{0}, rejected_connections_{0}, total_commands_{0};
  std::atomic<uint64_t> net_in_{0}, net_out_{0};
};

}  // namespace tally
