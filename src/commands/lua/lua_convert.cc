// Replies between RESP and Lua, by Redis 7.0's rules (script_lua.c): what redis.call returns to
// a script, and what a script's return value sends to the client.
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>

#include "lua_internal.h"
#include "tally/protocol/errors.h"

namespace tally::lua {
namespace {

// Nesting a reply may have (a table that contains itself would recurse for ever): past it the
// value becomes Redis's errors::kLuaStackLimit error.
constexpr int kMaxReplyDepth = 1000;

// The line after the type byte, without CRLF; advances *bytes past it.
std::string_view TakeLine(std::string_view* bytes) {
  size_t end = bytes->find("\r\n");
  if (end == std::string_view::npos) end = bytes->size();
  std::string_view line = bytes->substr(1, end - 1);
  bytes->remove_prefix(std::min(bytes->size(), end + 2));
  return line;
}

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Pushes {name = <the value on top>}, replacing the value.
void WrapIn(lua_State* L, const char* name) {
  lua_newtable(L);
  lua_insert(L, -2);
  lua_setfield(L, -2, name);
}

void PushBulk(lua_State* L, std::string_view* bytes, int64_t len) {
  size_t n = std::min(static_cast<size_t>(len), bytes->size());
  lua_pushlstring(L, bytes->data(), n);
  bytes->remove_prefix(std::min(bytes->size(), n + 2));
}

// "Text with \r and \n as spaces", as Redis's sdsmapchars does for status and big numbers.
std::string Flatten(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

}  // namespace

void PushReply(lua_State* L, std::string_view* bytes) {
  luaL_checkstack(L, 4, errors::kLuaStackLimit);
  if (bytes->empty()) {
    lua_pushnil(L);
    return;
  }
  const char type = (*bytes)[0];
  if (type == '-') {
    size_t end = bytes->find("\r\n");
    PushError(L, bytes->substr(0, end));
    bytes->remove_prefix(std::min(bytes->size(), end + 2));
    return;
  }
  std::string_view line = TakeLine(bytes);
  switch (type) {
    case '+':
      lua_pushlstring(L, line.data(), line.size());
      WrapIn(L, "ok");
      return;
    case ':':
      lua_pushnumber(L, static_cast<lua_Number>(ToInt(line)));
      return;
    case '$':
    case '=': {
      const int64_t len = ToInt(line);
      if (len < 0) {
        lua_pushboolean(L, 0);
        return;
      }
      if (type == '$') return PushBulk(L, bytes, len);
      lua_newtable(L);  // {verbatim_string = {format = "txt", string = ...}}
      lua_newtable(L);
      lua_pushlstring(L, bytes->data(), std::min<size_t>(3, bytes->size()));
      lua_setfield(L, -2, "format");
      bytes->remove_prefix(std::min<size_t>(4, bytes->size()));
      PushBulk(L, bytes, len - 4);
      lua_setfield(L, -2, "string");
      lua_setfield(L, -2, "verbatim_string");
      return;
    }
    case '*':
    case '>':
    case '~':
    case '%': {
      const int64_t n = ToInt(line);
      if (n < 0) {
        lua_pushboolean(L, 0);
        return;
      }
      lua_newtable(L);
      for (int64_t i = 0; i < n; ++i) {
        if (type == '*' || type == '>') lua_pushnumber(L, static_cast<lua_Number>(i + 1));
        PushReply(L, bytes);
        if (type == '~') lua_pushboolean(L, 1);
        if (type == '%') PushReply(L, bytes);
        lua_settable(L, -3);
      }
      if (type == '~') WrapIn(L, "set");
      if (type == '%') WrapIn(L, "map");
      return;
    }
    case '_':
      lua_pushnil(L);
      return;
    case '#':
      lua_pushboolean(L, line == "t");
      return;
    case ',': {
      double d = 0;
      std::from_chars(line.data(), line.data() + line.size(), d);
      lua_pushnumber(L, d);
      WrapIn(L, "double");
      return;
    }
    case '(':
      lua_pushlstring(L, line.data(), line.size());
      WrapIn(L, "big_number");
      return;
    default:
      lua_pushnil(L);
  }
}

namespace {

// The string field `name` of the table on top, or nullopt.
std::optional<std::string_view> StringField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  std::optional<std::string_view> v;
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    v = std::string_view(s, n);  // the table keeps the string alive
  }
  lua_pop(L, 1);
  return v;
}

// The field `name` of the table on top pushed if it has type `type`; false otherwise.
bool PushField(lua_State* L, const char* name, int type) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  if (lua_type(L, -1) == type) return true;
  lua_pop(L, 1);
  return false;
}

int64_t ToInt64(lua_Number n) {
  // (long long) of a double out of range is what x86 gives for C's cast.
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(n);
}

void WriteTable(lua_State* L, ReplyWriter& out, int script_resp, int depth) {
  if (auto err = StringField(L, "err")) {
    std::string text = "-";
    text.append(*err);
    return out.Error(text);
  }
  if (auto ok = StringField(L, "ok")) return out.SimpleString(Flatten(*ok));
  if (PushField(L, "double", LUA_TNUMBER)) {
    out.Double(lua_tonumber(L, -1));
    return lua_pop(L, 1);
  }
  if (auto big = StringField(L, "big_number")) {
    if (out.protocol() == 3) {
      std::string line = "(";
      line.append(Flatten(*big)).append("\r\n");
      return out.Raw(line);
    }
    return out.Bulk(Flatten(*big));
  }
  if (PushField(L, "verbatim_string", LUA_TTABLE)) {
    auto format = StringField(L, "format");
    auto text = StringField(L, "string");
    if (format && text) {
      out.Verbatim(*text, *format);
      return lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  const bool is_map = PushField(L, "map", LUA_TTABLE);
  if (is_map || PushField(L, "set", LUA_TTABLE)) {
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      ++n;
    }
    if (is_map) {
      out.MapHeader(n);
    } else {
      out.SetHeader(n);
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {  // table, key, value
      if (is_map) {
        lua_pushvalue(L, -2);  // table, key, value, key: the key, then the value
        WriteReply(L, out, script_resp, depth + 1);
      } else {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);  // table, key, key
      }
      WriteReply(L, out, script_resp, depth + 1);
    }
    return lua_pop(L, 1);
  }
  size_t n = 0;
  while (true) {
    lua_rawgeti(L, -1, static_cast<int>(n + 1));
    const bool end = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (end) break;
    ++n;
  }
  out.ArrayHeader(n);
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, static_cast<int>(i));
    WriteReply(L, out, script_resp, depth + 1);
  }
}

}  // namespace

void WriteReply(lua_State* L, ReplyWriter& out, int script_resp, int depth) {
  if (depth > kMaxReplyDepth || !lua_checkstack(L, 4)) {
    out.Error(errors::kLuaStackLimit);
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      out.Bulk(std::string_view(s, n));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          out.Integer(1);
        } else {
          out.Null();
        }
      } else {
        out.Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER:
      out.Integer(ToInt64(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      WriteTable(L, out, script_resp, depth);
      break;
    default:
      out.Null();
  }
  lua_pop(L, 1);
}

}  // namespace tally::lua
