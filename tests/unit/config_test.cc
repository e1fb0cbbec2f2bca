#include "tally/util/config.h"

#include "test_util.h"

namespace tally {
namespace {

TEST(Config, Defaults) {
  Config c;
  EXPECT_EQ(c.Int(Opt::kPort), 6379);
  EXPECT_EQ(c.Str(Opt::kBind), "127.0.0.1 -::1");
  EXPECT_EQ(c.Int(Opt::kAppendfsync), static_cast<int64_t>(FsyncPolicy::kAlways));
  EXPECT_EQ(c.Int(Opt::kDatabases), 16);
  EXPECT_EQ(c.Int(Opt::kProtoMaxBulkLen), 512LL * 1024 * 1024);
  EXPECT_EQ(c.Int(Opt::kClientQueryBufferLimit), 1024LL * 1024 * 1024);
}

TEST(Config, FileThenArgsOverride) {
  Config c;
  ASSERT_OK(
      c.LoadText("# comment\nport 7000\nappendfsync everysec\nrequirepass \"s3 cret\"\n", "test"));
  ASSERT_OK(c.LoadArgs({"--port", "7001", "--bind", "127.0.0.1", "-::1"}));
  EXPECT_EQ(c.Int(Opt::kPort), 7001);
  EXPECT_EQ(c.Str(Opt::kBind), "127.0.0.1 -::1");
  EXPECT_EQ(c.Int(Opt::kAppendfsync), static_cast<int64_t>(FsyncPolicy::kEverysec));
  EXPECT_EQ(c.Str(Opt::kRequirepass), "s3 cret");
}

TEST(Config, BadValuesNameTheDirective) {
  Config c;
  Status st = c.LoadText("port 7000\nport abc\n", "tally.conf");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("port abc"), std::string::npos);
  EXPECT_NE(st.message().find("argument couldn't be parsed into an integer"), std::string::npos);
  EXPECT_FALSE(c.LoadText("nosuchoption 1\n", "x").ok());
  EXPECT_FALSE(c.LoadText("appendfsync sometimes\n", "x").ok());
  EXPECT_FALSE(c.LoadText("databases 0\n", "x").ok());
  EXPECT_FALSE(c.LoadArgs({"--port"}).ok());
}

TEST(Config, RuntimeSetAndGet) {
  Config c;
  EXPECT_OK(c.Set("maxclients", "10", true));
  EXPECT_EQ(c.Int(Opt::kMaxclients), 10);
  Status st = c.Set("port", "1", true);
  EXPECT_EQ(st.message(), "can't set immutable config");
  auto pairs = c.Get("max*");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"maxclients", "10"}));
  EXPECT_EQ(c.Get("save")[0].second, "");
  EXPECT_EQ(c.Get("appendonly")[0].second, "yes");
}

// Redis 7's CONFIG SET: every value stored, then applied; a refused value or a failed apply
// puts every option back (and re-applies the old values).
TEST(Config, RuntimeSetIsAllOrNothing) {
  Config c;
  std::vector<Opt> applied;
  c.SetListener([&](Opt o) -> Status {
    applied.push_back(o);
    if (o == Opt::kTlsCiphers && c.Str(o) == "bad") return Status::InvalidArgument("no such");
    return Status::OK();
  });
  size_t failed = 99;
  std::vector<Config::NameValue> p = {{"maxclients", "10"}, {"timeout", "x"}};
  EXPECT_FALSE(c.SetAtRuntime(p, &failed).ok());
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(c.Int(Opt::kMaxclients), 10000);
  EXPECT_TRUE(applied.empty());  // nothing is applied before every value is good

  p = {{"maxclients", "10"}, {"tls-ciphers", "bad"}};
  Status st = c.SetAtRuntime(p, &failed);
  EXPECT_EQ(st.message(), "no such");
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(c.Int(Opt::kMaxclients), 10000);
  EXPECT_EQ(c.Str(Opt::kTlsCiphers), "");
  EXPECT_EQ(applied, (std::vector<Opt>{Opt::kMaxclients, Opt::kTlsCiphers, Opt::kMaxclients,
                                       Opt::kTlsCiphers}));

  p = {{"maxclients", "10"}, {"MAXCLIENTS", "11"}};
  EXPECT_EQ(c.SetAtRuntime(p, &failed).message(), "duplicate parameter");
  EXPECT_EQ(failed, 1u);
  EXPECT_EQ(c.Int(Opt::kMaxclients), 10000);

  applied.clear();
  p = {{"maxclients", "10"}, {"tls-ciphers", "HIGH"}};
  EXPECT_OK(c.SetAtRuntime(p, &failed));
  EXPECT_EQ(c.Int(Opt::kMaxclients), 10);
  EXPECT_EQ(c.Str(Opt::kTlsCiphers), "HIGH");
  EXPECT_EQ(applied, (std::vector<Opt>{Opt::kMaxclients, Opt::kTlsCiphers}));
  EXPECT_EQ(c.Set("tls-port", "7000", true).message(), "can't set immutable config");
}

}  // namespace
}  // namespace tally

