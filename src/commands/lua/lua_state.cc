// The Lua state scripts run in: Redis's libraries and its sandbox, on Debian's Lua 5.1.
//
// Redis 7.0 builds its own Lua with read-only tables. Stock Lua has none, so the same rules are
// made of metatables: scripts run in an empty environment table whose reads fall through to the
// globals, and whose writes fail; library tables are replaced by read-only proxies; rawset,
// load and loadstring are wrapped so they cannot reach around either.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

#include "lua_internal.h"

extern "C" {
#include <lua-bitop.h>
#include <lua-cjson.h>
}

namespace tally::lua {
namespace {

void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* a = static_cast<Allocator*>(ud);
  if (nsize == 0) {
    std::free(ptr);
    a->used -= osize;
    return nullptr;
  }
  if (nsize > osize && a->limit != 0 && a->used + (nsize - osize) > a->limit) return nullptr;
  void* p = std::realloc(ptr, nsize);
  if (p != nullptr) a->used = a->used - osize + nsize;
  return p;
}

// Runs with every library loaded and the redis table in place; leaves the sandbox behind.
constexpr const char* kSandbox = R"lua(
local register_function = ...
local G, env = _G, {}
local R = redis
local setmetatable, setfenv, rawset, loadstring = setmetatable, setfenv, rawset, loadstring
local type, error, tostring, concat = type, error, tostring, table.concat
debug.getmetatable('').__metatable = false
for _, name in ipairs({'os', 'io', 'package', 'require', 'module', 'dofile', 'loadfile',
                       'print', 'debug', 'getfenv', 'setfenv'}) do
  G[name] = nil
end
local protected = {}
local function deny() error('Attempt to modify a readonly table', 2) end
local function readonly(orig)
  local proxy = {}
  protected[proxy], protected[orig] = true, true
  return setmetatable(proxy, {__index = orig, __newindex = deny, __metatable = false})
end
G.rawset = function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end
local function safe_loadstring(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then
    return nil, 'loading Lua bytecode is not allowed'
  end
  local f, e = loadstring(s, name)
  if f then setfenv(f, env) end
  return f, e
end
G.loadstring = safe_loadstring
G.load = function(reader, name)
  if type(reader) ~= 'function' then return safe_loadstring(reader, name) end
  local parts = {}
  while true do
    local p = reader()
    if p == nil or p == '' then break end
    parts[#parts + 1] = p
  end
  return safe_loadstring(concat(parts), name)
end
for _, name in ipairs({'string', 'math', 'table', 'cjson', 'bit', 'cmsgpack', 'struct', 'redis', 'coroutine'}) do
  G[name] = readonly(G[name])
end
local function nonexistent(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
-- What a FUNCTION LOAD library's code sees: only the registration API.
local load_api = {
  register_function = register_function, log = R.log, LOG_DEBUG = R.LOG_DEBUG,
  LOG_VERBOSE = R.LOG_VERBOSE, LOG_NOTICE = R.LOG_NOTICE, LOG_WARNING = R.LOG_WARNING,
  REDIS_VERSION = R.REDIS_VERSION, REDIS_VERSION_NUM = R.REDIS_VERSION_NUM}
local load_redis = setmetatable({}, {__newindex = deny, __metatable = false,
  __index = function(_, k)
    local v = load_api[k]
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end})
protected[load_redis] = true
local load_env = setmetatable({redis = load_redis},
  {__index = nonexistent, __newindex = deny, __metatable = false})
protected[env], protected[G] = true, true
G._G = env
setmetatable(G, {__newindex = deny, __metatable = false, __index = nonexistent})
setmetatable(env, {__index = G, __newindex = deny, __metatable = false})
return env, load_env
)lua";

// Opens a library; one that only returns its table (lua-cjson) is made the global `name`.
void OpenLib(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (*name != '\0' && lua_istable(L, -1)) {
    lua_setglobal(L, name);
  } else {
    lua_pop(L, 1);
  }
}

// Redis's pcall: an error that is a table with an "err" string becomes that string, so that
// scripts written for Redis < 7 see the text they expect.
int RedisPcall(lua_State* L) {
  int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// Redis's math.random: its own generator (the same sequence everywhere), seeded per state.
uint64_t rand_state = 0x1234ABCD330E;
double NextRandom() {
  rand_state = (rand_state * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
  // Redis's lrand48() % INT32_MAX over INT32_MAX (the % keeps 1 out).
  constexpr uint64_t kMax = 2147483647;
  return static_cast<double>((rand_state >> 17) % kMax) / static_cast<double>(kMax);
}

int MathRandom(lua_State* L) {
  double r = NextRandom();
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      return 1;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(r * u) + 1));
      return 1;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(r * (u - l + 1)) + l));
      return 1;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
}

int MathRandomSeed(lua_State* L) {
  rand_state = (static_cast<uint64_t>(luaL_checkint(L, 1)) << 16) | 0x330E;
  return 0;
}

}  // namespace

