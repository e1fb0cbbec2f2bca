// The arithmetic of Tally's counter commands, as pure functions: INCREX (Redis 8.8's bounded
// increment; float bounds default to +-LDBL_MAX) and CL.THROTTLE's GCRA (redis-cell). The Keyspace
// runs them inside an update, so they see and produce a key's value atomically. Thread-safe (no
// state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tally/util/status.h"

namespace tally {

// INCREX's arguments, already parsed and checked by the command layer (lo <= hi).
struct IncrExOptions {
  bool is_float = false;  // BYFLOAT; else BYINT (default BYINT 1)
  int64_t by_int = 1;
  long double by_float = 0;
  std::optional<int64_t> lo_int, hi_int;          // LBOUND/UBOUND in integer mode
  std::optional<long double> lo_float, hi_float;  // ... in float mode
  bool saturate = false;
  enum class Ttl { kKeep, kPersist, kSet };
  Ttl ttl = Ttl::kKeep;
  int64_t expire_at_ms = 0;  // for kSet: absolute; not in the future deletes the key
  bool enx = false;          // kSet only when the key has no TTL
};

// INCREX's reply: the value after the command and the increment applied (0 when refused).
struct IncrExReply {
  bool is_float = false;
  int64_t value_int = 0, applied_int = 0;
  long double value_float = 0, applied_float = 0;
};

// One INCREX step on a key's current text (nullopt: missing, counts as 0). `written` is false
// when the result is refused (out of bounds or range without SATURATE): nothing changes.
struct IncrExOutcome {
  IncrExReply reply;
  bool written = false;
  std::string new_text;  // when written
};
// Errors: kNotInteger / kNotFloat (stored value), kValueInfinity (stored inf in float mode),
// kAppliedOverflow (integer applied increment leaves int64), kAppliedInfinity (float).
StatusOr<IncrExOutcome> ApplyIncrEx(std::optional<std::string_view> current,
                                    const IncrExOptions& options);

// CL.THROTTLE (redis-cell's GCRA): at most max_burst + 1 actions at once, refilled at
// count_per_period every period. Times in nanoseconds since the Unix epoch.
struct ThrottleParams {
  int64_t max_burst = 0;         // >= 0
  int64_t count_per_period = 1;  // > 0
  int64_t period_s = 1;          // > 0
  int64_t quantity = 1;          // >= 0; 0 only looks
};
struct ThrottleOutcome {
  bool limited = false;
  int64_t limit = 0, remaining = 0;
  int64_t retry_after_ns = -1'000'000'000;  // -1 s when not limited (redis-cell's convention)
  int64_t reset_after_ns = 0;
  bool write = false;  // store new_tat (the theoretical arrival time) for ttl_ns
  int64_t new_tat = 0, ttl_ns = 0;
};
// One CL.THROTTLE step given the stored TAT (nullopt: none). kOutOfRange when the
// parameters overflow 64-bit nanoseconds or allow more than a million actions a second.
StatusOr<ThrottleOutcome> ApplyThrottle(std::optional<int64_t> tat, int64_t now_ns,
                                        const ThrottleParams& params);
// redis-cell's rounding of a duration to whole seconds for its reply: up when there is a
// partial millisecond, toward zero otherwise.
int64_t ThrottleSeconds(int64_t ns);

// An INCREX reply kept for IDMP retries, and back.
std::string EncodeIncrExReply(const IncrExReply& reply);
std::optional<IncrExReply> DecodeIncrExReply(std::string_view text);

}  // namespace tally
