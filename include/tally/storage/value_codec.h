// The on-disk value format (DESIGN.md "Storage format"):
//   [type: 1 byte][flags: 1 byte][expire-at ms: 8 bytes little-endian, if flags & 1][payload]
// Strings and counters are type kString; the payload is the exact bytes a client set.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tally/util/status.h"

namespace tally {

enum class ValueType : uint8_t { kString = 0 };

struct DecodedValue {
  ValueType type = ValueType::kString;
  int64_t expire_at_ms = 0;  // 0: no expiry
  std::string_view payload;  // points into the encoded bytes
};

// Appends the encoding of a string value to *out.
void EncodeValue(std::string_view payload, int64_t expire_at_ms, std::string* out);
// Decodes bytes written by EncodeValue. Corruption if they are not such bytes: a damaged value
// is reported, never read as empty or zero.
StatusOr<DecodedValue> DecodeValue(std::string_view bytes);

}  // namespace tally
