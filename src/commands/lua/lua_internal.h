// The parts of the Lua scripting engine (scripting.h) that talk to Lua's C API.
//
// Lua 5.1 raises errors with longjmp, which skips C++ destructors. So every function here that
// may raise a Lua error keeps no C++ object with a destructor alive across the raising call:
// what outlives one call (argument buffers, the reply of a redis.call) lives in the RunContext.
#pragma once

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tally/commands/command_table.h"
#include "tally/commands/session.h"
#include "tally/protocol/reply_writer.h"

namespace tally::lua {

// What a running script's redis.* functions need, kept in the Lua registry while it runs.
struct RunContext {
  CommandContext* caller = nullptr;  // the EVAL; its barrier collects the calls' LSNs
  Keyspace* keyspace = nullptr;      // the script's transaction view; its calls run in it
  Session session;                   // the script's own client (its database, its protocol)
  std::string reply;                 // the last redis.call's reply, as protocol bytes
  ReplyWriter writer{&reply};
  std::vector<std::string> numbers;  // arguments formatted from Lua numbers
  std::vector<std::string_view> argv;
  std::string error;  // why a call was refused before running
  bool read_only = false;
  int resp = 2;  // redis.setresp
  std::atomic<bool>* wrote = nullptr;
  std::atomic<bool>* kill = nullptr;
  std::atomic<bool>* abort = nullptr;
};

// Memory accounting for the state (lua_newstate's allocator): allocations past `limit` fail,
// which Lua reports as "not enough memory".
struct Allocator {
  size_t used = 0;
  size_t limit = 0;
};

// A new state with Redis's libraries, the redis.* API and the sandbox: no os/io/loadfile/debug,
// globals read-only, library tables read-only, reads of unknown globals fail with Redis's text.
// Scripts run with the environment kept at registry key kEnvKey. Returns nullptr on failure.
lua_State* NewState(Allocator* alloc);
// Opens the `cmsgpack` library (lua_cmsgpack.cc) and leaves its table on the stack.
int OpenCmsgpack(lua_State* L);
// Opens the `struct` library (lua_struct.cc) and leaves its table on the stack.
int OpenStruct(lua_State* L);
inline constexpr const char* kEnvKey = "tally_env";
inline constexpr const char* kRunKey = "tally_run";
inline constexpr const char* kScriptsKey = "tally_scripts";      // sha -> compiled function
inline constexpr const char* kLoadEnvKey = "tally_load_env";     // what FUNCTION LOAD's code sees
inline constexpr const char* kFunctionsKey = "tally_functions";  // function name -> callback
inline constexpr const char* kLoadKey = "tally_load";            // the LoadContext of a LOAD
inline constexpr const char* kPendingKey = "tally_pending";      // callbacks a LOAD registered

// A function redis.register_function declared.
struct FunctionDecl {
  std::string name;
  std::optional<std::string> description;
  bool no_writes = false;
};
// What FUNCTION LOAD's code registers (its callbacks wait in the registry's kPendingKey).
struct LoadContext {
  std::vector<FunctionDecl> functions;
  int64_t deadline_ms = 0;  // past it the load fails ("FUNCTION LOAD timeout")
};
// redis.register_function (functions.cc).
int RegisterFunction(lua_State* L);
// Redis's rule for library and function names: letters, digits and '_', at least one.
bool ValidName(std::string_view name);

// The running script's context (nullptr outside a script).
RunContext* CurrentRun(lua_State* L);

// Redis's error-handler: turns any error into {err=..., source=..., line=...}.
int ErrorHandler(lua_State* L);
// luaPushErrorBuff: pushes {err="CODE msg"}: a text starting with '-' carries its code, any
// other gets "ERR "; a trailing CR/LF is trimmed.
void PushError(lua_State* L, std::string_view text);
// Pushes a RESP2/RESP3 reply (redisProtocolToLuaType) and advances `*bytes` past it.
void PushReply(lua_State* L, std::string_view* bytes);
// Consumes the value on top of the stack as the script's reply (luaReplyToRedisReply);
// `script_resp` is the protocol the script chose with redis.setresp; `depth` how deep in the
// reply the value is.
void WriteReply(lua_State* L, ReplyWriter& out, int script_resp, int depth = 0);
// Registers the redis.* table (redis_api.cc) into the table on top of the stack.
void RegisterRedisApi(lua_State* L);

}  // namespace tally::lua