namespace tally {
namespace {

TEST(ConfigRewrite, KeepsTheFileAndRoundTripsEveryValue) {
  Config c;
  ASSERT_TRUE(c.Set("requirepass", "a \"b\"\\c  d#", false).ok());
  ASSERT_TRUE(c.Set("maxclients", "77", false).ok());
  ASSERT_TRUE(c.Set("table-max-memory", "3mb", false).ok());
  ASSERT_TRUE(c.Set("bind", "127.0.0.1 -::1", false).ok());  // the default: not added
  const std::string old = "# top\nmaxclients 5\n\nmaxclients 6\n\n\n# end\n";
  const std::string text = RewriteConfigText(old, c.RewriteLines());
  EXPECT_EQ(text.substr(0, text.find("# Generated")), "# top\nmaxclients 77\n\n# end\n\n");
  EXPECT_NE(text.find("\ntable-max-memory 3mb\n"), std::string::npos);
  EXPECT_EQ(text.find("bind"), std::string::npos);
  // Rewriting again keeps one signature; loading the text gives every value back.
  const std::string again = RewriteConfigText(text, c.RewriteLines());
  EXPECT_EQ(again.find("# Generated"), again.rfind("# Generated"));
  Config loaded;
  ASSERT_TRUE(loaded.LoadText(again, "rewritten").ok());
  EXPECT_EQ(loaded.Get("*"), c.Get("*"));
}

}  // namespace
}  // namespace tally

namespace tally {
namespace {

// `user` has one line per user: they take the old lines' places in order, extra old ones are
// dropped, extra new ones appended; an empty line only drops the old ones. `user` lines are
// collected by LoadText with where they stand.
TEST(ConfigRewriteUsers, LinesTakeOldPlacesInOrder) {
  const std::string old_text = "# top\nuser a on\nport 1\nuser b on\nuser c on\n";
  std::vector<Config::RewriteLine> two = {{"user", "user a off", false},
                                          {"user", "user z on", false}};
  EXPECT_EQ(RewriteConfigText(old_text, two), "# top\nuser a off\nport 1\nuser z on\n\n");
  std::vector<Config::RewriteLine> four = {{"user", "user 1", false},
                                           {"user", "user 2", false},
                                           {"user", "user 3", false},
                                           {"user", "user 4", false}};
  EXPECT_EQ(RewriteConfigText(old_text, four),
            "# top\nuser 1\nport 1\nuser 2\nuser 3\n\n# Generated by CONFIG REWRITE\nuser 4\n");
  std::vector<Config::RewriteLine> none = {{"user", "", false}};
  EXPECT_EQ(RewriteConfigText(old_text, none), "# top\n\nport 1\n\n");

  Config c;
  ASSERT_TRUE(c.LoadText("port 7\nuser ops on >pw ~*\n\nuser \"x y\" off\n", "f.conf").ok());
  auto users = c.user_lines();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].words, (std::vector<std::string>{"ops", "on", ">pw", "~*"}));
  EXPECT_EQ(users[0].where, "f.conf, at line 2");
  EXPECT_EQ(users[1].words, (std::vector<std::string>{"x y", "off"}));
  EXPECT_EQ(users[1].text, "user \"x y\" off");
  EXPECT_FALSE(c.LoadText("user\n", "g.conf").ok());  // a user needs a name
}

}  // namespace
}  // namespace tally
