// INCREX's arithmetic (Redis 8.8 t_string.c increxCommand): add, then keep the result inside
// [LBOUND, UBOUND] and the type's range by refusing (the default) or clamping (SATURATE).
#include "tally/storage/counters.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "tally/util/numbers.h"

namespace tally {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

IncrExOutcome Refused(IncrExReply reply) {
  reply.applied_int = 0;
  reply.applied_float = 0;
  return IncrExOutcome{reply, false, {}};
}

StatusOr<IncrExOutcome> IncrInt(std::optional<std::string_view> current, const IncrExOptions& o) {
  int64_t cur = 0;
  if (current) {
    auto v = ParseInt64(*current);
    if (!v) return Status::NotInteger();
    cur = *v;
  }
  IncrExReply reply;
  reply.value_int = cur;
  int64_t next = 0;
  if (__builtin_add_overflow(cur, o.by_int, &next)) {
    if (!o.saturate) return Refused(reply);
    next = o.by_int > 0 ? kMax : kMin;
  }
  const int64_t lo = o.lo_int.value_or(kMin), hi = o.hi_int.value_or(kMax);
  if (next > hi || next < lo) {
    if (!o.saturate) return Refused(reply);
    next = next > hi ? hi : lo;
  }
  int64_t applied = 0;
  if (__builtin_sub_overflow(next, cur, &applied))
    return Status::Of(Status::Code::kAppliedOverflow);
  reply.value_int = next;
  reply.applied_int = applied;
  return IncrExOutcome{reply, true, FormatInt64(next)};
}

StatusOr<IncrExOutcome> IncrFloat(std::optional<std::string_view> current, const IncrExOptions& o) {
  long double cur = 0;
  if (current) {
    auto v = ParseLongDouble(*current);
    if (!v) return Status::NotFloat();
    if (std::isinf(*v)) return Status::Of(Status::Code::kValueInfinity);
    cur = *v;
  }
  IncrExReply reply;
  reply.is_float = true;
  reply.value_float = cur;
  long double next = cur + o.by_float;
  if (std::isinf(next)) {
    if (!o.saturate) return Refused(reply);
    next = o.by_float > 0 ? LDBL_MAX : -LDBL_MAX;
  }
  const long double lo = o.lo_float.value_or(-LDBL_MAX), hi = o.hi_float.value_or(LDBL_MAX);
  if (next > hi || next < lo) {
    if (!o.saturate) return Refused(reply);
    next = next > hi ? hi : lo;
  }
  const long double applied = next - cur;
  if (std::isinf(applied) || std::isnan(applied)) return Status::Of(Status::Code::kAppliedInfinity);
  if (next == 0) next = 0;  // no negative zero
  reply.value_float = next;
  reply.applied_float = applied;
  return IncrExOutcome{reply, true, FormatLongDouble(next)};
}

}  // namespace

StatusOr<IncrExOutcome> ApplyIncrEx(std::optional<std::string_view> current,
                                    const IncrExOptions& options) {
  return options.is_float ? IncrFloat(current, options) : IncrInt(current, options);
}

std::string EncodeIncrExReply(const IncrExReply& r) {
  std::string out(1, r.is_float ? 'f' : 'i');
  out.append(r.is_float ? FormatLongDouble(r.value_float) : FormatInt64(r.value_int));
  out.push_back(' ');
  out.append(r.is_float ? FormatLongDouble(r.applied_float) : FormatInt64(r.applied_int));
  return out;
}

std::optional<IncrExReply> DecodeIncrExReply(std::string_view text) {
  size_t space = text.find(' ');
  if (text.empty() || space == std::string_view::npos) return std::nullopt;
  std::string_view value = text.substr(1, space - 1), applied = text.substr(space + 1);
  IncrExReply r;
  if (text[0] == 'i') {
    auto v = ParseInt64(value), a = ParseInt64(applied);
    if (!v || !a) return std::nullopt;
    r.value_int = *v;
    r.applied_int = *a;
    return r;
  }
  auto v = ParseLongDouble(value), a = ParseLongDouble(applied);
  if (text[0] != 'f' || !v || !a) return std::nullopt;
  r.is_float = true;
  r.value_float = *v;
  r.applied_float = *a;
  return r;
}

}  // namespace tally

namespace tally {

// redis-cell's RateLimiter::rate_limit (src/cell/mod.rs), with its arithmetic checked.
StatusOr<ThrottleOutcome> ApplyThrottle(std::optional<int64_t> stored, int64_t now,
                                        const ThrottleParams& p) {
  const Status range = Status::Of(Status::Code::kOutOfRange);
  const int64_t emission = static_cast<int64_t>(static_cast<double>(p.period_s) * 1e9 /
                                                static_cast<double>(p.count_per_period));
  int64_t dvt = 0, increment = 0, limit = 0;
  if (p.period_s > kMax / 1'000'000'000 || emission < 1000 ||  // more than a million per second
      __builtin_add_overflow(p.max_burst, 1, &limit) ||
      __builtin_mul_overflow(emission, limit, &dvt) ||
      __builtin_mul_overflow(emission, p.quantity, &increment))
    return range;
  ThrottleOutcome out;
  out.limit = limit;
  const int64_t tat = stored.value_or(now);
  int64_t new_tat = 0;
  if (__builtin_add_overflow(std::max(now, tat), increment, &new_tat)) return range;
  const int64_t allow_at = new_tat - dvt;
  int64_t ttl = 0;
  if (now < allow_at) {  // the next permitted time is in the future
    if (increment <= dvt) out.retry_after_ns = allow_at - now;
    out.limited = true;
    ttl = tat - now;
  } else {
    ttl = new_tat - now;
    out.write = p.quantity > 0;
    out.new_tat = new_tat;
    out.ttl_ns = ttl;
  }
  const int64_t next = dvt - ttl;
  if (next > -emission) {
    out.remaining = static_cast<int64_t>(static_cast<double>(next / 1000) /
                                         static_cast<double>(emission / 1000));
  }
  out.reset_after_ns = ttl;
  return out;
}

int64_t ThrottleSeconds(int64_t ns) {
  int64_t s = ns / 1'000'000'000;
  if ((ns % 1'000'000'000) / 1'000'000 > 0) ++s;
  return s;
}

}  // namespace tally
