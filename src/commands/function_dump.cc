// FUNCTION DUMP and RESTORE's payload, as Redis 7.0 writes it (functions.c, rdb.c): for each
// library the opcode RDB_OPCODE_FUNCTION2 and its code as an RDB string, then the RDB version
// (2 bytes, little-endian) and the CRC64 of everything before (8 bytes, little-endian).
// Strings are written plain; LZF-compressed ones (as Redis writes code longer than 20 bytes)
// are read too.
#include "function_dump.h"

#include "tally/protocol/errors.h"
#include "tally/rdb/rdb_reader.h"

namespace tally {
namespace {

constexpr unsigned char kOpFunction2 = 245;
constexpr unsigned char kOpFunctionPreGa = 246;
constexpr int kRdbVersion = 10;  // Redis 7.0's
constexpr const char* kBadPayload = "DUMP payload version or checksum are wrong";

void AppendLength(uint64_t n, std::string* out) {
  if (n < 64) {
    out->push_back(static_cast<char>(n));
  } else if (n < 16384) {
    out->push_back(static_cast<char>(0x40 | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xff));
  } else if (n <= 0xffffffffULL) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
}

// An RDB length at *pos; sets *encoded for the special encodings (0xC0 | type).
bool ReadLength(std::string_view in, size_t* pos, uint64_t* n, bool* encoded) {
  if (*pos >= in.size()) return false;
  const auto first = static_cast<unsigned char>(in[(*pos)++]);
  *encoded = false;
  switch (first >> 6) {
    case 0:
      *n = first & 0x3f;
      return true;
    case 1:
      if (*pos >= in.size()) return false;
      *n = ((first & 0x3f) << 8) | static_cast<unsigned char>(in[(*pos)++]);
      return true;
    case 2: {
      const int bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : 0;
      if (bytes == 0 || *pos + bytes > in.size()) return false;
      *n = 0;
      for (int i = 0; i < bytes; ++i) *n = (*n << 8) | static_cast<unsigned char>(in[(*pos)++]);
      return true;
    }
    default:
      *encoded = true;
      *n = first & 0x3f;
      return true;
  }
}

bool ReadString(std::string_view in, size_t* pos, std::string* out) {
  uint64_t n = 0;
  bool encoded = false;
  if (!ReadLength(in, pos, &n, &encoded)) return false;
  if (!encoded) {
    if (n > in.size() - *pos) return false;
    out->assign(in.substr(*pos, n));
    *pos += n;
    return true;
  }
  if (n != 3) return false;  // RDB_ENC_LZF; code is never an integer encoding
  uint64_t clen = 0, len = 0;
  if (!ReadLength(in, pos, &clen, &encoded) || encoded) return false;
  if (!ReadLength(in, pos, &len, &encoded) || encoded) return false;
  if (clen > in.size() - *pos || len > (uint64_t{512} << 20)) return false;
  if (!LzfDecompress(in.substr(*pos, clen), len, out)) return false;
  *pos += clen;
  return true;
}

}  // namespace

std::string DumpFunctionLibraries(std::span<const std::string> codes) {
  std::string out;
  for (const auto& code : codes) {
    out.push_back(static_cast<char>(kOpFunction2));
    AppendLength(code.size(), &out);
    out += code;
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>((kRdbVersion >> 8) & 0xff));
  uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

bool ParseFunctionDump(std::string_view payload, std::vector<std::string>* codes,
                       std::string* error) {
  *error = kBadPayload;
  if (payload.size() < 10) return false;
  const size_t body = payload.size() - 10;
  const int version = static_cast<unsigned char>(payload[body]) |
                      (static_cast<unsigned char>(payload[body + 1]) << 8);
  if (version > kRdbVersion) return false;
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<unsigned char>(payload[body + 2 + i]);
  if (Crc64(0, payload.substr(0, body + 2)) != crc) return false;
  std::string_view in = payload.substr(0, body);
  size_t pos = 0;
  while (pos < in.size()) {
    const auto type = static_cast<unsigned char>(in[pos++]);
    if (type == kOpFunctionPreGa) {
      *error = errors::kDumpPreGa;
      return false;
    }
    if (type != kOpFunction2) {
      *error = errors::kDumpNotFunction;
      return false;
    }
    std::string code;
    if (!ReadString(in, &pos, &code)) {
      *error = errors::kDumpBadPayload;
      return false;
    }
    codes->push_back(std::move(code));
  }
  return true;
}

}  // namespace tally
