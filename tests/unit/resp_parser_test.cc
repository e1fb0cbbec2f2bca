// Every case is fed whole and in fragments of 1, 2, 5 and 10 bytes (the seastar parser test's
// method); between fragments the consumed prefix is dropped, as the connection compacts its
// buffer, so offsets kept across calls are exercised too.
#include "tally/protocol/resp_parser.h"

#include <gtest/gtest.h>

#include "tally/protocol/errors.h"

namespace tally {
namespace {

using Command = std::vector<std::string>;

struct Outcome {
  std::vector<Command> commands;  // parsed in order (empty commands included)
  std::string error;              // protocol error text, if the input ends in one
  size_t pending = 0;             // bytes left unconsumed at the end
};

Outcome Feed(std::string_view input, size_t chunk, RespParser parser = RespParser()) {
  Outcome out;
  std::string buf;
  std::vector<std::string_view> args;
  size_t fed = 0;
  while (fed < input.size()) {
    size_t n = chunk == 0 ? input.size() : std::min(chunk, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
    while (!buf.empty()) {
      size_t consumed = 0;
      auto r = parser.Parse(buf, &consumed, &args);
      if (r == RespParser::Result::kIncomplete) break;
      if (r == RespParser::Result::kError) {
        out.error = parser.error();
        return out;
      }
      out.commands.emplace_back(args.begin(), args.end());
      buf.erase(0, consumed);
    }
  }
  out.pending = buf.size();
  return out;
}

struct Case {
  const char* name;
  std::string input;
  std::vector<Command> commands;
  std::string error;
};

std::vector<Case> Cases() {
  std::string big(70 * 1024, 'x');
  return {
      {"multibulk", "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n", {{"INCR", "k"}}, ""},
      {"binary key",
       std::string("*2\r\n$3\r\nGET\r\n$4\r\na\0\r\n\r\n", 23),
       {{"GET", std::string("a\0\r\n", 4)}},
       ""},
      {"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", {{"ECHO", ""}}, ""},
      {"inline", "PING\r\n", {{"PING"}}, ""},
      {"inline lf only", "PING\n", {{"PING"}}, ""},
      {"inline spaces", "  SET  a\tb \r\n", {{"SET", "a", "b"}}, ""},
      {"inline quotes", "SET \"a b\" 'c'\r\n", {{"SET", "a b", "c"}}, ""},
      {"empty lines ignored", "\r\n\r\nPING\r\n", {{}, {}, {"PING"}}, ""},
      {"mixed pipeline",
       "PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING x\r\n",
       {{"PING"}, {"ECHO", "hi"}, {"PING", "x"}},
       ""},
      {"star zero ignored", "*0\r\n*-1\r\n*-10\r\nPING\r\n", {{}, {}, {}, {"PING"}}, ""},
      {"crlf after bulk not checked", "*1\r\n$4\r\nPINGxx", {{"PING"}}, ""},
      {"unbalanced quotes", "SET \"a b\r\n", {}, errors::kUnbalancedQuotes},
      {"quote then char", "SET \"a\"b c\r\n", {}, errors::kUnbalancedQuotes},
      {"invalid mbulk", "*abc\r\n", {}, errors::kInvalidMbulkLength},
      {"mbulk plus", "*+1\r\n", {}, errors::kInvalidMbulkLength},
      {"mbulk too big", "*3000000000\r\n", {}, errors::kInvalidMbulkLength},
      {"expected dollar", "*1\r\nfoo\r\n", {}, "Protocol error: expected '$', got 'f'"},
      {"nested array", "*1\r\n*1\r\n$4\r\nPING\r\n", {}, "Protocol error: expected '$', got '*'"},
      {"nil bulk", "*1\r\n$-1\r\n", {}, errors::kInvalidBulkLength},
      {"bad bulk", "*1\r\n$abc\r\n", {}, errors::kInvalidBulkLength},
      {"huge bulk", "*1\r\n$2000000000\r\n", {}, errors::kInvalidBulkLength},
      {"too big inline", big, {}, errors::kTooBigInline},
      {"too big mbulk count", "*" + big, {}, errors::kTooBigMbulkCount},
      {"too big bulk count", "*1\r\n$" + big, {}, errors::kTooBigBulkCount},
      {"ok then error", "PING\r\n*x\r\n", {{"PING"}}, errors::kInvalidMbulkLength},
  };
}

class ParserSplits : public ::testing::TestWithParam<size_t> {};

TEST_P(ParserSplits, EveryCase) {
  for (const Case& c : Cases()) {
    Outcome o = Feed(c.input, GetParam());
    EXPECT_EQ(o.commands, c.commands) << c.name;
    EXPECT_EQ(o.error, c.error) << c.name;
    if (c.error.empty() && std::string(c.name) != "crlf after bulk not checked") {
      EXPECT_EQ(o.pending, 0u) << c.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Splits, ParserSplits, ::testing::Values(0, 1, 2, 5, 10),
                         [](const auto& info) {
                           return info.param == 0 ? std::string("whole")
                                                  : "by" + std::to_string(info.param);
                         });

TEST(RespParser, PartialCommandWaits) {
  Outcome o = Feed("*2\r\n$3\r\nGET\r\n$5\r\nab", 0);
  EXPECT_TRUE(o.commands.empty());
  EXPECT_TRUE(o.error.empty());
  EXPECT_EQ(o.pending, 19u);
}

TEST(RespParser, NulBeforeNewlineWaitsLikeRedis) {
  // Redis looks for the newline with strchr, which stops at a NUL byte.
  Outcome o = Feed(std::string("PI\0NG\r\n", 7), 0);
  EXPECT_TRUE(o.commands.empty());
  EXPECT_TRUE(o.error.empty());
}

TEST(RespParser, UnauthenticatedLimits) {
  RespParser p;
  p.set_authenticated(false);
  EXPECT_EQ(Feed("*11\r\n", 0, p).error, errors::kUnauthMbulkLength);
  EXPECT_EQ(Feed("*1\r\n$16385\r\n", 0, p).error, errors::kUnauthBulkLength);
  EXPECT_TRUE(Feed("*1\r\n$16384\r\n", 0, p).error.empty());
}

TEST(RespParser, MaxBulkLenIsConfigurable) {
  RespParser::Limits limits;
  limits.max_bulk_len = 10;
  RespParser p(limits);
  EXPECT_EQ(Feed("*1\r\n$11\r\n", 0, p).error, errors::kInvalidBulkLength);
  EXPECT_TRUE(Feed("*1\r\n$10\r\n", 0, p).error.empty());
}

TEST(RespParser, HugeDeclaredBulkAllocatesNothingUpFront) {
  RespParser p;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  std::string in = "*1\r\n$536870912\r\nabc";
  EXPECT_EQ(p.Parse(in, &consumed, &args), RespParser::Result::kIncomplete);
  EXPECT_EQ(p.bytes_hint(), 16u + 536870912u + 2u);
}

TEST(RespParser, ManyArguments) {
  std::string in = "*20002\r\n$4\r\nMSET\r\n";
  for (int i = 0; i < 20001; ++i) in += "$1\r\nx\r\n";
  Outcome o = Feed(in, 1000);
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0].size(), 20002u);
}

}  // namespace
}  // namespace tally
