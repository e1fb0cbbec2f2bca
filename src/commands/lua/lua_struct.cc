// The `struct` library Redis gives scripts (Roberto Ierusalimschy's struct 0.2, as Redis 7.0
// ships it), written for tally: struct.pack(fmt, ...), struct.unpack(fmt, data [, pos]) and
// struct.size(fmt). What redis-server 7.0 does is the spec, quirks included (tests compare the
// bytes): integers are converted through 64 bits, so wider ones are zero-filled when packed and
// lose their high bytes when unpacked; sizes over 8 bytes shift as x86 does (count mod 64).
//
// Format: '<' '>' little / big endian (little by default), '!'[n] maximum alignment (8 without
// n; 1 until given), ' ' ignored, 'x' a zero byte, 'b' 'B' 'h' 'H' 'l' 'L' 'T' integers of 1, 2,
// 8, 8 bytes, 'i' 'I'[n] integers of n bytes (4 by default, at most 32), 'f' 'd' float and
// double, 'c'[n] n characters (c0: the whole string when packing, the previous number's length
// when unpacking), 's' a zero-terminated string. Lower case is signed.
//
// Lua errors are longjmps: only C-style locals live across calls that can raise.
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>

#include "lua_internal.h"

namespace tally::lua {
namespace {

constexpr int kMaxIntSize = 32;
constexpr int kMaxAlign = 8;  // what '!' alone sets: a double's alignment on x86-64

struct Header {
  bool big_endian = false;
  int align = 1;
};

// The number at *fmt (advancing it), or `fallback` if there is none.
int GetNum(lua_State* L, const char** fmt, int fallback) {
  if (!std::isdigit(static_cast<unsigned char>(**fmt))) return fallback;
  int a = 0;
  do {
    const int digit = **fmt - '0';
    if (a > INT_MAX / 10 || a * 10 > INT_MAX - digit) luaL_error(L, "integral size overflow");
    a = a * 10 + digit;
    ++*fmt;
  } while (std::isdigit(static_cast<unsigned char>(**fmt)));
  return a;
}

bool IsInteger(char opt) { return opt != '\0' && std::strchr("bBhHlLTiI", opt) != nullptr; }

// The size of option `opt` (reading its count from *fmt); 0 for options that take no room.
size_t OptSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
    case 'd':
      return 8;
    case 'f':
      return 4;
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(GetNum(L, fmt, 1));
    case 'i':
    case 'I': {
      const int size = GetNum(L, fmt, 4);
      if (size > kMaxIntSize)
        luaL_error(L, "integral size %d is larger than limit of %d", size, kMaxIntSize);
      return static_cast<size_t>(size);
    }
    default:
      return 0;
  }
}

// Padding before an item of `size` at offset `len`.
size_t ToAlign(size_t len, const Header& h, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(h.align)) size = static_cast<size_t>(h.align);
  return (size - (len & (size - 1))) & (size - 1);
}

