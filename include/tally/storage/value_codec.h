// The on-disk value format (DESIGN.md "Storage format"):
//   [type: 1 byte][flags: 1 byte][expire-at ms: 8 bytes little-endian, if flags & 1][payload]
// A string's payload (type kString, strings and counters) is the exact bytes a client set. A
// list's payload (type kList) is its elements, head first, each as [varint length][bytes]; a
// list is stored whole, as one value (an empty list is never stored: the key is deleted).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tally/util/status.h"

namespace tally {

enum class ValueType : uint8_t { kString = 0, kList = 1 };

// TYPE's name of a value type ("string", "list").
const char* TypeName(ValueType type);

struct DecodedValue {
  ValueType type = ValueType::kString;
  int64_t expire_at_ms = 0;  // 0: no expiry
  std::string_view payload;  // points into the encoded bytes
};

// Appends the encoding of a value of `type` to *out.
void EncodeValue(ValueType type, std::string_view payload, int64_t expire_at_ms, std::string* out);
// The same for a string.
inline void EncodeValue(std::string_view payload, int64_t expire_at_ms, std::string* out) {
  EncodeValue(ValueType::kString, payload, expire_at_ms, out);
}
// Decodes bytes written by EncodeValue. Corruption if they are not such bytes: a damaged value
// is reported, never read as empty or zero.
StatusOr<DecodedValue> DecodeValue(std::string_view bytes);

// A list's payload from its elements, head first.
std::string EncodeList(std::span<const std::string> items);
// The elements of a list's payload, head first. Corruption if it is not such a payload.
Status DecodeList(std::string_view payload, std::vector<std::string>* items);

}  // namespace tally
