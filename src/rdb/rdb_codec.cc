// Redis's CRC64 and LZF decompression, as its crc64.c and lzf_d.c compute them.
#include <array>
#include <cstring>

#include "tally/rdb/rdb_reader.h"

namespace tally {
namespace {

const std::array<uint64_t, 256>& CrcTable() {
  static const std::array<uint64_t, 256> table = [] {
    std::array<uint64_t, 256> t{};
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x95ac9329ac4bc9b5ULL : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view bytes) {
  const auto& table = CrcTable();
  for (unsigned char c : bytes) crc = table[(crc ^ c) & 0xff] ^ (crc >> 8);
  return crc;
}

bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->assign(out_len, '\0');
  const auto* ip = reinterpret_cast<const uint8_t*>(in.data());
  const auto* const in_end = ip + in.size();
  auto* const begin = reinterpret_cast<uint8_t*>(out->data());
  auto* op = begin;
  auto* const out_end = begin + out_len;
  while (ip < in_end) {
    size_t ctrl = *ip++;
    if (ctrl < 32) {  // a literal run of ctrl + 1 bytes
      ++ctrl;
      if (static_cast<size_t>(out_end - op) < ctrl || static_cast<size_t>(in_end - ip) < ctrl)
        return false;
      memcpy(op, ip, ctrl);
      op += ctrl;
      ip += ctrl;
      continue;
    }
    size_t len = ctrl >> 5;  // a back reference
    size_t back = (ctrl & 0x1f) << 8;
    if (len == 7) {
      if (ip >= in_end) return false;
      len += *ip++;
    }
    if (ip >= in_end) return false;
    back += *ip++ + 1;
    len += 2;
    if (static_cast<size_t>(op - begin) < back || static_cast<size_t>(out_end - op) < len)
      return false;
    for (const uint8_t* ref = op - back; len > 0; --len) *op++ = *ref++;  // may overlap
  }
  return op == out_end;
}

}  // namespace tally
