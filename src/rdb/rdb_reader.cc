#include "tally/rdb/rdb_reader.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>

#include "rdb_format.h"

namespace tally {
namespace rdb {

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

Status Reader::Value(uint8_t type, int64_t expire_at_ms) {
  TALLY_RETURN_IF_ERROR(String(&key_));
  if (type == kString) {
    TALLY_RETURN_IF_ERROR(String(&value_));
    return visitor_.OnString(db_, key_, value_, expire_at_ms);
  }
  bool is_list = false;
  TALLY_RETURN_IF_ERROR(ReadList(type, &is_list));
  if (is_list) return visitor_.OnList(db_, key_, &items_, expire_at_ms);
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

}  // namespace rdb

Status ReadRdbFile(const std::string& path, RdbVisitor& visitor) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "rb"), fclose);
  if (!f) return Status::IOError("cannot open " + path + ": " + strerror(errno));
  rdb::Input in(f.get());
  return rdb::Reader(&in, &visitor).Run();
}

Status ReadRdb(std::string_view bytes, RdbVisitor& visitor) {
  if (bytes.empty()) return Status::Corruption("not an RDB file (empty)");
  std::unique_ptr<FILE, int (*)(FILE*)> f(
      fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb"), fclose);
  if (!f) return Status::IOError("fmemopen failed");
  rdb::Input in(f.get());
  return rdb::Reader(&in, &visitor).Run();
}

}  // namespace tally
