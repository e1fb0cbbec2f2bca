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
