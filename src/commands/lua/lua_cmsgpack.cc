// The `cmsgpack` library Redis gives scripts (lua-cmsgpack 0.4.0's API and encoding choices),
// written for tally: MessagePack from Lua values and back. What Redis 7.0 does is the spec, down
// to the bytes (tests/integration/test_scripting.py compares them):
// - numbers that are whole and fit int64 take the smallest integer encoding; others are a float32
//   when that is exact, else a float64;
// - strings: fixstr, str8, str16, str32; booleans; anything else (nil, functions) is nil;
// - a table whose keys are exactly 1..n is an array (read with lua_gettable, so __index counts),
//   any other a map; tables nested 16 deep are nil (which also ends cycles);
// - decoding accepts what that encoder makes (no bin/ext types), and errors with its texts.
//
// Lua errors are longjmps: nothing here keeps a C++ object with a destructor across a call that
// can raise. The encode buffer is a Lua userdata, replaced by a bigger one as it grows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "lua_internal.h"

namespace tally::lua {
namespace {

constexpr int kMaxNesting = 16;

// The encode buffer: a userdata at a fixed stack index, `cap` bytes after this header.
struct Buf {
  size_t len;
  size_t cap;
  unsigned char* bytes() { return reinterpret_cast<unsigned char*>(this + 1); }
};

Buf* NewBuf(lua_State* L, size_t cap) {
  auto* b = static_cast<Buf*>(lua_newuserdata(L, sizeof(Buf) + cap));
  b->len = 0;
  b->cap = cap;
  return b;
}

void Append(lua_State* L, int buf_index, const void* data, size_t n) {
  Buf* b = static_cast<Buf*>(lua_touserdata(L, buf_index));
  if (b->cap - b->len < n) {
    Buf* bigger = NewBuf(L, (b->len + n) * 2);
    std::memcpy(bigger->bytes(), b->bytes(), b->len);
    bigger->len = b->len;
    lua_replace(L, buf_index);
    b = bigger;
  }
  std::memcpy(b->bytes() + b->len, data, n);
  b->len += n;
}

// A type byte and then `width` bytes of `v`, big-endian.
void AppendTyped(lua_State* L, int buf, unsigned char type, uint64_t v, int width) {
  unsigned char out[9] = {type};
  for (int i = 0; i < width; ++i)
    out[1 + i] = static_cast<unsigned char>(v >> (8 * (width - 1 - i)));
  Append(L, buf, out, 1 + width);
}

void EncodeInt(lua_State* L, int buf, int64_t n) {
  const auto u = static_cast<uint64_t>(n);
  if (n >= 0) {
    if (n <= 127) return AppendTyped(L, buf, static_cast<unsigned char>(n), 0, 0);
    if (n <= 0xff) return AppendTyped(L, buf, 0xcc, u, 1);
    if (n <= 0xffff) return AppendTyped(L, buf, 0xcd, u, 2);
    if (n <= 0xffffffffLL) return AppendTyped(L, buf, 0xce, u, 4);
    return AppendTyped(L, buf, 0xcf, u, 8);
  }
  if (n >= -32) return AppendTyped(L, buf, static_cast<unsigned char>(n), 0, 0);
  if (n >= -128) return AppendTyped(L, buf, 0xd0, u, 1);
  if (n >= -32768) return AppendTyped(L, buf, 0xd1, u, 2);
  if (n >= -2147483648LL) return AppendTyped(L, buf, 0xd2, u, 4);
  AppendTyped(L, buf, 0xd3, u, 8);
}

void EncodeDouble(lua_State* L, int buf, double d) {
  const bool fits_float = !std::isfinite(d) || std::fabs(d) <= std::numeric_limits<float>::max();
  const float f = fits_float ? static_cast<float>(d) : 0.0f;
  if (fits_float && static_cast<double>(f) == d) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return AppendTyped(L, buf, 0xca, bits, 4);
  }
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  AppendTyped(L, buf, 0xcb, bits, 8);
}

// Whole and within int64 (the range test first: casting a double outside it is undefined).
bool IsInt64(double x) {
  return x >= -9223372036854775808.0 && x < 9223372036854775808.0 &&
         static_cast<double>(static_cast<int64_t>(x)) == x;
}

// A header: `fix` | n below `fix_limit`, else the 16- or 32-bit form (and str8 for strings).
void EncodeHeader(lua_State* L, int buf, size_t n, unsigned char fix, size_t fix_limit,
                  unsigned char t8, unsigned char t16, unsigned char t32) {
  if (n < fix_limit) return AppendTyped(L, buf, static_cast<unsigned char>(fix | n), 0, 0);
  if (t8 != 0 && n <= 0xff) return AppendTyped(L, buf, t8, n, 1);
  if (n <= 0xffff) return AppendTyped(L, buf, t16, n, 2);
  AppendTyped(L, buf, t32, n, 4);
}

// True if the table on top has exactly the keys 1..n (n may be 0).
bool TableIsArray(lua_State* L) {
  const int top = lua_gettop(L);
  int count = 0;
  int max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    const double n = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
    if (n <= 0 || n > std::numeric_limits<int>::max() || static_cast<int>(n) != n) {
      lua_settop(L, top);
      return false;
    }
    max = std::max(max, static_cast<int>(n));
    ++count;
  }
  lua_settop(L, top);
  return max == count;
}

