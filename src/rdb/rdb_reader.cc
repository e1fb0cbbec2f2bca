#include "tally/rdb/rdb_reader.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>

namespace tally {
namespace {

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
  std::string compressed_;  // String()'s LZF input (its output may be scratch_)
};

Status Reader::Length(uint64_t* len, bool* encoded) {
  uint8_t b;
  TALLY_RETURN_IF_ERROR(in_.Byte(&b));
  if (encoded) *encoded = false;
  switch (b >> 6) {
    case 0:
      *len = b & 0x3f;
      return Status::OK();
    case 1: {
      uint8_t lo;
      TALLY_RETURN_IF_ERROR(in_.Byte(&lo));
      *len = (static_cast<uint64_t>(b & 0x3f) << 8) | lo;
      return Status::OK();
    }
    case 3:
      if (!encoded) return in_.Corrupt("an encoded length where a plain one belongs");
      *encoded = true;
      *len = b & 0x3f;
      return Status::OK();
    default:
      if (b != 0x80 && b != 0x81) return in_.Corrupt("unknown length encoding");
      TALLY_RETURN_IF_ERROR(in_.Little(b == 0x80 ? 4 : 8, len));
      // Stored big-endian.
      *len = b == 0x80 ? __builtin_bswap32(static_cast<uint32_t>(*len)) : __builtin_bswap64(*len);
      return Status::OK();
  }
}

Status Reader::String(std::string* out) {
  uint64_t len;
  bool encoded;
  TALLY_RETURN_IF_ERROR(Length(&len, &encoded));
  if (!encoded) {
    if (len > kMaxStringBytes) return in_.Corrupt("string length " + std::to_string(len));
    return in_.Bytes(len, out);
  }
  if (len <= 2) {  // an integer of 1, 2 or 4 bytes, little-endian, signed
    const size_t n = size_t{1} << len;
    uint64_t v;
    TALLY_RETURN_IF_ERROR(in_.Little(n, &v));
    const int shift = 64 - 8 * static_cast<int>(n);
    *out = std::to_string(static_cast<int64_t>(v << shift) >> shift);
    return Status::OK();
  }
  if (len != 3) return in_.Corrupt("unknown string encoding");
  uint64_t clen, ulen;
  TALLY_RETURN_IF_ERROR(Length(&clen));
  TALLY_RETURN_IF_ERROR(Length(&ulen));
  if (clen > kMaxStringBytes || ulen > kMaxStringBytes || ulen > clen * 256 + 64)
    return in_.Corrupt("LZF lengths " + std::to_string(clen) + "/" + std::to_string(ulen));
  TALLY_RETURN_IF_ERROR(in_.Bytes(clen, &compressed_));
  if (!LzfDecompress(compressed_, ulen, out)) return in_.Corrupt("invalid LZF data");
  return Status::OK();
}

Status Reader::SkipStrings(uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) TALLY_RETURN_IF_ERROR(String(&scratch_));
  return Status::OK();
}

Status Reader::SkipModuleOpcodes() {
  for (;;) {
    uint64_t op, v;
    TALLY_RETURN_IF_ERROR(Length(&op));
    switch (op) {
      case 0:  // EOF
        return Status::OK();
      case 1:  // SINT
      case 2:  // UINT
        TALLY_RETURN_IF_ERROR(Length(&v));
        break;
      case 3:  // FLOAT
        TALLY_RETURN_IF_ERROR(in_.Skip(4));
        break;
      case 4:  // DOUBLE
        TALLY_RETURN_IF_ERROR(in_.Skip(8));
        break;
      case 5:  // STRING
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        break;
      default:
        return in_.Corrupt("unknown module opcode " + std::to_string(op));
    }
  }
}

