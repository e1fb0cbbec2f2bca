// ServerContext: what commands may ask of the running server (the server layer implements it),
// so that the command layer needs no Asio and no sockets. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "tally/commands/pubsub.h"
#include "tally/commands/session.h"
#include "tally/storage/backup.h"
#include "tally/storage/commit_log.h"
#include "tally/storage/keyspace.h"
#include "tally/util/config.h"
#include "tally/util/function_ref.h"
#include "tally/util/latency_monitor.h"

namespace tally {

struct ServerStats {
  int64_t start_time_ms = 0;
  uint64_t connected_clients = 0;
  uint64_t total_connections = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_commands = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  int port = 0;
  int io_threads = 0;
  std::string run_id;       // 40 hex characters, new at every start
  std::string config_file;  // "" if none
  std::string executable;
};

class ScriptEngine;
class Acl;
class ClientPause;

class ServerContext {
 public:
  virtual ~ServerContext() = default;
  virtual Config& config() = 0;
  virtual Keyspace& keyspace() = 0;
  virtual CommitLog& commit_log() = 0;
  virtual Backups& backups() = 0;                 // SAVE, BGSAVE, LASTSAVE, INFO persistence
  virtual LatencyMonitor& latency_monitor() = 0;  // LATENCY LATEST/HISTORY/RESET
  virtual ServerStats stats() = 0;
  virtual PubSub& pubsub() = 0;  // SUBSCRIBE, PUBLISH, PUBSUB, alerts
  // EVAL and SCRIPT; nullptr where the server has no scripting.
  virtual ScriptEngine* scripts() { return nullptr; }
  // The ACL users; null where there are none (every command allowed).
  virtual Acl* acl() { return nullptr; }
  // CLIENT PAUSE's state; null where nothing can be paused.
  virtual ClientPause* client_pause() { return nullptr; }
  // Calls fn for every connected client's session.
  virtual void ForEachSession(FunctionRef<void(const Session&)> fn) = 0;
  // CLIENT KILL: closes every client whose session `match` accepts (after the command it is
  // running); returns how many.
  virtual size_t KillClients(FunctionRef<bool(const Session&)> match) {
    (void)match;
    return 0;
  }
  // Starts a graceful shutdown (stop accepting, commit, sync, close the store, exit 0).
  virtual void RequestShutdown() = 0;
  // MONITOR: whether any client monitors, and the line (FormatMonitorLine) to send to each.
  virtual bool has_monitors() const { return false; }
  virtual void FeedMonitors(std::string line) { (void)line; }
};

}  // namespace tally
