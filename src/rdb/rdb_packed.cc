#include <cstdint>

#include "tally/rdb/rdb_reader.h"

namespace tally {
namespace {

Status Bad(const char* container, const char* what) {
  return Status::Corruption(std::string("RDB: ") + container + ": " + what);
}

// `n` bytes at `p` as a little-endian unsigned integer.
uint64_t Little(std::string_view b, size_t p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[p + i]);
  return v;
}

// The low `bits` bits of `v` as a two's-complement signed integer.
int64_t Signed(uint64_t v, int bits) {
  if (bits == 64) return static_cast<int64_t>(v);
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

// The number of bytes of a listpack entry's back-length for an entry of `len` bytes.
size_t BacklenSize(size_t len) {
  return len <= 127 ? 1 : len < 16383 ? 2 : len < 2097151 ? 3 : len < 268435455 ? 4 : 5;
}

}  // namespace

Status DecodeListpack(std::string_view b, std::vector<std::string>* out) {
  constexpr const char* kWhat = "listpack";
  if (b.size() < 7 || Little(b, 0, 4) != b.size()) return Bad(kWhat, "bad total length");
  size_t p = 6;
  while (p < b.size() && static_cast<uint8_t>(b[p]) != 0xff) {
    const uint8_t e = static_cast<uint8_t>(b[p]);
    size_t head = 1, len = 0;  // the encoding's bytes, then the string's or integer's
    bool is_int = false;
    int bits = 0;
    if ((e & 0x80) == 0) {
      is_int = true;  // 7-bit unsigned, in the encoding byte (bits 0)
    } else if ((e & 0xc0) == 0x80) {
      len = e & 0x3f;
    } else if ((e & 0xe0) == 0xc0) {
      is_int = true, bits = 13, head = 2;
    } else if ((e & 0xf0) == 0xe0) {
      head = 2;
      if (p + 1 >= b.size()) return Bad(kWhat, "entry runs past the end");
      len = (size_t{e & 0x0fu} << 8) | static_cast<uint8_t>(b[p + 1]);
    } else if (e == 0xf0) {
      head = 5;
      if (p + 5 > b.size()) return Bad(kWhat, "entry runs past the end");
      len = Little(b, p + 1, 4);
    } else if (e >= 0xf1 && e <= 0xf4) {
      static constexpr int kBits[] = {16, 24, 32, 64};
      is_int = true, bits = kBits[e - 0xf1], len = static_cast<size_t>(bits / 8);
    } else {
      return Bad(kWhat, "unknown entry encoding");
    }
    const size_t entry = head + len;
    if (len > b.size() || p + entry + BacklenSize(entry) >= b.size())
      return Bad(kWhat, "entry runs past the end");
    if (!is_int) {
      out->emplace_back(b.substr(p + head, len));
    } else if (bits == 0) {
      out->push_back(std::to_string(e & 0x7f));
    } else if (bits == 13) {
      out->push_back(
          std::to_string(Signed((uint64_t{e & 0x1fu} << 8) | static_cast<uint8_t>(b[p + 1]), 13)));
    } else {
      out->push_back(std::to_string(Signed(Little(b, p + 1, len), bits)));
    }
    p += entry + BacklenSize(entry);
  }
  if (p + 1 != b.size()) return Bad(kWhat, "no end marker where the length says");
  return Status::OK();
}

Status DecodeZiplist(std::string_view b, std::vector<std::string>* out) {
  constexpr const char* kWhat = "ziplist";
  if (b.size() < 11 || Little(b, 0, 4) != b.size()) return Bad(kWhat, "bad total length");
  size_t p = 10;
  while (p < b.size() && static_cast<uint8_t>(b[p]) != 0xff) {
    p += static_cast<uint8_t>(b[p]) < 254 ? 1 : 5;  // the previous entry's length
    if (p >= b.size()) return Bad(kWhat, "entry runs past the end");
    const uint8_t e = static_cast<uint8_t>(b[p]);
    size_t head = 1, len = 0;
    int bits = -1;  // -1: a string
    switch (e >> 6) {
      case 0:
        len = e & 0x3f;
        break;
      case 1:
        head = 2;
        if (p + 1 >= b.size()) return Bad(kWhat, "entry runs past the end");
        len = (size_t{e & 0x3fu} << 8) | static_cast<uint8_t>(b[p + 1]);
        break;
      case 2:
        head = 5;
        if (p + 5 > b.size()) return Bad(kWhat, "entry runs past the end");
        len = (Little(b, p + 1, 1) << 24) | (Little(b, p + 2, 1) << 16) |
              (Little(b, p + 3, 1) << 8) | Little(b, p + 4, 1);  // big-endian
        break;
      default:
        if (e == 0xc0)
          bits = 16;
        else if (e == 0xd0)
          bits = 32;
        else if (e == 0xe0)
          bits = 64;
        else if (e == 0xf0)
          bits = 24;
        else if (e == 0xfe)
          bits = 8;
        else if (e >= 0xf1 && e <= 0xfd)
          bits = 0;  // 0 to 12, in the encoding byte
        else
          return Bad(kWhat, "unknown entry encoding");
        if (bits > 0) len = static_cast<size_t>(bits / 8);
    }
    if (len > b.size() || p + head + len >= b.size()) return Bad(kWhat, "entry runs past the end");
    if (bits < 0) {
      out->emplace_back(b.substr(p + head, len));
    } else if (bits == 0) {
      out->push_back(std::to_string((e & 0x0f) - 1));
    } else {
      out->push_back(std::to_string(Signed(Little(b, p + head, len), bits)));
    }
    p += head + len;
  }
  if (p + 1 != b.size()) return Bad(kWhat, "no end marker where the length says");
  return Status::OK();
}

}  // namespace tally
