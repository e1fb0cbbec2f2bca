// ScriptEngine (scripting.h): the script cache, one run of a script, SCRIPT KILL.
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <unordered_map>

#include "engine_state.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// Lua may use this much memory while a script runs; past it an allocation fails and the
// script with it ("not enough memory"), instead of the server.
constexpr size_t kScriptMemoryLimit = size_t{256} << 20;
// How many instructions run between checks for SCRIPT KILL (Redis's figure).
constexpr int kHookInstructions = 100000;
// A full GC step every this many runs (Redis's LUA_GC_CYCLE_PERIOD).
constexpr int kGcPeriod = 50;

std::string Sha1Hex(std::string_view body) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// The count hook: stops the script once SCRIPT KILL or SHUTDOWN asked. From then on it fires
// on every line, so a script cannot catch the error with pcall and go on.
void KillHook(lua_State* L, lua_Debug*) {
  lua::RunContext* rc = lua::CurrentRun(L);
  if (rc == nullptr) return;
  if (!rc->kill->load(std::memory_order_acquire) && !rc->abort->load(std::memory_order_acquire))
    return;
  lua_sethook(L, KillHook, LUA_MASKLINE, 0);
  lua::PushError(L, errors::kScriptKilled);
  lua_error(L);
}

void PushArray(lua_State* L, std::span<const std::string_view> items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

// Sets `name` in the environment table on top of the stack to an array of `items` (nil if
// null), raw: the environment is read-only to scripts.
void SetGlobalArray(lua_State* L, const char* name,
                    const std::span<const std::string_view>* items) {
  lua_pushstring(L, name);
  if (items == nullptr) {
    lua_pushnil(L);
  } else {
    PushArray(L, *items);
  }
  lua_rawset(L, -3);
}

// The flags of a "#!lua flags=..." first line (Redis 7's evalExtractShebangFlags). Returns the
// number of bytes before the line's '\n' (0 without a shebang), or an error text.
struct Shebang {
  size_t length = 0;
  bool no_writes = false;
};
std::optional<Shebang> ParseShebang(std::string_view body, std::string* error) {
  Shebang s;
  if (body.substr(0, 2) != "#!") return s;
  size_t end = body.find('\n');
  if (end == std::string_view::npos) {
    *error = errors::kShebangInvalid;
    return std::nullopt;
  }
  s.length = end;
  auto split = SplitArgs(body.substr(0, end));
  if (!split || split->empty()) {
    *error = errors::kShebangEngineInvalid;
    return std::nullopt;
  }
  const std::vector<std::string>& parts = *split;
  if (parts[0] != "#!lua") {
    *error = errors::Fill(errors::kShebangEngineUnexpected, parts[0]);
    return std::nullopt;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].rfind("flags=", 0) != 0) {
      *error = errors::Fill(errors::kShebangOption, parts[i]);
      return std::nullopt;
    }
    std::string_view flags = std::string_view(parts[i]).substr(6);
    while (!flags.empty()) {
      size_t comma = flags.find(',');
      std::string_view flag = flags.substr(0, comma);
      flags.remove_prefix(comma == std::string_view::npos ? flags.size() : comma + 1);
      if (flag == "no-writes") {
        s.no_writes = true;
      } else if (flag != "allow-oom" && flag != "allow-stale" && flag != "no-cluster" &&
                 flag != "allow-cross-slot-keys" && !flag.empty()) {
        *error = errors::Fill(errors::kShebangFlag, flag);
        return std::nullopt;
      }
    }
  }
  return s;
}

}  // namespace

ScriptEngine::State::State() : L(lua::NewState(&alloc)) {
  if (L == nullptr) {
    spdlog::critical("Could not create the Lua state for scripting");
    std::abort();
  }
}

ScriptEngine::State::~State() { lua_close(L); }

