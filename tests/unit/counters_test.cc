// INCREX's arithmetic (storage/counters.h) and the command layer's argument parser.
#include "tally/storage/counters.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "tally/commands/arg_parser.h"
#include "tally/storage/events.h"
#include "tally/storage/history.h"

namespace tally {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

IncrExOptions Int(int64_t by) {
  IncrExOptions o;
  o.by_int = by;
  return o;
}

TEST(IncrEx, MissingKeyCountsAsZero) {
  auto r = ApplyIncrEx(std::nullopt, Int(1));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->written);
  EXPECT_EQ(r->new_text, "1");
  EXPECT_EQ(r->reply.value_int, 1);
  EXPECT_EQ(r->reply.applied_int, 1);
}

TEST(IncrEx, OutOfBoundsIsRefusedUnlessSaturate) {
  IncrExOptions o = Int(10);
  o.hi_int = 15;
  auto r = ApplyIncrEx("10", o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->written);
  EXPECT_EQ(r->reply.value_int, 10);
  EXPECT_EQ(r->reply.applied_int, 0);
  o.saturate = true;
  r = ApplyIncrEx("10", o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->written);
  EXPECT_EQ(r->new_text, "15");
  EXPECT_EQ(r->reply.applied_int, 5);
}

TEST(IncrEx, SaturateClampsAgainstTheIncrement) {
  IncrExOptions o = Int(5);
  o.hi_int = 5;
  o.saturate = true;
  auto r = ApplyIncrEx("10", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reply.value_int, 5);
  EXPECT_EQ(r->reply.applied_int, -5);
}

TEST(IncrEx, IntegerOverflow) {
  auto r = ApplyIncrEx(std::to_string(kMax), Int(1));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->written);
  IncrExOptions o = Int(kMin + 8);
  o.saturate = true;
  r = ApplyIncrEx(std::to_string(kMin + 8), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reply.value_int, kMin);
  EXPECT_EQ(r->reply.applied_int, -8);
  o = Int(1);
  o.saturate = true;
  o.hi_int = kMin;
  EXPECT_EQ(ApplyIncrEx("9223372036854775800", o).status().code(), Status::Code::kAppliedOverflow);
}

TEST(IncrEx, StoredValueErrors) {
  EXPECT_EQ(ApplyIncrEx("abc", Int(1)).status().code(), Status::Code::kNotInteger);
  IncrExOptions f;
  f.is_float = true;
  f.by_float = 1;
  EXPECT_EQ(ApplyIncrEx("abc", f).status().code(), Status::Code::kNotFloat);
  EXPECT_EQ(ApplyIncrEx("inf", f).status().code(), Status::Code::kValueInfinity);
  EXPECT_EQ(ApplyIncrEx("-inf", f).status().code(), Status::Code::kValueInfinity);
}

TEST(IncrEx, FloatOverflowAndBounds) {
  IncrExOptions f;
  f.is_float = true;
  f.by_float = LDBL_MAX;
  auto r = ApplyIncrEx("1e4932", f);  // the sum is infinite: refused
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->written);
  f.saturate = true;
  f.hi_float = 100;
  r = ApplyIncrEx("10", f);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->new_text, "100");
  EXPECT_EQ(r->reply.applied_float, 90);
  f.by_float = 1;
  f.lo_float = -HUGE_VALL;
  f.hi_float = -HUGE_VALL;
  EXPECT_EQ(ApplyIncrEx("10", f).status().code(), Status::Code::kAppliedInfinity);
  f = IncrExOptions{};
  f.is_float = true;
  f.by_float = -0.5L;
  r = ApplyIncrEx("0.5", f);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->new_text, "0");  // never "-0"
}

TEST(IncrEx, RepliesRoundTrip) {
  IncrExReply i;
  i.value_int = kMin;
  i.applied_int = -3;
  auto back = DecodeIncrExReply(EncodeIncrExReply(i));
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->is_float);
  EXPECT_EQ(back->value_int, kMin);
  EXPECT_EQ(back->applied_int, -3);
  IncrExReply f;
  f.is_float = true;
  f.value_float = 2.5L;
  f.applied_float = -0.25L;
  back = DecodeIncrExReply(EncodeIncrExReply(f));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->is_float);
  EXPECT_EQ(back->value_float, 2.5L);
  EXPECT_EQ(back->applied_float, -0.25L);
  EXPECT_FALSE(DecodeIncrExReply("").has_value());
  EXPECT_FALSE(DecodeIncrExReply("x1 2").has_value());
  EXPECT_FALSE(DecodeIncrExReply("i1").has_value());
}