RunContext* CurrentRun(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRunKey);
  auto* rc = static_cast<RunContext*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return rc;
}

void PushError(lua_State* L, std::string_view text) {
  std::string_view code = "ERR", msg = text;
  if (!text.empty() && text[0] == '-') {
    size_t space = text.find(' ');
    if (space == std::string_view::npos) {
      msg = text.substr(1);
    } else {
      code = text.substr(1, space - 1);
      msg = text.substr(space + 1);
    }
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  lua_newtable(L);
  lua_pushlstring(L, code.data(), code.size());
  lua_pushliteral(L, " ");
  lua_pushlstring(L, msg.data(), msg.size());
  lua_concat(L, 3);
  lua_setfield(L, -2, "err");
}

int ErrorHandler(lua_State* L) {
  // Where the script was: the first frame that is neither C nor the sandbox's own functions.
  lua_Debug ar;
  bool have = false;
  for (int level = 1; !have && lua_getstack(L, level, &ar); ++level) {
    have = lua_getinfo(L, "nSl", &ar) && std::strcmp(ar.what, "C") != 0 &&
           std::strcmp(ar.source, "=sandbox") != 0;
  }
  if (!lua_istable(L, 1)) {
    lua_newtable(L);
    lua_pushliteral(L, "ERR ");
    if (lua_isstring(L, 1)) {
      lua_pushvalue(L, 1);
    } else {
      lua_pushstring(L, luaL_typename(L, 1));  // tostring() of a non-string error
    }
    lua_concat(L, 2);
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
  }
  if (have) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, 1, "source");
    lua_pushinteger(L, ar.currentline);
    lua_setfield(L, 1, "line");
  }
  lua_settop(L, 1);
  return 1;
}

lua_State* NewState(Allocator* alloc) {
  lua_State* L = lua_newstate(Alloc, alloc);
  if (L == nullptr) return nullptr;
  OpenLib(L, "", luaopen_base);
  OpenLib(L, LUA_TABLIBNAME, luaopen_table);
  OpenLib(L, LUA_STRLIBNAME, luaopen_string);
  OpenLib(L, LUA_MATHLIBNAME, luaopen_math);
  OpenLib(L, LUA_DBLIBNAME, luaopen_debug);
  OpenLib(L, "cjson", luaopen_cjson);
  OpenLib(L, "bit", luaopen_bit);
  OpenLib(L, "cmsgpack", OpenCmsgpack);
  OpenLib(L, "struct", OpenStruct);
  lua_pushcfunction(L, RedisPcall);
  lua_setglobal(L, "pcall");
  lua_getglobal(L, "math");
  lua_pushcfunction(L, MathRandom);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, MathRandomSeed);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
  lua_newtable(L);
  RegisterRedisApi(L);
  lua_setglobal(L, "redis");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kScriptsKey);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  if (luaL_loadbuffer(L, kSandbox, std::strlen(kSandbox), "=sandbox") != 0 ||
      (lua_pushcfunction(L, RegisterFunction), lua_pcall(L, 1, 2, 0) != 0)) {
    spdlog::critical("Lua sandbox: {}", lua_tostring(L, -1));
    lua_close(L);
    return nullptr;
  }
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadEnvKey);
  lua_setfield(L, LUA_REGISTRYINDEX, kEnvKey);
  return L;
}

}  // namespace tally::lua
