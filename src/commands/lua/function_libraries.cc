// Function libraries (Redis 7.0's functions.c and function_lua.c): FUNCTION LOAD runs a
// library's code in an environment that only has redis.register_function (and redis.log);
// the callbacks it registers then run with the same globals as EVAL scripts.
#include "engine_state.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// How long a library's code may run while loading (Redis's load timeout).
constexpr int64_t kLoadTimeoutMs = 500;

void LoadHook(lua_State* L, lua_Debug*) {
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kLoadKey);
  auto* lc = static_cast<lua::LoadContext*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (lc == nullptr || NowMs() <= lc->deadline_ms) return;
  lua_sethook(L, LoadHook, LUA_MASKLINE, 0);
  lua::PushError(L, errors::kFunctionLoadTimeout);
  lua_error(L);
}

// The "#!<engine> name=<library>" line: the library's name and where its code starts, or
// Redis's error text.
bool ParseMetadata(std::string_view code, std::string* name, size_t* body, std::string* error) {
  if (code.substr(0, 2) != "#!") {
    *error = errors::kLibraryMetadataMissing;
    return false;
  }
  size_t end = code.find('\n');
  *body = end == std::string_view::npos ? code.size() : end;
  auto parts = SplitArgs(code.substr(0, *body));
  if (!parts || parts->empty()) {
    *error = errors::kLibraryMetadataInvalid;
    return false;
  }
  std::string engine = (*parts)[0].substr(2);
  if (!EqualsIgnoreCase(engine, "lua")) {
    *error = errors::Fill(errors::kEngineNotFound, engine);
    return false;
  }
  for (size_t i = 1; i < parts->size(); ++i) {
    if ((*parts)[i].rfind("name=", 0) != 0) {
      *error = errors::Fill(errors::kLibraryMetadataValue, (*parts)[i]);
      return false;
    }
    *name = (*parts)[i].substr(5);
  }
  if (name->empty()) {
    *error = errors::kLibraryNameMissing;
    return false;
  }
  if (!lua::ValidName(*name)) {
    *error = errors::kLibraryNameInvalid;
    return false;
  }
  return true;
}

// Runs the compiled library on top of the stack; its registrations land in *lc and in the
// registry's pending table. False with the error text.
bool RunLibrary(lua_State* L, lua::Allocator* alloc, lua::LoadContext* lc, std::string* error) {
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kLoadEnvKey);
  lua_setfenv(L, -2);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, lua::kPendingKey);
  lua_pushlightuserdata(L, lc);
  lua_setfield(L, LUA_REGISTRYINDEX, lua::kLoadKey);
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, 100000);
  lua_pushcfunction(L, lua::ErrorHandler);
  lua_insert(L, -2);
  alloc->limit = alloc->used + (size_t{256} << 20);
  const int err = lua_pcall(L, 0, 0, -2);
  alloc->limit = 0;
  lua_sethook(L, nullptr, 0, 0);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, lua::kLoadKey);
  if (err != 0) {
    std::string msg = "unknown error";
    if (lua_istable(L, -1)) lua_getfield(L, -1, "err");
    if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
    *error = errors::Fill(errors::kFunctionRegister, msg);
  }
  lua_settop(L, 0);
  return err == 0;
}

}  // namespace

