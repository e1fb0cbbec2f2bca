#include "tally/storage/value_codec.h"

#include <cstring>

namespace tally {

namespace {
constexpr uint8_t kHasExpire = 1;
}

void EncodeValue(std::string_view payload, int64_t expire_at_ms, std::string* out) {
  out->push_back(static_cast<char>(ValueType::kString));
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
  if (static_cast<uint8_t>(bytes[0]) != static_cast<uint8_t>(ValueType::kString))
    return Status::Corruption("unknown value type " + std::to_string(uint8_t(bytes[0])));
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

}  // namespace tally
