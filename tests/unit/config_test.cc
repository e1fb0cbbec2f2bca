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