bool ScriptEngine::State::LoadLibrary(std::string_view code, bool replace,
                                      FunctionRef<Status(const std::string&)> persist,
                                      std::string* name, std::string* error) {
  size_t body = 0;
  if (!ParseMetadata(code, name, &body, error)) return false;
  if (libraries.count(*name) && !replace) {
    *error = errors::Fill(errors::kLibraryExists, *name);
    return false;
  }
  std::string_view text = code.substr(body);
  if (luaL_loadbuffer(L, text.data(), text.size(), "@user_function") != 0) {
    *error = errors::Fill(errors::kFunctionCompile, lua_tostring(L, -1));
    lua_settop(L, 0);
    return false;
  }
  lua::LoadContext lc;
  lc.deadline_ms = NowMs() + kLoadTimeoutMs;
  if (!RunLibrary(L, &alloc, &lc, error)) return false;
  if (lc.functions.empty()) {
    *error = errors::kNoFunctions;
    return false;
  }
  for (const auto& f : lc.functions) {
    auto it = functions.find(f.name);
    if (it != functions.end() && it->second.library != *name) {
      *error = errors::Fill(errors::kFunctionExists, f.name);
      return false;
    }
  }
  Status st = persist(*name);
  if (!st.ok()) {
    *error = st.message();
    return false;
  }
  DropLibrary(*name);
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kFunctionsKey);
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kPendingKey);
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kEnvKey);
  for (const auto& f : lc.functions) {  // functions: -3, pending: -2, env: -1
    lua_pushlstring(L, f.name.data(), f.name.size());
    lua_pushvalue(L, -1);
    lua_rawget(L, -4);
    lua_pushvalue(L, -3);  // ..., env, name, callback, env
    lua_setfenv(L, -2);
    lua_rawset(L, -5);
    functions[f.name] = Function{*name, f.no_writes};
  }
  lua_settop(L, 0);
  libraries[*name] = Library{std::string(code), std::move(lc.functions)};
  return true;
}

std::optional<std::string> ScriptEngine::LibraryNameOf(std::string_view code) {
  std::string name, error;
  size_t body = 0;
  if (!ParseMetadata(code, &name, &body, &error)) return std::nullopt;
  return name;
}

bool ScriptEngine::State::DropLibrary(const std::string& name) {
  auto it = libraries.find(name);
  if (it == libraries.end()) return false;
  lua_getfield(L, LUA_REGISTRYINDEX, lua::kFunctionsKey);
  for (const auto& f : it->second.functions) {
    lua_pushlstring(L, f.name.data(), f.name.size());
    lua_pushnil(L);
    lua_rawset(L, -3);
    functions.erase(f.name);
  }
  lua_settop(L, 0);
  libraries.erase(it);
  return true;
}

void ScriptEngine::CountLibraries() {
  libraries_.store(state_->libraries.size(), std::memory_order_relaxed);
  functions_.store(state_->functions.size(), std::memory_order_relaxed);
}

std::string ScriptEngine::LoadLibrary(std::string_view code, bool replace,
                                      FunctionRef<Status(const std::string&)> persist,
                                      std::string* error) {
  MutexLock l(&mu_);
  std::string name;
  const bool ok = state_->LoadLibrary(code, replace, persist, &name, error);
  CountLibraries();
  memory_.store(state_->alloc.used, std::memory_order_relaxed);
  return ok ? name : "";
}

bool ScriptEngine::DeleteLibrary(const std::string& name) {
  MutexLock l(&mu_);
  const bool found = state_->DropLibrary(name);
  CountLibraries();
  return found;
}

void ScriptEngine::FlushLibraries() {
  MutexLock l(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, lib] : state_->libraries) names.push_back(name);
  for (const auto& name : names) state_->DropLibrary(name);
  CountLibraries();
}

std::vector<ScriptEngine::LibraryInfo> ScriptEngine::Libraries() {
  MutexLock l(&mu_);
  std::vector<LibraryInfo> out;
  for (const auto& [name, lib] : state_->libraries) {
    LibraryInfo info{name, lib.code, {}};
    for (const auto& f : lib.functions)
      info.functions.push_back(FunctionInfo{f.name, f.description, f.no_writes});
    out.push_back(std::move(info));
  }
  return out;
}

ScriptEngine::Stats ScriptEngine::stats() const {
  Stats s;
  s.libraries = libraries_.load(std::memory_order_relaxed);
  s.functions = functions_.load(std::memory_order_relaxed);
  const int64_t started = started_ms_.load(std::memory_order_acquire);
  if (started != 0) {
    MutexLock l(&run_mu_);
    s.running = true;
    s.name = run_name_;
    s.command = run_command_;
    s.duration_ms = NowMs() - started;
  }
  return s;
}

}  // namespace tally
