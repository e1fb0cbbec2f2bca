// Command tests in redis-cli form: Run({"incr", "k"}) is ":1\r\n". Replies and error texts are
// Redis 7.0's (reference/clients.md §3-4).
#include "test_server.h"

namespace tally {
namespace {

class CommandsTest : public ::testing::Test {
 protected:
  std::string Run(std::vector<std::string> args) { return server_.Run(std::move(args)); }
  test::TempDir dir_;
  test::TestServer server_{dir_.path()};
};

const char* kNotInt = "-ERR value is not an integer or out of range\r\n";

TEST_F(CommandsTest, Incr) {
  EXPECT_EQ(Run({"incr", "k"}), ":1\r\n");
  EXPECT_EQ(Run({"INCR", "k"}), ":2\r\n");
  EXPECT_EQ(Run({"incrby", "k", "10"}), ":12\r\n");
  EXPECT_EQ(Run({"decr", "k"}), ":11\r\n");
  EXPECT_EQ(Run({"decrby", "k", "20"}), ":-9\r\n");
  EXPECT_EQ(Run({"get", "k"}), "$2\r\n-9\r\n");
  EXPECT_EQ(Run({"incrby", "k", "-9223372036854775799"}), ":-9223372036854775808\r\n");
  EXPECT_EQ(Run({"decr", "k"}), "-ERR increment or decrement would overflow\r\n");
}

TEST_F(CommandsTest, IncrIntegerEdgeCases) {
  for (const char* bad :
       {"+1", " 1", "01", "-0", "1.5", "", "9223372036854775808", "100000000000000000000"}) {
    EXPECT_EQ(Run({"incrby", "k", bad}), kNotInt) << bad;
  }
  EXPECT_EQ(Run({"set", "m", "9223372036854775807"}), "+OK\r\n");
  EXPECT_EQ(Run({"incr", "m"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(Run({"get", "m"}), "$19\r\n9223372036854775807\r\n");
  EXPECT_EQ(Run({"decrby", "n", "-9223372036854775808"}), "-ERR decrement would overflow\r\n");
  EXPECT_EQ(Run({"incrby", "z", "-9223372036854775808"}), ":-9223372036854775808\r\n");
  for (const char* stored : {" 1", "1 ", "abc", "01", "+1"}) {
    Run({"set", "s", stored});
    EXPECT_EQ(Run({"incr", "s"}), kNotInt) << stored;
  }
  EXPECT_EQ(Run({"set", "z", "010"}), "+OK\r\n");
  EXPECT_EQ(Run({"get", "z"}), "$3\r\n010\r\n");  // the exact bytes a client set
}

TEST_F(CommandsTest, IncrByFloat) {
  EXPECT_EQ(Run({"incrbyfloat", "f", "10.5"}), "$4\r\n10.5\r\n");
  EXPECT_EQ(Run({"incrbyfloat", "f", "0.1"}), "$4\r\n10.6\r\n");
  EXPECT_EQ(Run({"incrbyfloat", "f", "-5.0e3"}), "$23\r\n-4989.39999999999999991\r\n");
  EXPECT_EQ(Run({"incrbyfloat", "g", "1.10"}), "$3\r\n1.1\r\n");
  EXPECT_EQ(Run({"incrbyfloat", "g", "abc"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"incrbyfloat", "g", "+inf"}), "-ERR increment would produce NaN or Infinity\r\n");
  Run({"set", "s", "1 "});
  EXPECT_EQ(Run({"incrbyfloat", "s", "1"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"set", "z", "010"}), "+OK\r\n");
  EXPECT_EQ(Run({"incrbyfloat", "z", "x"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"get", "z"}), "$3\r\n010\r\n");  // a failed call changes nothing
}

TEST_F(CommandsTest, SetOptions) {
  EXPECT_EQ(Run({"set", "k", "v", "nx"}), "+OK\r\n");
  EXPECT_EQ(Run({"set", "k", "w", "NX"}), "$-1\r\n");
  EXPECT_EQ(Run({"set", "k", "w", "xx", "get"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"set", "k", "x", "nx", "get"}), "$1\r\nw\r\n");
  EXPECT_EQ(Run({"get", "k"}), "$1\r\nw\r\n");
  EXPECT_EQ(Run({"set", "nokey", "v", "xx"}), "$-1\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "nx", "xx"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "ex", "10", "px", "100"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "keepttl", "ex", "10"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "ex"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "ex", "0"}), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "ex", "abc"}), kNotInt);
  EXPECT_EQ(Run({"set", "k", "v", "ex", "9223372036854775807"}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "ex", "10", "ex", "20"}), "+OK\r\n");
  EXPECT_EQ(Run({"ttl", "k"}), ":20\r\n");
  EXPECT_EQ(Run({"set", "k", "v2", "keepttl"}), "+OK\r\n");
  EXPECT_EQ(Run({"ttl", "k"}), ":20\r\n");
  EXPECT_EQ(Run({"set", "k", "v3"}), "+OK\r\n");
  EXPECT_EQ(Run({"ttl", "k"}), ":-1\r\n");
  EXPECT_EQ(Run({"set", "k", "v", "exat", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"exists", "k"}), ":0\r\n");
  EXPECT_EQ(Run({"set", "p", "v", "px", "100000"}), "+OK\r\n");
  EXPECT_EQ(Run({"ttl", "p"}), ":100\r\n");
}

TEST_F(CommandsTest, OtherStringCommands) {
  EXPECT_EQ(Run({"setnx", "a", "1"}), ":1\r\n");
  EXPECT_EQ(Run({"setnx", "a", "2"}), ":0\r\n");
  EXPECT_EQ(Run({"setex", "b", "0", "v"}), "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(Run({"psetex", "b", "-1", "v"}), "-ERR invalid expire time in 'psetex' command\r\n");
  EXPECT_EQ(Run({"setex", "b", "100", "v"}), "+OK\r\n");
  int64_t pttl = std::stoll(Run({"pttl", "b"}).substr(1));
  EXPECT_GT(pttl, 99000);
  EXPECT_LE(pttl, 100000);
  EXPECT_EQ(Run({"getset", "b", "w"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"ttl", "b"}), ":-1\r\n");
  EXPECT_EQ(Run({"getdel", "b"}), "$1\r\nw\r\n");
  EXPECT_EQ(Run({"getdel", "b"}), "$-1\r\n");
  EXPECT_EQ(Run({"append", "c", "ab"}), ":2\r\n");
  EXPECT_EQ(Run({"append", "c", "cd"}), ":4\r\n");
  EXPECT_EQ(Run({"strlen", "c"}), ":4\r\n");
  EXPECT_EQ(Run({"strlen", "nokey"}), ":0\r\n");
  EXPECT_EQ(Run({"set", "n", "-555"}), "+OK\r\n");
  EXPECT_EQ(Run({"strlen", "n"}), ":4\r\n");
  EXPECT_EQ(Run({"mset", "x", "1", "y", "2"}), "+OK\r\n");
  EXPECT_EQ(Run({"mset", "x", "1", "y"}), "-ERR wrong number of arguments for 'mset' command\r\n");
  EXPECT_EQ(Run({"mget", "x", "nokey", "y"}), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
  EXPECT_EQ(Run({"msetnx", "x", "3", "z", "4"}), ":0\r\n");
  EXPECT_EQ(Run({"msetnx", "z", "3", "z", "4"}), ":1\r\n");
  EXPECT_EQ(Run({"get", "z"}), "$1\r\n4\r\n");
}

TEST_F(CommandsTest, GetEx) {
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"getex", "k", "ex", "100"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"ttl", "k"}), ":100\r\n");
  EXPECT_EQ(Run({"getex", "k", "persist"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"ttl", "k"}), ":-1\r\n");
  EXPECT_EQ(Run({"getex", "k", "ex", "0"}), "-ERR invalid expire time in 'getex' command\r\n");
  EXPECT_EQ(Run({"getex", "k", "ex", "10", "px", "10"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"getex", "k", "persist", "ex", "10"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"getex", "nokey", "ex", "10"}), "$-1\r\n");
  EXPECT_EQ(Run({"getex", "k", "exat", "1"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"exists", "k"}), ":0\r\n");
}

TEST_F(CommandsTest, Keyspace) {
  Run({"set", "a", "1"});
  Run({"set", "b", "2"});
  EXPECT_EQ(Run({"exists", "a", "a", "b", "c"}), ":3\r\n");
  EXPECT_EQ(Run({"type", "a"}), "+string\r\n");
  EXPECT_EQ(Run({"type", "c"}), "+none\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":2\r\n");
  EXPECT_EQ(Run({"del", "a", "a", "c"}), ":1\r\n");
  EXPECT_EQ(Run({"unlink", "b"}), ":1\r\n");
  EXPECT_EQ(Run({"ttl", "a"}), ":-2\r\n");
  EXPECT_EQ(Run({"select", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"set", "x", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"select", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"select", "x"}), kNotInt);
  EXPECT_EQ(Run({"flushdb", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"flushdb", "async"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":0\r\n");
  Run({"select", "0"});
  Run({"set", "y", "1"});
  EXPECT_EQ(Run({"flushall"}), "+OK\r\n");
  EXPECT_EQ(Run({"dbsize"}), ":0\r\n");
}

TEST_F(CommandsTest, DispatchOrderAndTexts) {
  EXPECT_EQ(Run({"foo", "a", "b"}),
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(Run({"foo"}), "-ERR unknown command 'foo', with args beginning with: \r\n");
  EXPECT_EQ(Run({"incr"}), "-ERR wrong number of arguments for 'incr' command\r\n");
  EXPECT_EQ(Run({"get", "a", "b"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"config"}), "-ERR wrong number of arguments for 'config' command\r\n");
  EXPECT_EQ(Run({"config", "get"}), "-ERR wrong number of arguments for 'config|get' command\r\n");
  EXPECT_EQ(Run({"client", "foo"}), "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(Run({"ping", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
}

TEST_F(CommandsTest, AuthAndNoAuthOrder) {
  EXPECT_EQ(Run({"auth", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?\r\n");
  ASSERT_OK(server_.config().Set("requirepass", "secret", true));
  server_.session().authenticated = false;
  EXPECT_EQ(Run({"foo"}), "-ERR unknown command 'foo', with args beginning with: \r\n");
  EXPECT_EQ(Run({"incr"}), "-ERR wrong number of arguments for 'incr' command\r\n");
  EXPECT_EQ(Run({"incr", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(Run({"ping"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(Run({"auth", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Run({"hello", "3"}).substr(0, 7), "-NOAUTH");
  EXPECT_EQ(Run({"auth", "default", "secret"}), "+OK\r\n");
  EXPECT_EQ(Run({"incr", "k"}), ":1\r\n");
}

TEST_F(CommandsTest, HelloSwitchesProtocol) {
  std::string r2 = Run({"hello"});
  EXPECT_EQ(r2.substr(0, 4), "*14\r");
  EXPECT_NE(r2.find("$5\r\nproto\r\n:2\r\n"), std::string::npos);
  EXPECT_EQ(Run({"hello", "4"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(Run({"hello", "x"}), "-ERR Protocol version is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"hello", "3", "foo"}), "-ERR Syntax error in HELLO option 'foo'\r\n");
  std::string r3 = Run({"hello", "3", "setname", "me"});
  EXPECT_EQ(r3.substr(0, 4), "%7\r\n");
  EXPECT_NE(r3.find("$5\r\nproto\r\n:3\r\n"), std::string::npos);
  EXPECT_EQ(Run({"get", "nokey"}), "_\r\n");
  EXPECT_EQ(Run({"client", "getname"}), "$2\r\nme\r\n");
  EXPECT_EQ(Run({"config", "get", "databases"}), "%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n");
}

TEST_F(CommandsTest, ClientAndConfig) {
  EXPECT_EQ(Run({"client", "setname", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(Run({"client", "setname", "worker"}), "+OK\r\n");
  EXPECT_EQ(Run({"client", "setinfo", "lib-name", "redis-py"}), "+OK\r\n");
  EXPECT_EQ(Run({"client", "setinfo", "foo", "x"}), "-ERR Unrecognized option 'foo'\r\n");
  EXPECT_NE(Run({"client", "list"}).find("name=worker"), std::string::npos);
  EXPECT_EQ(Run({"config", "get", "save"}), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  EXPECT_EQ(Run({"config", "get", "appendonly"}), "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
  EXPECT_EQ(Run({"config", "get", "nosuch"}), "*0\r\n");
  EXPECT_EQ(Run({"config", "set", "maxclients", "50"}), "+OK\r\n");
  EXPECT_EQ(Run({"config", "set", "nosuch", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
  EXPECT_EQ(Run({"config", "set", "maxclients", "x"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer\r\n");
}

TEST_F(CommandsTest, InfoHasWhatClientsRead) {
  std::string info = Run({"info"});
  for (const char* field :
       {"# Server\r\n", "redis_version:", "redis_mode:standalone", "run_id:", "loading:0",
        "role:master", "# Keyspace\r\n", "tally_durable_lsn:", "appendfsync:always"}) {
    EXPECT_NE(info.find(field), std::string::npos) << field;
  }
  Run({"incr", "k"});
  EXPECT_NE(Run({"info", "keyspace"}).find("db0:keys=1,expires=0,avg_ttl=0\r\n"),
            std::string::npos);
  EXPECT_EQ(Run({"info", "nosuchsection"}), "$0\r\n\r\n");
}

TEST_F(CommandsTest, ShutdownAndQuit) {
  EXPECT_EQ(Run({"quit"}), "+OK\r\n");
  EXPECT_TRUE(server_.session().close_after_reply);
  EXPECT_EQ(Run({"shutdown", "bogus"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"shutdown", "nosave"}), "");
  EXPECT_TRUE(server_.shutdown_requested);
}

TEST_F(CommandsTest, FailedLogRefusesWritesAndKeepsServingDurableReads) {
  EXPECT_EQ(Run({"set", "durable", "1"}), "+OK\r\n");
  server_.FailDisk();
  // The write whose record fails is never acknowledged...
  EXPECT_EQ(Run({"incr", "durable"}).substr(0, 19), "<not acknowledged: ");
  // ...nor is a read of the value it left in the table.
  EXPECT_EQ(Run({"get", "durable"}).substr(0, 19), "<not acknowledged: ");
  // Later writes are refused with a MISCONF error.
  std::string refused = Run({"set", "other", "2"});
  EXPECT_EQ(refused.substr(0, 9), "-MISCONF ") << refused;
  EXPECT_NE(refused.find("injected EIO"), std::string::npos) << refused;
  EXPECT_EQ(Run({"incr", "x"}).substr(0, 9), "-MISCONF ");
  // Reads of durable data go on.
  EXPECT_EQ(Run({"get", "nokey"}), "$-1\r\n");
  EXPECT_EQ(Run({"ping"}), "+PONG\r\n");
  std::string info = Run({"info", "persistence"});
  EXPECT_NE(info.find("tally_write_errors:1"), std::string::npos);
  EXPECT_NE(info.find("aof_last_write_status:err"), std::string::npos);
}

TEST_F(CommandsTest, ExpireFamily) {
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"expire", "k", "100"}), ":1\r\n");
  EXPECT_EQ(Run({"expire", "k", "50", "nx"}), ":0\r\n");
  EXPECT_EQ(Run({"expire", "k", "50", "gt"}), ":0\r\n");
  EXPECT_EQ(Run({"expire", "k", "50", "lt"}), ":1\r\n");
  EXPECT_EQ(Run({"ttl", "k"}), ":50\r\n");
  EXPECT_EQ(Run({"expire", "k", "5", "nx", "xx"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"expire", "k", "5", "gt", "lt"}),
            "-ERR GT and LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"expire", "k", "5", "foo"}), "-ERR Unsupported option foo\r\n");
  EXPECT_EQ(Run({"expire", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(Run({"persist", "k"}), ":1\r\n");
  EXPECT_EQ(Run({"persist", "k"}), ":0\r\n");
  EXPECT_EQ(Run({"expire", "k", "10", "gt"}), ":0\r\n");  // no TTL is infinite
  EXPECT_EQ(Run({"expiretime", "k"}), ":-1\r\n");
  EXPECT_EQ(Run({"pexpireat", "k", "4102444800123"}), ":1\r\n");
  EXPECT_EQ(Run({"pexpiretime", "k"}), ":4102444800123\r\n");
  EXPECT_EQ(Run({"expiretime", "k"}), ":4102444800\r\n");
  EXPECT_EQ(Run({"expire", "k", "-1"}), ":1\r\n");  // the past deletes
  EXPECT_EQ(Run({"exists", "k"}), ":0\r\n");
  EXPECT_EQ(Run({"expire", "k", "10"}), ":0\r\n");
}

TEST_F(CommandsTest, Transactions) {
  EXPECT_EQ(Run({"exec"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(Run({"incr", "a"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"set", "b", "x"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"incr", "b"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"exec"}), "*3\r\n:1\r\n+OK\r\n-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(Run({"incr"}), "-ERR wrong number of arguments for 'incr' command\r\n");
  EXPECT_EQ(Run({"exec"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(Run({"watch", "a"}), "+OK\r\n");
  EXPECT_EQ(Run({"incr", "a"}), ":2\r\n");  // our own write also counts as a change
  EXPECT_EQ(Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(Run({"incr", "a"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"exec"}), "*-1\r\n");
  EXPECT_EQ(Run({"get", "a"}), "$1\r\n2\r\n");
  EXPECT_EQ(Run({"multi"}), "+OK\r\n");
  EXPECT_EQ(Run({"discard"}), "+OK\r\n");
  EXPECT_EQ(Run({"discard"}), "-ERR DISCARD without MULTI\r\n");
}

TEST_F(CommandsTest, KeyCommands) {
  Run({"set", "a", "1"});
  EXPECT_EQ(Run({"rename", "a", "b"}), "+OK\r\n");
  EXPECT_EQ(Run({"rename", "a", "b"}), "-ERR no such key\r\n");
  EXPECT_EQ(Run({"copy", "b", "c"}), ":1\r\n");
  EXPECT_EQ(Run({"copy", "b", "b"}), "-ERR source and destination objects are the same\r\n");
  EXPECT_EQ(Run({"move", "c", "3"}), ":1\r\n");
  EXPECT_EQ(Run({"keys", "*"}), "*1\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"scan", "0"}), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"setrange", "s", "2", "xy"}), ":4\r\n");
  EXPECT_EQ(Run({"getrange", "s", "2", "-1"}), "$2\r\nxy\r\n");
  EXPECT_EQ(Run({"randomkey"}).substr(0, 4), "$1\r\n");
  Run({"select", "3"});
  EXPECT_EQ(Run({"get", "c"}), "$1\r\n1\r\n");
}

// Lists through the command layer: replies, WRONGTYPE both ways, COMMAND INFO and GETKEYS of a
// command whose keys a count gives (the differential tests compare the rest with Redis).
TEST_F(CommandsTest, ListCommands) {
  EXPECT_EQ(Run({"rpush", "l", "a", "b"}), ":2\r\n");
  EXPECT_EQ(Run({"lpush", "l", "x", "y"}), ":4\r\n");
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}), "*4\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"type", "l"}), "+list\r\n");
  EXPECT_EQ(Run({"get", "l"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  Run({"set", "s", "1"});
  EXPECT_EQ(Run({"lpush", "s", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(Run({"lmpop", "2", "none", "l", "right", "count", "3"}),
            "*2\r\n$1\r\nl\r\n*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nx\r\n");
  EXPECT_EQ(Run({"lpop", "l"}), "$1\r\ny\r\n");
  EXPECT_EQ(Run({"exists", "l"}), ":0\r\n");  // emptied: deleted
  EXPECT_EQ(Run({"command", "getkeys", "lmpop", "2", "a", "b", "left"}),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"command", "getkeys", "lmpop", "3", "a", "left"}),
            "-ERR Invalid arguments specified for command\r\n");
  const std::string info = Run({"command", "info", "lmpop"});  // RESP2: flags are an array
  EXPECT_EQ(info.rfind("*1\r\n*10\r\n$5\r\nlmpop\r\n:-4\r\n*2\r\n+write\r\n+movablekeys\r\n", 0),
            0u)
      << info;
}

TEST_F(CommandsTest, CountersSurviveRestart) {
  for (int i = 0; i < 15; ++i) Run({"incr", "c"});
  server_.Restart();
  EXPECT_EQ(Run({"get", "c"}), "$2\r\n15\r\n");
}

}  // namespace
}  // namespace tally

namespace tally {
namespace {

TEST(SlowLogTest, KeepsNewestFirstTruncatesAndBounds) {
  SlowLog log;
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("a" + std::to_string(i));
  std::vector<std::string_view> args(many.begin(), many.end());
  log.Add(args, 5, "1.2.3.4:5", "n", 3);
  const std::string big(300, 'x');
  std::vector<std::string_view> two = {"GET", big};
  log.Add(two, 7, "1.2.3.4:5", "", 3);
  auto all = log.Get(-1);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, 1u);
  EXPECT_EQ(all[0].args[1], std::string(128, 'x') + "... (172 more bytes)");
  EXPECT_EQ(all[1].args.size(), 32u);
  EXPECT_EQ(all[1].args[31], "... (9 more arguments)");
  EXPECT_EQ(all[1].client_name, "n");
  for (int i = 0; i < 5; ++i) log.Add(two, 1, "", "", 3);
  EXPECT_EQ(log.Len(), 3u);
  EXPECT_EQ(log.Get(2).size(), 2u);
  EXPECT_EQ(log.Get(2)[0].id, 6u);
  log.Reset();
  EXPECT_EQ(log.Len(), 0u);
}

}  // namespace
}  // namespace tally
