#include "tally/util/strings.h"

#include <gtest/gtest.h>

namespace tally {
namespace {

using Args = std::vector<std::string>;

TEST(SplitArgs, PlainAndQuoted) {
  EXPECT_EQ(*SplitArgs("set a b"), (Args{"set", "a", "b"}));
  EXPECT_EQ(*SplitArgs("  set\t a  "), (Args{"set", "a"}));
  EXPECT_EQ(*SplitArgs("set \"a b\" 'c d'"), (Args{"set", "a b", "c d"}));
  EXPECT_EQ(*SplitArgs("\"\\x41\\n\""), (Args{"A\n"}));
  EXPECT_EQ(*SplitArgs("'it\\'s'"), (Args{"it's"}));
  EXPECT_EQ(*SplitArgs("ab\"cd\""), (Args{"abcd"}));
  EXPECT_EQ(*SplitArgs(""), Args{});
}

TEST(SplitArgs, Unbalanced) {
  EXPECT_FALSE(SplitArgs("set \"a b").has_value());
  EXPECT_FALSE(SplitArgs("set \"a\"b c").has_value());
  EXPECT_FALSE(SplitArgs("set 'a").has_value());
}

TEST(GlobMatch, RedisRules) {
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h[b-a]llo", "hbllo"));  // reversed ranges are swapped
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hello"));
  EXPECT_TRUE(GlobMatch("PORT", "port", /*nocase=*/true));
  EXPECT_FALSE(GlobMatch("PORT", "port"));
  // A pathological pattern finishes quickly.
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*b", std::string(200, 'a')));
}

}  // namespace
}  // namespace tally
