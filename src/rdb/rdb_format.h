// The RDB reader's internals, shared by rdb_reader.cc (the file's structure: header, opcodes,
// keys, strings) and rdb_values.cc (values of every type other than a string: lists read,
// the rest read past). Not thread-safe: one Reader reads one file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tally/rdb/rdb_reader.h"

namespace tally::rdb {

// Opcodes and value types, as rdb.h numbers them.
enum : uint8_t {
  kOpSlotInfo = 244,
  kOpFunction2 = 245,
  kOpFunctionPreGa = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireMs = 252,
  kOpExpireSec = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};
enum : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZset = 3,
  kHash = 4,
  kZset2 = 5,
  kModulePreGa = 6,
  kModule2 = 7,
  kHashZipmap = 9,
  kListZiplist = 10,
  kSetIntset = 11,
  kZsetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,
  kStreamListpacks = 15,
  kHashListpack = 16,
  kZsetListpack = 17,
  kListQuicklist2 = 18,
  kStreamListpacks2 = 19,
  kSetListpack = 20,
  kStreamListpacks3 = 21,
};
constexpr int kMaxVersion = 11;                   // Redis 7.2
constexpr uint64_t kMaxStringBytes = 1ull << 32;  // past any proto-max-bulk-len

// Buffered input that keeps the CRC64 of everything read and the offset for errors.
class Input {
 public:
  explicit Input(FILE* f) : f_(f) {}

  Status Bytes(size_t n, std::string* out) {
    out->clear();
    // Grows as bytes arrive: a damaged length fails at the end of the file, not in malloc.
    while (out->size() < n) {
      const size_t chunk = std::min<size_t>(n - out->size(), 1 << 20);
      const size_t at = out->size();
      out->resize(at + chunk);
      if (fread(out->data() + at, 1, chunk, f_) != chunk) return Truncated();
    }
    crc_ = Crc64(crc_, *out);
    offset_ += n;
    return Status::OK();
  }
  Status Byte(uint8_t* b) {
    TALLY_RETURN_IF_ERROR(Bytes(1, &scratch_));
    *b = static_cast<uint8_t>(scratch_[0]);
    return Status::OK();
  }
  // `n` bytes as a little-endian unsigned integer.
  Status Little(size_t n, uint64_t* v) {
    TALLY_RETURN_IF_ERROR(Bytes(n, &scratch_));
    *v = 0;
    for (size_t i = n; i-- > 0;) *v = (*v << 8) | static_cast<uint8_t>(scratch_[i]);
    return Status::OK();
  }
  Status Skip(size_t n) { return Bytes(n, &scratch_); }
  Status Corrupt(const std::string& what) const {
    return Status::Corruption("RDB: " + what + " at offset " + std::to_string(offset_));
  }
  uint64_t crc() const { return crc_; }

 private:
  Status Truncated() const { return Corrupt("unexpected end of file"); }

  FILE* f_;
  uint64_t crc_ = 0;
  uint64_t offset_ = 0;
  std::string scratch_;
};

class Reader {
 public:
  Reader(Input* in, RdbVisitor* visitor) : in_(*in), visitor_(*visitor) {}
  Status Run();

 private:
  Status Length(uint64_t* len, bool* encoded = nullptr);
  Status String(std::string* out);
  Status SkipStrings(uint64_t n);
  Status SkipValue(uint8_t type);
  // A list of any encoding into items_; false in *is_list for another type.
  Status ReadList(uint8_t type, bool* is_list);
  Status SkipStream(uint8_t type);
  Status SkipModuleOpcodes();
  Status Value(uint8_t type, int64_t expire_at_ms);
  Status Header();
  Status Meta(uint8_t op);  // an opcode that is not a key, an expiry or the end

  Input& in_;
  RdbVisitor& visitor_;
  int version_ = 0;
  uint64_t db_ = 0;
  std::string key_, value_, scratch_;
  std::vector<std::string> items_;
  std::string compressed_;  // String()'s LZF input (its output may be scratch_)
};

// The type name a value type counts under in the report ("set", "zset", "hash", ...).
const char* TypeName(uint8_t type);

}  // namespace tally::rdb
