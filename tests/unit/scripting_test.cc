// Scripting through the command table on a real store: Lua <-> RESP conversions in both
// protocols, the sandbox against ways around it, the script cache, and a script's writes as
// one group of records. (Byte-for-byte comparison with redis-server: test_scripting.py.)
#include <gtest/gtest.h>

#include "../../src/commands/function_dump.h"
#include "tally/util/notify_flags.h"
#include "test_server.h"

namespace tally::test {
namespace {

class ScriptingTest : public ::testing::Test {
 protected:
  std::string Run(std::vector<std::string> args) { return server_.Run(std::move(args)); }
  std::string Eval(const std::string& body) { return Run({"eval", body, "0"}); }
  TempDir dir_;
  TestServer server_{dir_.path()};
};

TEST_F(ScriptingTest, RepliesToLua) {
  Run({"set", "s", "abc"});
  EXPECT_EQ(Eval("return redis.call('get', 's')"), "$3\r\nabc\r\n");
  EXPECT_EQ(Eval("return type(redis.call('get', 'nokey'))"), "$7\r\nboolean\r\n");
  EXPECT_EQ(Eval("return redis.call('set', 'x', 1)['ok']"), "$2\r\nOK\r\n");
  EXPECT_EQ(Eval("return redis.call('incrby', 'n', 41) + 1"), ":42\r\n");
  EXPECT_EQ(Eval("return redis.pcall('incr', 's')['err']"),
            "$43\r\nERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Eval("return #redis.call('time')"), ":2\r\n");
  // RESP3 inside the script: a null is nil (RESP2's is false).
  EXPECT_EQ(Eval("redis.setresp(3) return type(redis.call('get', 'nokey'))"), "$3\r\nnil\r\n");
  EXPECT_EQ(Eval("return redis.call('config', 'get', 'databases')").substr(0, 50),
            "-ERR This Redis command is not allowed from script");
}

TEST_F(ScriptingTest, LuaToReplies) {
  EXPECT_EQ(Eval("return {1, 'a', {2}, false, 3}"),
            "*5\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n$-1\r\n:3\r\n");
  EXPECT_EQ(Eval("return 1e300"), ":-9223372036854775808\r\n");
  EXPECT_EQ(Eval("return {map = {k = 1}}"), "*2\r\n$1\r\nk\r\n:1\r\n");
  Run({"hello", "3"});
  server_.session().resp = 3;
  EXPECT_EQ(Eval("return {map = {k = 1}}"), "%1\r\n$1\r\nk\r\n:1\r\n");
  EXPECT_EQ(Eval("return {set = {k = true}}"), "~1\r\n$1\r\nk\r\n");
  EXPECT_EQ(Eval("return {double = 1.5}"), ",1.5\r\n");
  EXPECT_EQ(Eval("return false"), "_\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return false"), "#f\r\n");
  EXPECT_EQ(Eval("return {big_number = '12345678901234567890'}"), "(12345678901234567890\r\n");
}

// Each must fail: the sandbox holds however it is approached.
TEST_F(ScriptingTest, SandboxHasNoWayAround) {
  const char* attempts[] = {
      "loadstring('math = nil')()",
      "load(function() return nil end) x = 1",
      "rawset(_G, 'x', 1)",
      "rawset(string, 'x', 1)",
      "setmetatable(_G, nil)",
      "getmetatable('').__index = nil",
      "coroutine.wrap(function() y = 1 end)()",
      "string.format = nil",
      "return os.execute('true')",
      "return io.open('/etc/passwd')",
      "return require('os')",
      "return debug.getinfo(1)",
      "return getfenv(0)",
      "return module('x')",
  };
  for (const char* body : attempts) {
    std::string reply = Eval(body);
    EXPECT_EQ(reply.substr(0, 1), "-") << body << " -> " << reply;
  }
  // Bytecode cannot be loaded (it could break the VM's assumptions).
  EXPECT_EQ(Eval("return loadstring(string.dump(function() return 1 end))"), "$-1\r\n");
  // Chunks loaded at run time see the same read-only globals.
  EXPECT_EQ(Eval("return loadstring('return redis.sha1hex(\"\")')()"),
            "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
  // Nothing leaked into the next script.
  EXPECT_EQ(Eval("return type(math.floor)"), "$8\r\nfunction\r\n");
}

TEST_F(ScriptingTest, CacheAndFlush) {
  std::string sha = Run({"script", "load", "return 'hi'"});
  EXPECT_EQ(sha, "$40\r\n2f31ba2bb6d6a0f42cc159d2e2dad55440778de3\r\n");
  EXPECT_EQ(Run({"evalsha", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3", "0"}), "$2\r\nhi\r\n");
  EXPECT_EQ(Run({"script", "flush"}), "+OK\r\n");
  EXPECT_EQ(Run({"evalsha", "2f31ba2bb6d6a0f42cc159d2e2dad55440778de3", "0"}),
            "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  EXPECT_EQ(server_.scripts()->cached(), 0u);
  EXPECT_FALSE(server_.scripts()->running());
  EXPECT_EQ(server_.scripts()->Kill(), ScriptEngine::KillResult::kNotBusy);
}

// A script's writes reach the log as one group: they survive a restart together, and the
// keys' count is right.
TEST_F(ScriptingTest, WritesAreOneGroupAndDurable) {
  const Lsn before = server_.commit_log().last_lsn();
  EXPECT_EQ(
      Run({"eval", "for i = 1, 50 do redis.call('set', KEYS[1] .. i, ARGV[1]) end", "1", "k", "v"}),
      "$-1\r\n");
  EXPECT_EQ(server_.commit_log().last_lsn(), before + 50);
  server_.Restart();
  EXPECT_EQ(Run({"dbsize"}), ":50\r\n");
  EXPECT_EQ(Run({"get", "k50"}), "$1\r\nv\r\n");
}

constexpr const char* kLib =
    "#!lua name=lib\nredis.register_function('f', function(keys, args) "
    "return redis.call('incrby', keys[1], args[1]) end)";

TEST_F(ScriptingTest, FunctionsLoadCallAndList) {
  EXPECT_EQ(Run({"function", "load", kLib}), "$3\r\nlib\r\n");
  EXPECT_EQ(Run({"fcall", "f", "1", "k", "5"}), ":5\r\n");
  EXPECT_EQ(Run({"fcall_ro", "f", "1", "k", "5"}),
            "-ERR Can not execute a script with write flag using *_ro command.\r\n");
  EXPECT_EQ(Run({"function", "list"}),
            "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
            "$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n"
            "$-1\r\n$5\r\nflags\r\n*0\r\n");
  // SCRIPT FLUSH starts a new Lua state; the library is loaded into it again.
  EXPECT_EQ(Run({"script", "flush"}), "+OK\r\n");
  EXPECT_EQ(Run({"fcall", "f", "1", "k", "1"}), ":6\r\n");
  EXPECT_EQ(Run({"function", "delete", "lib"}), "+OK\r\n");
  EXPECT_EQ(Run({"fcall", "f", "1", "k", "1"}), "-ERR Function not found\r\n");
  EXPECT_EQ(server_.scripts()->stats().libraries, 0u);
}

// Every truncation and every flipped byte of a payload is refused; the intact one parses.
TEST(FunctionDump, RoundTripAndDamage) {
  const std::vector<std::string> codes = {kLib, std::string(20000, 'x')};
  const std::string payload = DumpFunctionLibraries(codes);
  std::vector<std::string> back;
  std::string error;
  ASSERT_TRUE(ParseFunctionDump(payload, &back, &error));
  EXPECT_EQ(back, codes);
  for (size_t n = 0; n < payload.size(); n += 97) {
    back.clear();
    EXPECT_FALSE(ParseFunctionDump(payload.substr(0, n), &back, &error)) << n;
    std::string flipped = payload;
    flipped[n] = static_cast<char>(flipped[n] ^ 0x20);
    EXPECT_FALSE(ParseFunctionDump(flipped, &back, &error)) << n;
    EXPECT_EQ(error, "DUMP payload version or checksum are wrong");
  }
}

TEST(NotifyFlags, ParseAndFormatAsRedis) {
  EXPECT_EQ(FormatNotifyFlags(*ParseNotifyFlags("KEA")), "AKE");
  EXPECT_EQ(FormatNotifyFlags(*ParseNotifyFlags("$gxK")), "g$xK");
  EXPECT_EQ(FormatNotifyFlags(*ParseNotifyFlags("AKEmn")), "AKEm");  // Redis hides n under A
  EXPECT_EQ(FormatNotifyFlags(*ParseNotifyFlags("Kn")), "nK");
  EXPECT_EQ(FormatNotifyFlags(*ParseNotifyFlags("")), "");
  EXPECT_FALSE(ParseNotifyFlags("KEQ"));
}

TEST_F(ScriptingTest, NotificationsWaitInTheSession) {
  ASSERT_OK(server_.config().Set("notify-keyspace-events", "KEA", true));
  Run({"eval", "redis.call('incr', 'a') redis.call('set', 'b', 1, 'ex', 10)", "0"});
  Run({"del", "a", "nokey"});
  std::vector<std::string> events;
  for (const auto& n : server_.session().notifications) events.push_back(n.event + (":" + n.key));
  EXPECT_EQ(events, (std::vector<std::string>{"incrby:a", "set:b", "expire:b", "del:a"}));
}

}  // namespace
}  // namespace tally::test
