// ScriptEngine: EVAL and its family, Redis 7.0's Lua scripting on Debian's Lua 5.1 (with the
// cjson and bit libraries Redis provides).
//
// One Lua state for the server. A script runs with every keyspace shard held
// (Keyspace::AtomicScope): no other command runs meanwhile, and all of its writes are one group
// of records (one durability wait; after a crash all of them are there or none). Scripts run one
// at a time; the engine's mutex serializes them.
//
// A script that runs longer than busy-reply-threshold makes other clients' commands fail with
// -BUSY (CommandTable::Dispatch asks busy()); SCRIPT KILL stops it unless it has written.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tally/util/function_ref.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct CommandContext;

class ScriptEngine {
 public:
  ScriptEngine();
  ~ScriptEngine();
  ScriptEngine(const ScriptEngine&) = delete;
  ScriptEngine& operator=(const ScriptEngine&) = delete;

  // How a script is named and what it may do.
  struct Call {
    std::string_view body_or_sha;  // EVAL: the body; EVALSHA: the SHA1 (any case); FCALL: the name
    bool by_sha = false;
    bool function = false;   // FCALL / FCALL_RO
    bool read_only = false;  // EVAL_RO / EVALSHA_RO
    std::span<const std::string_view> keys, args;
  };
  // Runs the script for `ctx` and writes its reply (or Redis's error) to ctx.reply; raises the
  // context's barrier to the LSN of what it wrote or read. Inside MULTI/EXEC it joins the
  // transaction's atomic scope instead of opening its own.
  void Run(CommandContext& ctx, const Call& call);

  // SCRIPT LOAD: compiles and caches `body`. Returns its SHA1 (40 lower-case hex characters),
  // or Redis's compile error text in *error.
  std::string Load(std::string_view body, std::string* error);
  // SCRIPT EXISTS for one SHA1.
  bool Exists(std::string_view sha);
  // SCRIPT FLUSH: forgets every cached script and starts a fresh Lua state.
  void Flush();

  // FUNCTION LOAD: runs the library's code ("#!lua name=<lib>" first), which registers its
  // functions with redis.register_function. `persist` is called with the library's name once
  // the code is good and before anything is replaced; its error fails the load. Returns the
  // name, or "" with Redis's error text in *error.
  std::string LoadLibrary(std::string_view code, bool replace,
                          FunctionRef<Status(const std::string&)> persist, std::string* error);
  // The library name a library's code declares ("#!lua name=<lib>"), if it is well formed.
  static std::optional<std::string> LibraryNameOf(std::string_view code);
  // FUNCTION DELETE: false if there is no such library.
  bool DeleteLibrary(const std::string& name);
  // FUNCTION FLUSH: forgets every library.
  void FlushLibraries();
  // FUNCTION LIST.
  struct FunctionInfo {
    std::string name;
    std::optional<std::string> description;
    bool no_writes = false;
  };
  struct LibraryInfo {
    std::string name, code;
    std::vector<FunctionInfo> functions;
  };
  std::vector<LibraryInfo> Libraries();
  // FUNCTION STATS; never waits for a running script.
  struct Stats {
    size_t libraries = 0, functions = 0;
    bool running = false;
    std::string name;                  // the running script's function name or SHA1
    std::vector<std::string> command;  // and the command that runs it
    int64_t duration_ms = 0;
  };
  Stats stats() const;
  // True while the running script is a function (its -BUSY names FUNCTION KILL).
  bool running_function() const { return running_function_.load(std::memory_order_acquire); }

  enum class KillResult { kNotBusy, kUnkillable, kKilled };
  // SCRIPT KILL: asks the running script to stop (it fails with "Script killed by user with
  // SCRIPT KILL..."). Refused if no script runs or if it has written.
  KillResult Kill();
  // SHUTDOWN while a script runs: it stops at its next check even if it wrote, and its writes
  // are dropped (never logged).
  void Abort();

  // True while a script runs; busy() once it has run for longer than `threshold_ms`.
  bool running() const { return started_ms_.load(std::memory_order_acquire) != 0; }
  bool busy(int64_t threshold_ms) const;
  // INFO: bytes the Lua state uses, and how many scripts are cached.
  size_t memory() const;
  size_t cached() const;

 private:
  struct State;  // the Lua state, the cache (script_engine.cc)
  mutable Mutex mu_;
  std::unique_ptr<State> state_ GUARDED_BY(mu_);
  std::atomic<int64_t> started_ms_{0};  // when the running script began (0: none)
  std::atomic<bool> kill_{false};       // SCRIPT KILL asked
  std::atomic<bool> abort_{false};      // SHUTDOWN asked
  std::atomic<bool> wrote_{false};      // the running script has written
  std::atomic<size_t> memory_{0};
  std::atomic<size_t> cached_{0};
  std::atomic<size_t> libraries_{0}, functions_{0};
  std::atomic<bool> running_function_{false};
  mutable Mutex run_mu_;  // what FUNCTION STATS shows of the running script
  std::string run_name_ GUARDED_BY(run_mu_);
  std::vector<std::string> run_command_ GUARDED_BY(run_mu_);
  // Publishes the state's library and function counts. REQUIRES: mu_ held.
  void CountLibraries() EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace tally