void EncodeValue(lua_State* L, int buf, int level);

void EncodeTable(lua_State* L, int buf, int level) {
  if (TableIsArray(L)) {
    const size_t n = lua_objlen(L, -1);
    EncodeHeader(L, buf, n, 0x90, 16, 0, 0xdc, 0xdd);
    for (size_t i = 1; i <= n; ++i) {
      lua_pushnumber(L, static_cast<lua_Number>(i));
      lua_gettable(L, -2);
      EncodeValue(L, buf, level + 1);
    }
    return;
  }
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++n;
  }
  EncodeHeader(L, buf, n, 0x80, 16, 0, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {  // ... key value
    lua_pushvalue(L, -2);         // ... key value key
    EncodeValue(L, buf, level + 1);
    EncodeValue(L, buf, level + 1);
  }
}

// Encodes the value on top of the stack and pops it.
void EncodeValue(lua_State* L, int buf, int level) {
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      EncodeHeader(L, buf, len, 0xa0, 32, 0xd9, 0xda, 0xdb);
      Append(L, buf, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      AppendTyped(L, buf, lua_toboolean(L, -1) ? 0xc3 : 0xc2, 0, 0);
      break;
    case LUA_TNUMBER: {
      const double d = lua_tonumber(L, -1);
      if (!std::isinf(d) && IsInt64(d)) {
        EncodeInt(L, buf, static_cast<int64_t>(d));
      } else {
        EncodeDouble(L, buf, d);
      }
      break;
    }
    case LUA_TTABLE:
      EncodeTable(L, buf, level);
      break;
    default:
      AppendTyped(L, buf, 0xc0, 0, 0);
  }
  lua_pop(L, 1);
}

// cmsgpack.pack(v, ...): the encodings of all arguments, concatenated.
int Pack(lua_State* L) {
  const int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs))
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  NewBuf(L, 64);
  const int buf = lua_gettop(L);
  for (int i = 1; i <= nargs; ++i) {
    lua_pushvalue(L, i);
    EncodeValue(L, buf, 0);
  }
  Buf* b = static_cast<Buf*>(lua_touserdata(L, buf));
  lua_pushlstring(L, reinterpret_cast<const char*>(b->bytes()), b->len);
  return 1;
}

// ---- Decoding ----

enum class DecodeError { kNone, kEof, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError err = DecodeError::kNone;

  bool Need(size_t n) {
    if (left >= n) return true;
    err = DecodeError::kEof;
    return false;
  }
  uint64_t Uint(size_t offset, int width) const {
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v = (v << 8) | p[offset + i];
    return v;
  }
  void Consume(size_t n) {
    p += n;
    left -= n;
  }
};

void DecodeValue(lua_State* L, Cursor* c);