Status Reader::SkipStream(uint8_t type) {
  uint64_t n, v;
  TALLY_RETURN_IF_ERROR(Length(&n));  // listpacks: (node key, listpack) pairs
  TALLY_RETURN_IF_ERROR(SkipStrings(2 * n));
  // Length, last ID; then (v2 and later) first ID, max deleted ID and entries added.
  const int ids = type >= kStreamListpacks2 ? 8 : 3;
  for (int i = 0; i < ids; ++i) TALLY_RETURN_IF_ERROR(Length(&v));
  uint64_t groups;
  TALLY_RETURN_IF_ERROR(Length(&groups));
  for (uint64_t g = 0; g < groups; ++g) {
    TALLY_RETURN_IF_ERROR(String(&scratch_));  // name
    for (int i = 0; i < (type >= kStreamListpacks2 ? 3 : 2); ++i)
      TALLY_RETURN_IF_ERROR(Length(&v));  // last ID (ms, seq), entries read
    uint64_t pending;
    TALLY_RETURN_IF_ERROR(Length(&pending));
    for (uint64_t p = 0; p < pending; ++p) {
      TALLY_RETURN_IF_ERROR(in_.Skip(16 + 8));  // raw ID, delivery time
      TALLY_RETURN_IF_ERROR(Length(&v));        // delivery count
    }
    uint64_t consumers;
    TALLY_RETURN_IF_ERROR(Length(&consumers));
    for (uint64_t c = 0; c < consumers; ++c) {
      TALLY_RETURN_IF_ERROR(String(&scratch_));                             // name
      TALLY_RETURN_IF_ERROR(in_.Skip(type >= kStreamListpacks3 ? 16 : 8));  // seen (active) time
      TALLY_RETURN_IF_ERROR(Length(&pending));
      for (uint64_t p = 0; p < pending; ++p) TALLY_RETURN_IF_ERROR(in_.Skip(16));
    }
  }
  return Status::OK();
}

Status Reader::SkipValue(uint8_t type) {
  uint64_t n, v;
  switch (type) {
    case kList:
    case kSet:
    case kListQuicklist:
      TALLY_RETURN_IF_ERROR(Length(&n));
      return SkipStrings(n);
    case kHash:
      TALLY_RETURN_IF_ERROR(Length(&n));
      return SkipStrings(2 * n);
    case kZset:  // member, score as a length-prefixed decimal (253-255: nan, +inf, -inf)
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        uint8_t len;
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        TALLY_RETURN_IF_ERROR(in_.Byte(&len));
        if (len < 253) TALLY_RETURN_IF_ERROR(in_.Skip(len));
      }
      return Status::OK();
    case kZset2:  // member, binary double
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        TALLY_RETURN_IF_ERROR(in_.Skip(8));
      }
      return Status::OK();
    case kListQuicklist2:  // (container kind, ziplist or listpack or plain node) per node
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        TALLY_RETURN_IF_ERROR(Length(&v));
        TALLY_RETURN_IF_ERROR(String(&scratch_));
      }
      return Status::OK();
    case kHashZipmap:
    case kListZiplist:
    case kSetIntset:
    case kZsetZiplist:
    case kHashZiplist:
    case kHashListpack:
    case kZsetListpack:
    case kSetListpack:
      return String(&scratch_);  // one blob
    case kStreamListpacks:
    case kStreamListpacks2:
    case kStreamListpacks3:
      return SkipStream(type);
    case kModule2:
      TALLY_RETURN_IF_ERROR(Length(&v));  // module ID
      return SkipModuleOpcodes();
    case kModulePreGa:
      return in_.Corrupt("a module value of the pre-GA format, which Redis itself refuses");
    default:
      return in_.Corrupt("unknown value type " + std::to_string(type));
  }
}

const char* TypeName(uint8_t type) {
  switch (type) {
    case kList:
    case kListZiplist:
    case kListQuicklist:
    case kListQuicklist2:
      return "list";
    case kSet:
    case kSetIntset:
    case kSetListpack:
      return "set";
    case kZset:
    case kZset2:
    case kZsetZiplist:
    case kZsetListpack:
      return "zset";
    case kHash:
    case kHashZipmap:
    case kHashZiplist:
    case kHashListpack:
      return "hash";
    case kStreamListpacks:
    case kStreamListpacks2:
    case kStreamListpacks3:
      return "stream";
    default:
      return "module";
  }
}