bool ScriptEngine::State::Compile(const std::string& sha, std::string_view body,
                                  std::string* error) {
  auto shebang = ParseShebang(body, error);
  if (!shebang) return false;
  std::string_view code = body.substr(shebang->length);
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_script") != 0) {
    *error = errors::kScriptCompile;
    *error += lua_tostring(L, -1);
    lua_pop(L, 1);
    return false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kEnvKey);
  lua_setfenv(L, -2);
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kScriptsKey);
  lua_pushlstring(L, sha.data(), sha.size());
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
  scripts[sha] = shebang->no_writes;
  return true;
}

ScriptEngine::ScriptEngine() : state_(std::make_unique<State>()) {
  memory_.store(state_->alloc.used, std::memory_order_relaxed);
}

ScriptEngine::~ScriptEngine() = default;

bool ScriptEngine::busy(int64_t threshold_ms) const {
  int64_t started = started_ms_.load(std::memory_order_acquire);
  return started != 0 && NowMs() - started >= threshold_ms;
}

size_t ScriptEngine::memory() const { return memory_.load(std::memory_order_relaxed); }
size_t ScriptEngine::cached() const { return cached_.load(std::memory_order_relaxed); }

std::string ScriptEngine::Load(std::string_view body, std::string* error) {
  std::string sha = Sha1Hex(body);
  MutexLock l(&mu_);
  if (!state_->scripts.count(sha) && !state_->Compile(sha, body, error)) return "";
  cached_.store(state_->scripts.size(), std::memory_order_relaxed);
  return sha;
}

bool ScriptEngine::Exists(std::string_view sha) {
  MutexLock l(&mu_);
  return state_->scripts.count(ToLower(sha)) > 0;
}

void ScriptEngine::Flush() {
  MutexLock l(&mu_);
  // A fresh state; the function libraries stay (their code runs again in it).
  auto libraries = std::move(state_->libraries);
  state_ = std::make_unique<State>();
  for (const auto& [name, lib] : libraries) {
    std::string loaded, error;
    state_->LoadLibrary(
        lib.code, true, [](const std::string&) { return Status::OK(); }, &loaded, &error);
  }
  CountLibraries();
  cached_.store(0, std::memory_order_relaxed);
  memory_.store(state_->alloc.used, std::memory_order_relaxed);
}

ScriptEngine::KillResult ScriptEngine::Kill() {
  if (!running()) return KillResult::kNotBusy;
  if (wrote_.load(std::memory_order_acquire)) return KillResult::kUnkillable;
  kill_.store(true, std::memory_order_release);
  return KillResult::kKilled;
}

void ScriptEngine::Abort() {
  if (running()) abort_.store(true, std::memory_order_release);
}