void DecodeArray(lua_State* L, Cursor* c, size_t n) {
  lua_newtable(L);
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  for (size_t i = 1; i <= n; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    DecodeValue(L, c);
    if (c->err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor* c, size_t n) {
  lua_newtable(L);
  while (n-- > 0) {
    DecodeValue(L, c);
    if (c->err != DecodeError::kNone) return;
    DecodeValue(L, c);
    if (c->err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

// An integer of `width` bytes after the type byte, signed or not.
void DecodeInt(lua_State* L, Cursor* c, int width, bool is_signed) {
  if (!c->Need(1 + width)) return;
  const uint64_t u = c->Uint(1, width);
  double v = static_cast<double>(u);
  if (is_signed) {
    const int shift = 64 - 8 * width;
    v = static_cast<double>(static_cast<int64_t>(u << shift) >> shift);
  }
  lua_pushnumber(L, v);
  c->Consume(1 + width);
}

// A length of `width` bytes after the type byte, then `what`: a string, an array or a map.
enum class Sized { kString, kArray, kMap };
void DecodeSized(lua_State* L, Cursor* c, int width, Sized what) {
  if (!c->Need(1 + width)) return;
  const size_t n =
      width == 0 ? (c->p[0] & (what == Sized::kString ? 0x1f : 0x0f)) : c->Uint(1, width);
  if (what == Sized::kString) {
    if (!c->Need(1 + width + n)) return;
    lua_pushlstring(L, reinterpret_cast<const char*>(c->p + 1 + width), n);
    return c->Consume(1 + width + n);
  }
  c->Consume(1 + width);
  what == Sized::kArray ? DecodeArray(L, c, n) : DecodeMap(L, c, n);
}

// Decodes one value and pushes it.
void DecodeValue(lua_State* L, Cursor* c) {
  luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  if (!c->Need(1)) return;
  const unsigned char t = c->p[0];
  switch (t) {
    case 0xcc:
      return DecodeInt(L, c, 1, false);
    case 0xcd:
      return DecodeInt(L, c, 2, false);
    case 0xce:
      return DecodeInt(L, c, 4, false);
    case 0xcf:
      return DecodeInt(L, c, 8, true);  // as Redis: read as int64
    case 0xd0:
      return DecodeInt(L, c, 1, true);
    case 0xd1:
      return DecodeInt(L, c, 2, true);
    case 0xd2:
      return DecodeInt(L, c, 4, true);
    case 0xd3:
      return DecodeInt(L, c, 8, true);
    case 0xc0:
      lua_pushnil(L);
      return c->Consume(1);
    case 0xc2:
      lua_pushboolean(L, 0);
      return c->Consume(1);
    case 0xc3:
      lua_pushboolean(L, 1);
      return c->Consume(1);
    case 0xca: {
      if (!c->Need(5)) return;
      const auto bits = static_cast<uint32_t>(c->Uint(1, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      lua_pushnumber(L, f);
      return c->Consume(5);
    }
    case 0xcb: {
      if (!c->Need(9)) return;
      const uint64_t bits = c->Uint(1, 8);
      double d;
      std::memcpy(&d, &bits, 8);
      lua_pushnumber(L, d);
      return c->Consume(9);
    }
    case 0xd9:
      return DecodeSized(L, c, 1, Sized::kString);
    case 0xda:
      return DecodeSized(L, c, 2, Sized::kString);
    case 0xdb:
      return DecodeSized(L, c, 4, Sized::kString);
    case 0xdc:
      return DecodeSized(L, c, 2, Sized::kArray);
    case 0xdd:
      return DecodeSized(L, c, 4, Sized::kArray);
    case 0xde:
      return DecodeSized(L, c, 2, Sized::kMap);
    case 0xdf:
      return DecodeSized(L, c, 4, Sized::kMap);
    default:
      break;
  }
  if ((t & 0x80) == 0) {  // positive fixint
    lua_pushnumber(L, t);
    c->Consume(1);
  } else if ((t & 0xe0) == 0xe0) {  // negative fixint
    lua_pushnumber(L, static_cast<signed char>(t));
    c->Consume(1);
  } else if ((t & 0xe0) == 0xa0) {
    DecodeSized(L, c, 0, Sized::kString);
  } else if ((t & 0xf0) == 0x90) {
    DecodeSized(L, c, 0, Sized::kArray);
  } else if ((t & 0xf0) == 0x80) {
    DecodeSized(L, c, 0, Sized::kMap);
  } else {
    c->err = DecodeError::kBadFormat;
  }
}

// Decodes up to `limit` values from byte `offset` of the string argument. With neither a limit
// nor an offset: all of them, returned as they are. Otherwise the next offset (-1 at the end)
// comes first.
int UnpackFull(lua_State* L, int limit, int offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool all = limit == 0 && offset == 0;
  const int ilen = static_cast<int>(len);
  if (offset < 0 || limit < 0)
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      ilen);
  if (static_cast<size_t>(offset) > len)
    return luaL_error(L, "Start offset %d greater than input length %d.", offset, ilen);
  if (all) limit = std::numeric_limits<int>::max();
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - offset};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    DecodeValue(L, &c);
    if (c.err == DecodeError::kEof) return luaL_error(L, "Missing bytes in input.");
    if (c.err == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (all) return count;
  luaL_checkstack(L, 1, "in function mp_unpack_full");
  lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
  lua_insert(L, 2);  // before the values, after the argument
  return count + 1;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  const int offset = static_cast<int>(luaL_optinteger(L, 2, 0));
  lua_settop(L, std::min(lua_gettop(L), 1));
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  const int limit = static_cast<int>(luaL_checkinteger(L, 2));
  const int offset = static_cast<int>(luaL_optinteger(L, 3, 0));
  lua_settop(L, std::min(lua_gettop(L), 1));
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  static const luaL_Reg kFunctions[] = {{"pack", Pack},
                                        {"unpack", Unpack},
                                        {"unpack_one", UnpackOne},
                                        {"unpack_limit", UnpackLimit},
                                        {nullptr, nullptr}};
  luaL_register(L, "cmsgpack", kFunctions);
  const char* const fields[][2] = {{"_NAME", "cmsgpack"},
                                   {"_VERSION", "lua-cmsgpack 0.4.0"},
                                   {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
                                   {"_DESCRIPTION", "MessagePack C implementation for Lua"}};
  for (const auto& [name, value] : fields) {
    lua_pushstring(L, value);
    lua_setfield(L, -2, name);
  }
  return 1;
}

}  // namespace tally::lua