Status Reader::Value(uint8_t type, int64_t expire_at_ms) {
  TALLY_RETURN_IF_ERROR(String(&key_));
  if (type == kString) {
    TALLY_RETURN_IF_ERROR(String(&value_));
    return visitor_.OnString(db_, key_, value_, expire_at_ms);
  }
  TALLY_RETURN_IF_ERROR(SkipValue(type));
  visitor_.OnOtherType(db_, key_, TypeName(type));
  return Status::OK();
}

Status Reader::Header() {
  std::string magic;
  TALLY_RETURN_IF_ERROR(in_.Bytes(9, &magic));
  version_ = 0;  // four decimal digits: "REDIS0010"
  for (size_t i = 5; i < 9; ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(magic[i]));
    version_ = digit ? version_ * 10 + magic[i] - '0' : -1000;
  }
  if (magic.compare(0, 5, "REDIS") != 0 || version_ < 1)
    return Status::Corruption("not an RDB file (no REDIS<version> header)");
  if (version_ > kMaxVersion)
    return Status::Corruption("RDB format version " + std::to_string(version_) +
                              " is newer than Redis 7.2's (" + std::to_string(kMaxVersion) + ")");
  return Status::OK();
}

Status Reader::Meta(uint8_t op) {
  uint64_t v;
  switch (op) {
    case kOpFreq:
      return in_.Skip(1);
    case kOpIdle:
      return Length(&v);
    case kOpSelectDb:
      return Length(&db_);
    case kOpResizeDb:
      TALLY_RETURN_IF_ERROR(Length(&v));
      return Length(&v);
    case kOpSlotInfo:
      for (int i = 0; i < 3; ++i) TALLY_RETURN_IF_ERROR(Length(&v));
      return Status::OK();
    case kOpAux:
      return SkipStrings(2);
    case kOpModuleAux:
      for (int i = 0; i < 3; ++i) TALLY_RETURN_IF_ERROR(Length(&v));  // ID, when opcode, when
      return SkipModuleOpcodes();
    case kOpFunction2:
      TALLY_RETURN_IF_ERROR(String(&scratch_));
      visitor_.OnFunction();
      return Status::OK();
    default:  // kOpFunctionPreGa
      return in_.Corrupt("a function of the pre-GA format, which Redis itself refuses");
  }
}

Status Reader::Run() {
  TALLY_RETURN_IF_ERROR(Header());
  int64_t expire_at_ms = 0;  // for the next key
  for (;;) {
    uint8_t op;
    uint64_t v;
    TALLY_RETURN_IF_ERROR(in_.Byte(&op));
    if (op == kOpExpireSec || op == kOpExpireMs) {
      TALLY_RETURN_IF_ERROR(in_.Little(op == kOpExpireSec ? 4 : 8, &v));
      expire_at_ms = static_cast<int64_t>(v) * (op == kOpExpireSec ? 1000 : 1);
    } else if (op == kOpEof) {
      if (version_ < 5) return Status::OK();  // no checksum before RDB 5
      const uint64_t computed = in_.crc();
      TALLY_RETURN_IF_ERROR(in_.Little(8, &v));
      // 0: written with rdbchecksum no.
      return v == 0 || v == computed ? Status::OK() : in_.Corrupt("checksum mismatch");
    } else if (op >= kOpSlotInfo) {
      TALLY_RETURN_IF_ERROR(Meta(op));
    } else {
      TALLY_RETURN_IF_ERROR(Value(op, expire_at_ms));
      expire_at_ms = 0;
    }
  }
}

}  // namespace

Status ReadRdbFile(const std::string& path, RdbVisitor& visitor) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "rb"), fclose);
  if (!f) return Status::IOError("cannot open " + path + ": " + strerror(errno));
  Input in(f.get());
  return Reader(&in, &visitor).Run();
}

Status ReadRdb(std::string_view bytes, RdbVisitor& visitor) {
  if (bytes.empty()) return Status::Corruption("not an RDB file (empty)");
  std::unique_ptr<FILE, int (*)(FILE*)> f(
      fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb"), fclose);
  if (!f) return Status::IOError("fmemopen failed");
  Input in(f.get());
  return Reader(&in, &visitor).Run();
}

}  // namespace tally