// The options that change the header (or are blank); anything else is an invalid option.
void ControlOption(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h->big_endian = true;
      return;
    case '<':
      h->big_endian = false;
      return;
    case '!': {
      const int a = GetNum(L, fmt, kMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      h->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

// A double as C's (uint64)(int64) conversions give it on x86-64 (out of range: the "integer
// indefinite" value, which the unsigned path turns into 0 past 2^64).
uint64_t ToUint64(double n) {
  constexpr double k63 = 9223372036854775808.0;
  constexpr uint64_t kIndefinite = 0x8000000000000000ULL;
  if (n < 0) return n >= -k63 ? static_cast<uint64_t>(static_cast<int64_t>(n)) : kIndefinite;
  if (!(n >= k63)) return n < k63 ? static_cast<uint64_t>(static_cast<int64_t>(n)) : kIndefinite;
  const double rest = n - k63;
  return (rest < k63 ? static_cast<uint64_t>(static_cast<int64_t>(rest)) : kIndefinite) ^
         kIndefinite;
}

void PutInteger(lua_State* L, luaL_Buffer* b, int arg, bool big_endian, size_t size) {
  uint64_t value = ToUint64(luaL_checknumber(L, arg));
  char bytes[kMaxIntSize] = {};
  for (size_t i = 0; i < size && i < 8; ++i, value >>= 8)
    bytes[big_endian ? size - 1 - i : i] = static_cast<char>(value & 0xff);
  luaL_addlstring(b, bytes, size);
}

// Appends the `size` bytes at `p` in the header's byte order (the machine's is little).
void AddOrdered(luaL_Buffer* b, const void* p, size_t size, bool big_endian) {
  const auto* bytes = static_cast<const char*>(p);
  for (size_t i = 0; i < size; ++i) luaL_addchar(b, bytes[big_endian ? size - 1 - i : i]);
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  int arg = 2;
  size_t total = 0;
  lua_pushnil(L);  // keeps the arguments apart from the buffer's stack slots
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptSize(L, opt, &fmt);
    size_t pad = ToAlign(total, h, opt, size);
    total += pad;
    while (pad-- > 0) luaL_addchar(&b, '\0');
    if (IsInteger(opt)) {
      PutInteger(L, &b, arg++, h.big_endian, size);
      total += size;
      continue;
    }
    switch (opt) {
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        const float f = static_cast<float>(luaL_checknumber(L, arg++));
        AddOrdered(&b, &f, size, h.big_endian);
        break;
      }
      case 'd': {
        const double d = luaL_checknumber(L, arg++);
        AddOrdered(&b, &d, size, h.big_endian);
        break;
      }
      case 'c':
      case 's': {
        size_t len = 0;
        const char* s = luaL_checklstring(L, arg++, &len);
        if (size == 0) size = len;
        luaL_argcheck(L, len >= size, arg, "string too short");
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          ++size;
        }
        break;
      }
      default:
        ControlOption(L, opt, &fmt, &h);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// `size` bytes as an integer through 64 bits (a wider one keeps its low 8 bytes; the sign mask
// shifts by (size * 8 - 1) mod 64, as x86 does).
double GetInteger(const char* p, bool big_endian, bool is_signed, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i)
    v = (v << 8) | static_cast<unsigned char>(p[big_endian ? i : size - 1 - i]);
  if (!is_signed) return static_cast<double>(v);
  const uint64_t mask = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if ((v & mask) != 0) v |= mask;
  return static_cast<double>(static_cast<int64_t>(v));
}

// Pushes the item of option `opt` at data + pos; returns its size (changed for 'c0' and 's').
// `n` counts the values pushed so far.
size_t UnpackItem(lua_State* L, const Header& h, char opt, const char* data, size_t len, size_t pos,
                  size_t size, int* n) {
  if (IsInteger(opt)) {
    lua_pushnumber(L, GetInteger(data + pos, h.big_endian, std::islower(opt) != 0, size));
    ++*n;
    return size;
  }
  switch (opt) {
    case 'f':
    case 'd': {
      unsigned char bytes[8];
      for (size_t i = 0; i < size; ++i) bytes[i] = data[pos + (h.big_endian ? size - 1 - i : i)];
      float f;
      double d;
      std::memcpy(opt == 'f' ? static_cast<void*>(&f) : static_cast<void*>(&d), bytes, size);
      lua_pushnumber(L, opt == 'f' ? f : d);
      ++*n;
      return size;
    }
    case 'c':
      if (size == 0) {
        if (*n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
        size = static_cast<size_t>(lua_tonumber(L, -1));
        lua_pop(L, 1);
        --*n;
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
      }
      lua_pushlstring(L, data + pos, size);
      ++*n;
      return size;
    case 's': {
      const void* end = std::memchr(data + pos, '\0', len - pos);
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos)) + 1;
      lua_pushlstring(L, data + pos, size - 1);
      ++*n;
      return size;
    }
    default:
      return size;
  }
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len = 0;
  const char* data = luaL_checklstring(L, 2, &len);
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  --pos;
  Header h;
  int n = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptSize(L, opt, &fmt);
    pos += ToAlign(pos, h, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (std::strchr("bBhHlLTiIxfdcs", opt) != nullptr) {
      size = UnpackItem(L, h, opt, data, len, pos, size, &n);
    } else {
      ControlOption(L, opt, &fmt, &h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return n + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  size_t pos = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = OptSize(L, opt, &fmt);
    pos += ToAlign(pos, h, opt, size);
    if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
    if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
    if (!std::isalnum(static_cast<unsigned char>(opt))) ControlOption(L, opt, &fmt, &h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"size", Size}, {nullptr, nullptr}};
  luaL_register(L, "struct", kFunctions);
  return 1;
}

}  // namespace tally::lua