// redis-cell's it_rate_limits table (src/cell/mod.rs): limit 5, one per second; the stored TAT
// carried from step to step as the Keyspace would.
TEST(Throttle, RedisCellTable) {
  constexpr int64_t kS = 1'000'000'000, kMs = 1'000'000;
  const int64_t start = 1'700'000'000 * kS;
  struct Case {
    int64_t at_ms, quantity, remaining, reset_ns, retry_ns;
    bool limited;
  } cases[] = {
      {0, 6, 5, 0, -kS, true},  // never more than the limit at once
      {0, 1, 4, 1 * kS, -kS, false},
      {0, 1, 3, 2 * kS, -kS, false},
      {0, 1, 2, 3 * kS, -kS, false},
      {0, 1, 1, 4 * kS, -kS, false},
      {0, 1, 0, 5 * kS, -kS, false},
      {0, 1, 0, 5 * kS, 1 * kS, true},
      {3000, 1, 2, 3000 * kMs, -kS, false},
      {3100, 1, 1, 3900 * kMs, -kS, false},
      {4000, 1, 1, 4000 * kMs, -kS, false},
      {8000, 1, 4, 1000 * kMs, -kS, false},
      {9500, 1, 4, 1000 * kMs, -kS, false},
      {9500, 0, 4, 1 * kS, -kS, false},  // a peek
      {9500, 2, 2, 3 * kS, -kS, false},
      {9500, 5, 2, 3 * kS, 3 * kS, true},
  };
  ThrottleParams p{4, 1, 1, 1};
  std::optional<int64_t> tat;
  for (const Case& c : cases) {
    p.quantity = c.quantity;
    auto r = ApplyThrottle(tat, start + c.at_ms * kMs, p);
    ASSERT_TRUE(r.ok());
    SCOPED_TRACE(c.at_ms);
    EXPECT_EQ(r->limited, c.limited);
    EXPECT_EQ(r->limit, 5);
    EXPECT_EQ(r->remaining, c.remaining);
    EXPECT_EQ(r->reset_after_ns, c.reset_ns);
    EXPECT_EQ(r->retry_after_ns, c.retry_ns);
    if (r->write) tat = r->new_tat;
  }
}