void ScriptEngine::Run(CommandContext& ctx, const Call& call) {
  MutexLock l(&mu_);
  State& st = *state_;
  // `name`: the SHA1 of a script or the name of a function, as errors cite it.
  std::string name;
  bool no_writes = false;
  if (call.function) {
    name = call.body_or_sha;
    auto f = st.functions.find(name);
    if (f == st.functions.end()) return ctx.reply.Error(errors::kFunctionNotFound);
    if (call.read_only && !f->second.no_writes) return ctx.reply.Error(errors::kFunctionWriteInRo);
    no_writes = f->second.no_writes;
  } else {
    name = call.by_sha ? ToLower(call.body_or_sha) : Sha1Hex(call.body_or_sha);
    auto it = st.scripts.find(name);
    if (it == st.scripts.end()) {
      if (call.by_sha) return ctx.reply.Error(errors::kNoScript);
      std::string error;
      if (!st.Compile(name, call.body_or_sha, &error)) return ctx.reply.Error(error);
      cached_.store(st.scripts.size(), std::memory_order_relaxed);
      it = st.scripts.find(name);
    }
    no_writes = it->second;
  }
  const std::string& sha = name;
  std::optional<Keyspace::AtomicScope> scope;
  lua::RunContext rc;
  rc.caller = &ctx;
  rc.keyspace = &AtomicKeyspace(ctx, &scope);
  {  // the script's calls run as the caller's user
    rc.session.user = ctx.session.user;
    rc.session.user_generation = ctx.session.user_generation;
    std::string user = ctx.session.UserName();
    MutexLock l(&rc.session.mu);
    rc.session.user_name = std::move(user);
  }
  rc.session.db.store(ctx.db(), std::memory_order_relaxed);
  rc.session.authenticated.store(true, std::memory_order_relaxed);
  rc.session.script_client = true;
  rc.session.addr = ctx.session.addr;
  rc.read_only = call.read_only || no_writes;
  rc.wrote = &wrote_;
  rc.kill = &kill_;
  rc.abort = &abort_;
  kill_.store(false, std::memory_order_relaxed);
  abort_.store(false, std::memory_order_relaxed);
  wrote_.store(false, std::memory_order_relaxed);
  {
    MutexLock run(&run_mu_);
    run_name_ = name;
    run_command_.assign(ctx.args.begin(), ctx.args.end());
  }
  running_function_.store(call.function, std::memory_order_release);
  started_ms_.store(NowMs(), std::memory_order_release);

  lua_State* L = st.L;
  lua_pushlightuserdata(L, &rc);
  lua_setfield(L, LUA_REGISTRYINDEX, lua::kRunKey);
  lua_sethook(L, KillHook, LUA_MASKCOUNT, kHookInstructions);
  lua_pushcfunction(L, lua::ErrorHandler);
  lua_getfield(L, LUA_REGISTRYINDEX, call.function ? lua::kFunctionsKey : lua::kScriptsKey);
  lua_pushlstring(L, name.data(), name.size());
  lua_rawget(L, -2);
  lua_remove(L, -2);
  // An EVAL script sees KEYS and ARGV as globals; a function gets them as arguments and sees
  // no such globals.
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kEnvKey);
  SetGlobalArray(L, "KEYS", call.function ? nullptr : &call.keys);
  SetGlobalArray(L, "ARGV", call.function ? nullptr : &call.args);
  lua_pop(L, 1);
  if (call.function) {  // fn(keys, args)
    PushArray(L, call.keys);
    PushArray(L, call.args);
  }
  const int nargs = call.function ? 2 : 0;
  st.alloc.limit = st.alloc.used + kScriptMemoryLimit;
  const int err = lua_pcall(L, nargs, 1, -2 - nargs);
  st.alloc.limit = 0;
  if (err == 0) {
    lua::WriteReply(L, ctx.reply, rc.resp);
  } else if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    std::string msg = "-";
    msg += lua_isstring(L, -3) ? lua_tostring(L, -3) : "ERR unknown error";
    if (lua_isstring(L, -2) && lua_isstring(L, -1)) {
      msg += " script: " + sha + ", on ";
      msg += lua_tostring(L, -2);
      msg += ":";
      msg += lua_tostring(L, -1);
      msg += ".";
    }
    ctx.reply.Error(msg);
  } else {
    const char* what = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
    ctx.reply.Error(
        errors::Fill(errors::kScriptRunError, sha, std::string_view(what).substr(0, 100)));
  }
  lua_settop(L, 0);
  lua_sethook(L, nullptr, 0, 0);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, lua::kRunKey);
  if (++st.runs % kGcPeriod == 0) lua_gc(L, LUA_GCSTEP, kGcPeriod);
  memory_.store(st.alloc.used, std::memory_order_relaxed);
  started_ms_.store(0, std::memory_order_release);
  running_function_.store(false, std::memory_order_release);
  if (scope) {
    // SHUTDOWN stopped a script that wrote: its writes were never acknowledged and are dropped,
    // as Redis never propagates a script it did not finish.
    if (abort_.load(std::memory_order_acquire)) scope->Abandon();
    ctx.WaitFor(scope->Commit());
  }
}

}  // namespace tally
