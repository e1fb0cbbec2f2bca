// The redis.* table scripts see (Redis 7.0's script_lua.c): call and pcall run a command as the
// script's own client and convert its reply; the rest are helpers.
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "../admin_commands.h"
#include "lua_internal.h"
#include "tally/commands/acl.h"
#include "tally/protocol/errors.h"

namespace tally::lua {
namespace {

// Checks and runs the command whose arguments are on the stack (1..argc), leaving its reply in
// rc.reply. False, with rc.error set, if it was refused before running. Raises no Lua error.
bool RunCall(lua_State* L, RunContext& rc, int argc) noexcept {
  try {
    rc.argv.clear();
    rc.numbers.clear();
    rc.numbers.reserve(argc);  // the views below must not move
    for (int i = 1; i <= argc; ++i) {
      if (lua_type(L, i) == LUA_TNUMBER) {
        // Not lua_tostring: Lua's own format ("%.14g") loses precision.
        char buf[64];
        int n = std::snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(lua_tonumber(L, i)));
        rc.argv.emplace_back(rc.numbers.emplace_back(buf, n));
      } else if (lua_type(L, i) == LUA_TSTRING) {
        size_t n = 0;
        const char* s = lua_tolstring(L, i, &n);
        rc.argv.emplace_back(s, n);
      } else {
        rc.error = errors::kLuaArgType;
        return false;
      }
    }
    const CommandTable& table = *rc.caller->table;
    const CommandSpec* spec = table.Lookup(rc.argv);
    if (spec == nullptr) {
      rc.error = errors::kLuaUnknownCommand;
      return false;
    }
    if (!CommandTable::ArityOk(*spec, rc.argv.size())) {
      rc.error = errors::kLuaWrongArity;
      return false;
    }
    if (spec->flags & kCmdNoScript) {
      rc.error = errors::kLuaNoScript;
      return false;
    }
    if (Acl* acl = rc.caller->server.acl()) {
      const AclUser* user = SessionUser(*acl, rc.session);
      AclVerdict v = user ? AclCheck(*user, *spec, rc.argv) : AclVerdict{AclDenied::kCommand, ""};
      if (v.denied != AclDenied::kNone) {
        if (user)
          acl->Log(v.denied, "lua", v.object, user->name,
                   ClientLine(rc.caller->session, spec->name.c_str()));
        rc.error = v.denied == AclDenied::kCommand ? errors::kLuaAclCommand
                   : v.denied == AclDenied::kKey   ? errors::kLuaAclKey
                                                   : errors::kLuaAclChannel;
        return false;
      }
    }
    if (spec->flags & kCmdWrite) {
      if (rc.read_only) {
        rc.error = errors::kLuaWriteInReadOnly;
        return false;
      }
      rc.wrote->store(true, std::memory_order_release);
    }
    rc.reply.clear();
    rc.writer.set_protocol(rc.resp);
    rc.session.resp.store(rc.resp, std::memory_order_relaxed);
    CommandContext sub{rc.argv, rc.session, rc.writer, rc.caller->server};
    sub.view = rc.keyspace;
    table.Dispatch(sub);
    rc.caller->WaitFor(sub.barrier);
    auto& mine = rc.session.notifications;  // published with the script's own
    for (auto& n : mine) rc.caller->session.notifications.push_back(std::move(n));
    mine.clear();
    return true;
  } catch (const std::exception& e) {
    rc.error = e.what();
    return false;
  }
}

int GenericCall(lua_State* L, bool raise) {
  RunContext* rc = CurrentRun(L);
  if (rc == nullptr) {
    PushError(L, errors::kLuaCallOutside);
    return lua_error(L);
  }
  int argc = lua_gettop(L);
  if (argc == 0) {
    PushError(L, errors::kLuaNoArguments);
    return raise ? lua_error(L) : 1;
  }
  bool ran = RunCall(L, *rc, argc);
  lua_settop(L, 0);
  if (!ran) {
    PushError(L, rc->error);
    return raise ? lua_error(L) : 1;
  }
  std::string_view bytes = rc->reply;
  const bool failed = !bytes.empty() && bytes[0] == '-';
  PushReply(L, &bytes);
  return raise && failed ? lua_error(L) : 1;
}

int Call(lua_State* L) { return GenericCall(L, true); }
int PCall(lua_State* L) { return GenericCall(L, false); }

int ErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, errors::kLuaArgsNumberOrType);
    return 1;
  }
  size_t n = 0;
  const char* s = lua_tolstring(L, 1, &n);
  if (n > 0 && s[0] == '-') {
    PushError(L, std::string_view(s, n));
  } else {
    lua_pushliteral(L, "-");
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
    s = lua_tolstring(L, -1, &n);
    PushError(L, std::string_view(s, n));
  }
  return 1;
}

int StatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, errors::kLuaArgsNumberOrType);
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int Sha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushError(L, errors::kLuaArgsNumber);
    return lua_error(L);
  }
  size_t n = 0;
  const char* s = lua_tolstring(L, 1, &n);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s == nullptr ? "" : s), s == nullptr ? 0 : n, digest);
  char hex[2 * SHA_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  lua_pushlstring(L, hex, 2 * SHA_DIGEST_LENGTH);
  return 1;
}

int Log(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) {
    PushError(L, errors::kLuaLogArity);
    return lua_error(L);
  }
  if (!lua_isnumber(L, 1)) {
    PushError(L, errors::kLuaLogLevelType);
    return lua_error(L);
  }
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) {
    PushError(L, errors::kLuaLogLevel);
    return lua_error(L);
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 2; i <= argc; ++i) {
    if (!lua_isstring(L, i)) continue;
    if (i != 2) luaL_addchar(&b, ' ');
    lua_pushvalue(L, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t n = 0;
  const char* text = lua_tolstring(L, -1, &n);
  static constexpr spdlog::level::level_enum kLevels[] = {
      spdlog::level::debug, spdlog::level::debug, spdlog::level::info, spdlog::level::warn};
  spdlog::log(kLevels[level], "{}", std::string_view(text, n));
  return 0;
}

int SetResp(lua_State* L) {
  RunContext* rc = CurrentRun(L);
  if (rc == nullptr) {
    PushError(L, errors::kLuaSetrespOutside);
    return lua_error(L);
  }
  if (lua_gettop(L) != 1) {
    PushError(L, errors::kLuaSetrespArity);
    return lua_error(L);
  }
  int resp = static_cast<int>(lua_tonumber(L, 1));
  if (resp != 2 && resp != 3) {
    PushError(L, errors::kLuaSetrespVersion);
    return lua_error(L);
  }
  rc->resp = resp;
  return 0;
}

// Tally keeps no replication stream yet: the flags are checked and have no effect.
int SetRepl(lua_State* L) {
  if (CurrentRun(L) == nullptr) {
    PushError(L, errors::kLuaSetReplOutside);
    return lua_error(L);
  }
  if (lua_gettop(L) != 1) {
    PushError(L, errors::kLuaSetReplArity);
    return lua_error(L);
  }
  int flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~3) != 0) {
    PushError(L, errors::kLuaSetReplFlags);
    return lua_error(L);
  }
  return 0;
}

int ReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int Breakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int Debug(lua_State* L) { return 0; }

// There are no ACL users yet: every command the table knows is allowed.
int AclCheckCmd(lua_State* L) {
  RunContext* rc = CurrentRun(L);
  if (rc == nullptr) {
    PushError(L, errors::kLuaAclCheckOutside);
    return lua_error(L);
  }
  if (lua_gettop(L) == 0) {
    PushError(L, errors::kLuaNoArguments);
    return lua_error(L);
  }
  size_t n = 0;
  const char* name = lua_tolstring(L, 1, &n);
  if (name == nullptr || rc->caller->table->Find(std::string_view(name, n)) == nullptr) {
    PushError(L, errors::kLuaAclCheckCommand);
    return lua_error(L);
  }
  lua_pushboolean(L, 1);
  return 1;
}

void SetNumber(lua_State* L, const char* name, lua_Number n) {
  lua_pushnumber(L, n);
  lua_setfield(L, -2, name);
}

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

}  // namespace

void RegisterRedisApi(lua_State* L) {
  SetFunction(L, "call", Call);
  SetFunction(L, "pcall", PCall);
  SetFunction(L, "log", Log);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushliteral(L, "7.0.15");
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", 0x0007000f);
  SetFunction(L, "setresp", SetResp);
  SetFunction(L, "sha1hex", Sha1Hex);
  SetFunction(L, "error_reply", ErrorReply);
  SetFunction(L, "status_reply", StatusReply);
  SetFunction(L, "set_repl", SetRepl);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
  SetFunction(L, "replicate_commands", ReplicateCommands);
  SetFunction(L, "breakpoint", Breakpoint);
  SetFunction(L, "debug", Debug);
  SetFunction(L, "acl_check_cmd", AclCheckCmd);
}

}  // namespace tally::lua