TEST(Throttle, SecondsRoundUpOnAPartialMillisecond) {
  EXPECT_EQ(ThrottleSeconds(-1'000'000'000), -1);
  EXPECT_EQ(ThrottleSeconds(0), 0);
  EXPECT_EQ(ThrottleSeconds(1'000'000'000), 1);
  EXPECT_EQ(ThrottleSeconds(1'001'000'000), 2);
  EXPECT_EQ(ThrottleSeconds(1'000'999'999), 1);  // under a millisecond over
  EXPECT_EQ(ThrottleSeconds(1'000'000'999), 1);  // less than a millisecond over
}

TEST(Throttle, OverflowingParametersAreRefused) {
  EXPECT_EQ(ApplyThrottle(std::nullopt, 0, {kMax, 1, 1, 1}).status().code(),
            Status::Code::kOutOfRange);
  EXPECT_EQ(ApplyThrottle(std::nullopt, 0, {1, 1, kMax, 1}).status().code(),
            Status::Code::kOutOfRange);
  EXPECT_EQ(ApplyThrottle(std::nullopt, 0, {1, 2'000'000, 1, 1}).status().code(),
            Status::Code::kOutOfRange);
  EXPECT_EQ(ApplyThrottle(kMax, 0, {1, 1, 1, 1}).status().code(), Status::Code::kOutOfRange);
}

TEST(History, KeysSortByKeyThenTime) {
  const std::string a1 = HistoryKey(0, "a", 1000), a2 = HistoryKey(0, "a", 2000);
  const std::string ab = HistoryKey(0, "ab", 0), b = HistoryKey(1, "a", 0);
  EXPECT_LT(a1, a2);
  EXPECT_LT(a2, ab);  // the length prefix keeps "a" and "ab" apart
  EXPECT_LT(ab, b);
  const std::string prefix = HistoryPrefix(0, "a");
  ASSERT_EQ(a2.substr(0, prefix.size()), prefix);
  EXPECT_EQ(HistoryTime(std::string_view(a2).substr(prefix.size())), 2000);
  const std::string v = "42";
  EXPECT_EQ(HistoryValue(HistorySample(&v)), std::optional<std::string_view>("42"));
  EXPECT_EQ(HistoryValue(HistorySample(nullptr)), std::nullopt);
}

TEST(History, PolicyMatchesGlobsAndCanBeTurnedOff) {
  HistoryPolicy policy;
  EXPECT_EQ(policy.For("views:1"), nullptr);
  HistorySettings s;
  s.patterns = {"views:*", "orders"};
  s.resolution_ms = 250;
  policy.Set(s);
  ASSERT_NE(policy.For("views:1"), nullptr);
  EXPECT_EQ(policy.For("views:1")->resolution_ms, 250);
  EXPECT_NE(policy.For("orders"), nullptr);
  EXPECT_EQ(policy.For("orders2"), nullptr);
  policy.Set(HistorySettings{});
  EXPECT_EQ(policy.For("views:1"), nullptr);
}

TEST(Alerts, OncePerCrossingInEitherDirection) {
  AlertRules rules;
  AlertRule above{true, "100", 100, "ch"}, below{false, "10", 10, "low"};
  rules.Replace(0, "k", {above, below});
  auto events = [&](const char* before, const char* after) {
    std::string b = before ? before : "", a = after ? after : "";
    std::vector<KeyEvent> out;
    CollectEvents(rules, false, 0, "k", before ? &b : nullptr, after ? &a : nullptr, 7, &out);
    return out;
  };
  EXPECT_TRUE(events("50", "99").empty());
  ASSERT_EQ(events("100", "101").size(), 1u);   // from <= n to > n
  EXPECT_TRUE(events("101", "150").empty());    // already above: not again
  EXPECT_TRUE(events(nullptr, "100").empty());  // a missing key counts as 0
  auto down = events("150", "5");               // one write crossing both ways down
  ASSERT_EQ(down.size(), 1u);
  EXPECT_FALSE(down[0].rule.above);
  EXPECT_EQ(down[0].value, std::optional<std::string>("5"));
  EXPECT_EQ(down[0].time_ms, 7);
  auto deleted = events("50", nullptr);  // a delete goes to 0: below 10
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_FALSE(deleted[0].value.has_value());
  EXPECT_TRUE(events("x", "y").empty());  // text counts as 0
  // Other keys and databases have their own rules; a change event is extra.
  std::vector<KeyEvent> out;
  std::string v = "500";
  CollectEvents(rules, true, 1, "k", nullptr, &v, 0, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, KeyEvent::Kind::kChange);
  rules.Replace(0, "k", {});
  EXPECT_TRUE(rules.empty());
}

TEST(Alerts, RulesRoundTrip) {
  std::vector<AlertRule> rules = {{true, "1.5", 1.5L, "a b"}, {false, "-3", -3, ""}};
  auto back = DecodeAlertRules(EncodeAlertRules(rules));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, rules);
  EXPECT_FALSE(DecodeAlertRules("X").has_value());
  EXPECT_FALSE(DecodeAlertRules(std::string("A\0\0\0\x09", 5)).has_value());
}

TEST(ArgParser, OptionsValuesAndRepeats) {
  std::string_view args[] = {"lbound", "5", "SATURATE", "ex", "10"};
  ArgParser p(args);
  std::string_view lo, ex;
  bool has_lo = false, saturate = false;
  EXPECT_TRUE(p.Check("LBOUND", &lo, &has_lo));
  EXPECT_EQ(lo, "5");
  EXPECT_FALSE(p.Check("UBOUND"));
  EXPECT_TRUE(p.Check("SATURATE", &saturate));
  EXPECT_TRUE(p.Check("EX", &ex));
  EXPECT_EQ(ex, "10");
  EXPECT_FALSE(p.HasNext());
  EXPECT_TRUE(p.ok());

  std::string_view twice[] = {"NX", "NX"};
  ArgParser q(twice);
  bool nx = false;
  EXPECT_TRUE(q.Check("NX", &nx));
  EXPECT_TRUE(q.Check("NX", &nx));
  EXPECT_STREQ(q.error(), errors::kSyntax);
  EXPECT_FALSE(q.HasNext());  // nothing more is read after an error
}

TEST(ArgParser, MissingValueAndNumbers) {
  std::string_view args[] = {"LIMIT"};
  ArgParser p(args);
  std::string_view v;
  EXPECT_TRUE(p.Check("LIMIT", &v));
  EXPECT_STREQ(p.error(), errors::kSyntax);

  std::string_view nums[] = {"12", "x", "7"};
  ArgParser n(nums);
  EXPECT_EQ(n.NextInt64(), 12);
  EXPECT_EQ(n.NextInt64(), 0);
  EXPECT_STREQ(n.error(), errors::kNotInteger);
  EXPECT_EQ(n.NextInt64(), 0);  // the first error stays
  EXPECT_STREQ(n.error(), errors::kNotInteger);

  std::string_view range[] = {"0"};
  ArgParser r(range);
  r.NextInt64InRange(1, 10, errors::kSyntax);
  EXPECT_STREQ(r.error(), errors::kSyntax);
}

}  // namespace
}  // namespace tally
