#include "tally/storage/value_codec.h"

#include <cstring>

namespace tally {

namespace {
constexpr uint8_t kHasExpire = 1;
constexpr uint8_t kLastType = static_cast<uint8_t>(ValueType::kList);

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint at *pos; false if the bytes end first or it runs past 64 bits.
bool GetVarint(std::string_view in, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}
}  // namespace

const char* TypeName(ValueType type) { return type == ValueType::kList ? "list" : "string"; }

void EncodeValue(ValueType type, std::string_view payload, int64_t expire_at_ms, std::string* out) {
  out->push_back(static_cast<char>(type));
  out->push_back(static_cast<char>(expire_at_ms != 0 ? kHasExpire : 0));
  if (expire_at_ms != 0) {
    uint64_t v = static_cast<uint64_t>(expire_at_ms);
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  out->append(payload);
}

StatusOr<DecodedValue> DecodeValue(std::string_view bytes) {
  if (bytes.size() < 2) return Status::Corruption("value shorter than its header");
  DecodedValue d;
  const uint8_t type = static_cast<uint8_t>(bytes[0]);
  if (type > kLastType) return Status::Corruption("unknown value type " + std::to_string(type));
  d.type = static_cast<ValueType>(type);
  uint8_t flags = static_cast<uint8_t>(bytes[1]);
  if ((flags & ~kHasExpire) != 0) return Status::Corruption("unknown value flags");
  size_t pos = 2;
  if (flags & kHasExpire) {
    if (bytes.size() < 10) return Status::Corruption("value shorter than its expiry");
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[2 + i])) << (8 * i);
    d.expire_at_ms = static_cast<int64_t>(v);
    if (d.expire_at_ms == 0) return Status::Corruption("expiry flag with a zero expiry");
    pos = 10;
  }
  d.payload = bytes.substr(pos);
  return d;
}

std::string EncodeList(std::span<const std::string> items) {
  size_t size = 0;
  for (const std::string& s : items) size += s.size() + 2;
  std::string out;
  out.reserve(size);
  for (const std::string& s : items) {
    PutVarint(s.size(), &out);
    out.append(s);
  }
  return out;
}

Status DecodeList(std::string_view payload, std::vector<std::string>* items) {
  items->clear();
  size_t pos = 0;
  while (pos < payload.size()) {
    uint64_t len = 0;
    if (!GetVarint(payload, &pos, &len) || len > payload.size() - pos)
      return Status::Corruption("list element runs past the value");
    items->emplace_back(payload.substr(pos, len));
    pos += len;
  }
  return Status::OK();
}

}  // namespace tally
