// ACL users: the rules, the checks, describing a user back, and random rule strings.
#include "tally/commands/acl.h"

#include <gtest/gtest.h>

#include <random>

#include "tally/commands/command_table.h"

namespace tally {
namespace {

class AclTest : public ::testing::Test {
 protected:
  // A user made from `rules` (space-separated), or the first rule's refusal in `error`.
  AclUser Make(std::string_view rules, std::string* error = nullptr) {
    std::vector<std::string> words;
    for (size_t pos = 0; pos < rules.size();) {
      size_t sp = rules.find(' ', pos);
      if (sp == std::string_view::npos) sp = rules.size();
      words.emplace_back(rules.substr(pos, sp - pos));
      pos = sp + 1;
    }
    std::vector<std::string_view> views(words.begin(), words.end());
    std::string err;
    EXPECT_TRUE(acl_.SetUser("u", views, &err) || error != nullptr) << err;
    if (error) *error = err;
    auto u = acl_.Find("u");
    acl_.DeleteUser("u");
    return u ? *u : AclUser{};
  }
  const CommandSpec& Spec(std::string_view name) {
    std::string_view args[] = {name.substr(0, name.find('|')),
                               name.find('|') == std::string_view::npos
                                   ? std::string_view()
                                   : name.substr(name.find('|') + 1)};
    return *table_->Lookup(std::span(args, args[1].empty() ? 1 : 2));
  }
  AclDenied Check(const AclUser& u, std::vector<std::string_view> args) {
    return AclCheck(u, *table_->Lookup(args), args).denied;
  }
  std::unique_ptr<CommandTable> table_ = BuildCommandTable();
  Acl acl_{table_.get()};
};

TEST_F(AclTest, TheDefaultUserMayDoAnything) {
  auto u = acl_.Find("default");
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->unrestricted() && u->enabled && u->nopass);
  EXPECT_EQ(u->Describe(), "on nopass ~* &* +@all");
  EXPECT_NE(acl_.Authenticate("default", "anything"), nullptr);
}

TEST_F(AclTest, CommandsCategoriesAndSubcommands) {
  AclUser u = Make("on +@read -get +client|setname +incr");
  EXPECT_TRUE(u.CanRun(Spec("mget")));
  EXPECT_TRUE(u.CanRun(Spec("incr")));
  EXPECT_FALSE(u.CanRun(Spec("get")));
  EXPECT_FALSE(u.CanRun(Spec("set")));
  EXPECT_TRUE(u.CanRun(Spec("client|setname")));
  EXPECT_FALSE(u.CanRun(Spec("client|kill")));
  AclUser all = Make("+@all -@dangerous");
  EXPECT_TRUE(all.CanRun(Spec("get")));
  EXPECT_FALSE(all.CanRun(Spec("flushall")));
  EXPECT_FALSE(all.CanRun(Spec("client|kill")));
  EXPECT_EQ(all.Describe(), "off resetchannels +@all -@dangerous");
  // A later rule for a command replaces an earlier one, subcommands included.
  EXPECT_EQ(Make("+client|kill +get -client").Describe(), "off resetchannels -@all +get -client");
}

TEST_F(AclTest, KeysByAccess) {
  AclUser u = Make("+@all ~cnt:* %R~ro:* %W~wo:*");
  EXPECT_EQ(Check(u, {"incr", "cnt:1"}), AclDenied::kNone);
  EXPECT_EQ(Check(u, {"incr", "ro:1"}), AclDenied::kKey);
  EXPECT_EQ(Check(u, {"get", "ro:1"}), AclDenied::kNone);
  EXPECT_EQ(Check(u, {"get", "wo:1"}), AclDenied::kKey);
  EXPECT_EQ(Check(u, {"set", "wo:1", "v"}), AclDenied::kNone);  // SET without GET only writes
  EXPECT_EQ(Check(u, {"set", "wo:1", "v", "GET"}), AclDenied::kKey);
  EXPECT_EQ(Check(u, {"getrange", "wo:1", "0", "1"}), AclDenied::kKey);
  EXPECT_EQ(Check(u, {"strlen", "wo:1"}), AclDenied::kNone);  // STRLEN reads no data (RO)
  EXPECT_EQ(Check(u, {"exists", "wo:1"}), AclDenied::kNone);  // no access flag: any pattern
  EXPECT_EQ(Check(u, {"copy", "ro:1", "wo:1"}), AclDenied::kNone);
  EXPECT_EQ(Check(u, {"copy", "wo:1", "ro:1"}), AclDenied::kKey);
  EXPECT_EQ(Check(u, {"mset", "cnt:1", "1", "other", "2"}), AclDenied::kKey);
  EXPECT_EQ(Check(u, {"eval", "return 1", "1", "ro:1"}), AclDenied::kKey);
  EXPECT_EQ(Check(u, {"eval", "return 1", "1", "cnt:1"}), AclDenied::kNone);
}

TEST_F(AclTest, ChannelsAndLiteralPatterns) {
  AclUser u = Make("+@all allkeys &news.* &alerts");
  EXPECT_EQ(Check(u, {"publish", "news.x", "m"}), AclDenied::kNone);
  EXPECT_EQ(Check(u, {"publish", "other", "m"}), AclDenied::kChannel);
  EXPECT_EQ(Check(u, {"subscribe", "alerts", "news.1"}), AclDenied::kNone);
  EXPECT_EQ(Check(u, {"psubscribe", "news.*"}), AclDenied::kNone);
  EXPECT_EQ(Check(u, {"psubscribe", "news.a*"}), AclDenied::kChannel);  // must be one of them
  EXPECT_EQ(Check(u, {"unsubscribe", "other"}), AclDenied::kNone);
}

TEST_F(AclTest, PasswordsAndRefusals) {
  AclUser u = Make("on >a >b <a");
  EXPECT_FALSE(u.PasswordMatches("a"));
  EXPECT_TRUE(u.PasswordMatches("b"));
  std::string error;
  Make("+nosuch", &error);
  EXPECT_EQ(error,
            "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  Make("<nope", &error);
  EXPECT_NE(error.find("does not exist"), std::string::npos);
  Make("~* ~x", &error);
  EXPECT_NE(error.find("'~x'"), std::string::npos);
  // All or nothing: a refused rule leaves the user as it was.
  std::string_view good[] = {"on", ">pw"};
  ASSERT_TRUE(acl_.SetUser("v", good, &error));
  std::string_view bad[] = {"off", "+nosuch"};
  EXPECT_FALSE(acl_.SetUser("v", bad, &error));
  EXPECT_NE(acl_.Authenticate("v", "pw"), nullptr);
}

// Random rule strings: never a crash, and every user accepted describes itself into rules that
// rebuild exactly the same user.
TEST_F(AclTest, RandomRulesRoundTripThroughDescribe) {
  const char* pieces[] = {"on",
                          "off",
                          "nopass",
                          "resetpass",
                          ">p",
                          "<p",
                          "#",
                          "!",
                          "~",
                          "%R~",
                          "%W~",
                          "%RW~",
                          "%X~",
                          "&",
                          "allkeys",
                          "resetkeys",
                          "allchannels",
                          "resetchannels",
                          "+@",
                          "-@",
                          "+",
                          "-",
                          "reset",
                          "allcommands",
                          "nocommands",
                          "(",
                          "sanitize-payload",
                          "skip-sanitize-payload",
                          "|"};
  const char* words[] = {
      "get",    "read",      "all",
      "client", "setname",   "kill",
      "*",      "a*",        "x",
      "write",  "dangerous", "config|get",
      "nosuch", "",          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
  std::mt19937 rng(7);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> rules;
    for (int n = 1 + static_cast<int>(rng() % 6); n > 0; --n)
      rules.push_back(std::string(pieces[rng() % std::size(pieces)]) +
                      words[rng() % std::size(words)]);
    std::vector<std::string_view> views(rules.begin(), rules.end());
    std::string error;
    if (!acl_.SetUser("r", views, &error)) {
      EXPECT_EQ(error.rfind("Error in ACL SETUSER modifier '", 0), 0u) << error;
      continue;
    }
    ++accepted;
    auto u = acl_.Find("r");
    const std::string text = u->Describe();
    std::string rebuilt_error;
    AclUser again = Make(text, &rebuilt_error);
    ASSERT_TRUE(rebuilt_error.empty()) << text << ": " << rebuilt_error;
    EXPECT_EQ(again.Describe(), text);
    EXPECT_EQ(again.commands, u->commands) << text;
    acl_.DeleteUser("r");
  }
  EXPECT_GT(accepted, 150);
}

}  // namespace
}  // namespace tally
