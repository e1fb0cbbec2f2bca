#include "tally/util/numbers.h"

#include <gtest/gtest.h>

#include <limits>

namespace tally {
namespace {

TEST(ParseInt64, AcceptsCanonicalForms) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("1"), 1);
  EXPECT_EQ(ParseInt64("-1"), -1);
  EXPECT_EQ(ParseInt64("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseInt64("-9223372036854775808"), std::numeric_limits<int64_t>::min());
}

TEST(ParseInt64, RejectsWhatRedisRejects) {
  for (const char* s : {"", "+1", " 1", "1 ", "01", "-0", "-", "1.0", "abc", "1a",
                        "9223372036854775808", "-9223372036854775809",
                        "100000000000000000000",  // 21 digits
                        "-00000000000000000001"}) {
    EXPECT_FALSE(ParseInt64(s).has_value()) << "'" << s << "'";
  }
  EXPECT_FALSE(ParseInt64(std::string_view("1\0", 2)).has_value());
}

TEST(ParseLongDouble, RedisRules) {
  EXPECT_EQ(ParseLongDouble("10.5"), 10.5L);
  EXPECT_EQ(ParseLongDouble("+1"), 1.0L);
  EXPECT_EQ(ParseLongDouble("5.0e3"), 5000.0L);
  EXPECT_EQ(ParseLongDouble("0x10"), 16.0L);
  EXPECT_TRUE(ParseLongDouble("inf").has_value());
  for (const char* s : {"", " 1", "1 ", "nan", "abc", "1e99999", "1..2"}) {
    EXPECT_FALSE(ParseLongDouble(s).has_value()) << "'" << s << "'";
  }
  EXPECT_FALSE(ParseLongDouble(std::string_view("1\0"
                                                "2",
                                                3))
                   .has_value());
}

TEST(FormatLongDouble, HumanMode) {
  EXPECT_EQ(FormatLongDouble(10.5L), "10.5");
  EXPECT_EQ(FormatLongDouble(3200.0L), "3200");
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
  EXPECT_EQ(FormatLongDouble(*ParseLongDouble("1.10")), "1.1");
  // The long-double artefact Redis shows: 10.6 - 5000.
  long double v = *ParseLongDouble("10.5") + *ParseLongDouble("0.1");
  EXPECT_EQ(FormatLongDouble(v), "10.6");
  EXPECT_EQ(FormatLongDouble(v + *ParseLongDouble("-5.0e3")), "-4989.39999999999999991");
  EXPECT_EQ(FormatLongDouble(*ParseLongDouble("1.23456789012345678901")), "1.23456789012345679");
}

TEST(ParseMemory, Units) {
  EXPECT_EQ(ParseMemory("100"), 100);
  EXPECT_EQ(ParseMemory("1k"), 1000);
  EXPECT_EQ(ParseMemory("1kb"), 1024);
  EXPECT_EQ(ParseMemory("512mb"), 512LL * 1024 * 1024);
  EXPECT_EQ(ParseMemory("1GB"), 1024LL * 1024 * 1024);
  EXPECT_FALSE(ParseMemory("1xb").has_value());
  EXPECT_FALSE(ParseMemory("mb").has_value());
}

}  // namespace
}  // namespace tally
