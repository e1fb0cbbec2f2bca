// redis.register_function, as Redis 7.0's function_lua.c reads it: positional (name, callback)
// or named ({function_name=, callback=, flags=, description=}), with its error texts.
#include <cstring>

#include "lua_internal.h"
#include "tally/protocol/errors.h"

namespace tally::lua {
namespace {

constexpr const char* kFlagNames[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster",
                                      "allow-cross-slot-keys"};

// Reads the flags table at `index` into *no_writes; an error text or nullptr.
const char* ReadFlags(lua_State* L, int index, bool* no_writes) {
  if (!lua_istable(L, index)) return errors::kRegisterFlagsType;
  for (int i = 1;; ++i) {
    lua_rawgeti(L, index, i);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      return nullptr;
    }
    const char* flag = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : nullptr;
    lua_pop(L, 1);
    bool known = false;
    for (const char* name : kFlagNames) known |= flag != nullptr && std::strcmp(flag, name) == 0;
    if (!known) return errors::kRegisterUnknownFlag;
    if (std::strcmp(flag, "no-writes") == 0) *no_writes = true;
  }
}

// Reads the arguments into `decl`, leaving the callback at stack index 2. An error text or
// nullptr. Raises no Lua error.
const char* ReadDecl(lua_State* L, FunctionDecl* decl) noexcept {
  const int argc = lua_gettop(L);
  if (argc < 1 || argc > 2) return errors::kRegisterArity;
  if (argc == 2) {
    if (!lua_isstring(L, 1))  // a number names a function too, as in Redis
      return errors::kRegisterFirstArg;
    if (!lua_isfunction(L, 2)) return errors::kRegisterSecondArg;
    decl->name = lua_tostring(L, 1);
    return nullptr;
  }
  if (!lua_istable(L, 1)) return errors::kRegisterSingleArg;
  lua_settop(L, 2);  // index 2: the callback, once found
  bool have_name = false;
  lua_pushnil(L);
  while (lua_next(L, 1)) {  // key at -2, value at -1
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return errors::kRegisterKeyType;
    }
    const char* key = lua_tostring(L, -2);
    const char* err = nullptr;
    if (std::strcmp(key, "function_name") == 0) {
      if (lua_type(L, -1) != LUA_TSTRING) {
        err = errors::kRegisterNameType;
      } else {
        decl->name = lua_tostring(L, -1);
        have_name = true;
      }
    } else if (std::strcmp(key, "description") == 0) {
      if (lua_type(L, -1) != LUA_TSTRING) {
        err = errors::kRegisterDescriptionType;
      } else {
        decl->description = lua_tostring(L, -1);
      }
    } else if (std::strcmp(key, "callback") == 0) {
      if (!lua_isfunction(L, -1)) {
        err = errors::kRegisterCallbackType;
      } else {
        lua_pushvalue(L, -1);
        lua_replace(L, 2);
      }
    } else if (std::strcmp(key, "flags") == 0) {
      err = ReadFlags(L, lua_gettop(L), &decl->no_writes);
    } else {
      err = errors::kRegisterUnknownArg;
    }
    lua_pop(L, 1);
    if (err != nullptr) {
      lua_pop(L, 1);
      return err;
    }
  }
  if (!have_name) return errors::kRegisterNoName;
  if (!lua_isfunction(L, 2)) return errors::kRegisterNoCallback;
  return nullptr;
}

// Adds the declaration to the load; an error text or nullptr. Raises no Lua error.
const char* Declare(lua_State* L, LoadContext* lc) noexcept {
  try {
    FunctionDecl decl;
    if (const char* err = ReadDecl(L, &decl)) return err;
    if (!ValidName(decl.name)) return errors::kLibraryNameInvalid;
    for (const auto& f : lc->functions)
      if (f.name == decl.name) return errors::kFunctionExistsInLibrary;
    lc->functions.push_back(std::move(decl));
    return nullptr;
  } catch (...) {
    return errors::kLuaOutOfMemory;
  }
}

}  // namespace

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

int RegisterFunction(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadKey);
  auto* lc = static_cast<LoadContext*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (lc == nullptr) {
    PushError(L, errors::kRegisterOutside);
    return lua_error(L);
  }
  if (const char* err = Declare(L, lc)) {
    PushError(L, err);
    return lua_error(L);
  }
  // The callback waits with the others until the whole library has loaded.
  lua_getfield(L, LUA_REGISTRYINDEX, kPendingKey);
  const std::string& name = lc->functions.back().name;
  lua_pushlstring(L, name.data(), name.size());
  lua_pushvalue(L, 2);
  lua_rawset(L, -3);
  return 0;
}

}  // namespace tally::lua
