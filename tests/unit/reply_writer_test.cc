#include "tally/protocol/reply_writer.h"

#include <gtest/gtest.h>

#include "tally/protocol/errors.h"

namespace tally {
namespace {

std::string Write(int proto, void (*fn)(ReplyWriter&)) {
  std::string out;
  ReplyWriter w(&out);
  w.set_protocol(proto);
  fn(w);
  return out;
}

TEST(ReplyWriter, Resp2) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Ok(); }), "+OK\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Integer(-42); }), ":-42\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bulk("hi"); }), "$2\r\nhi\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.SetHeader(3); }), "*3\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Verbatim("abc"); }), "$3\r\nabc\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bool(true); }), ":1\r\n");
}

TEST(ReplyWriter, Resp3) {
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Null(); }), "_\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.MapHeader(2); }), "%2\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.SetHeader(3); }), "~3\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Verbatim("abc"); }), "=7\r\ntxt:abc\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Bool(false); }), "#f\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Bulk("x"); }), "$1\r\nx\r\n");
}

TEST(ReplyWriter, ErrorsGetErrUnlessCoded) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("syntax error"); }), "-ERR syntax error\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("-WRONGTYPE bad"); }), "-WRONGTYPE bad\r\n");
  // CR and LF from user input never break the reply line.
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("unknown 'a\r\nb'"); }),
            "-ERR unknown 'a  b'\r\n");
}

TEST(ErrorsTest, FillPutsEachArgumentInItsHoleInOrder) {
  EXPECT_EQ(errors::Fill(errors::kUnknownSubcommand, "foo", "OBJECT"),
            "unknown subcommand 'foo'. Try OBJECT HELP.");
  EXPECT_EQ(errors::Fill(errors::kScriptRunError, "abc", "boom"),
            "Error running script abc, boom\n");
  // An argument's own "%s" is copied, not filled; a hole with no argument left stays.
  EXPECT_EQ(errors::Fill("%s and %s", "%s"), "%s and %s");
  EXPECT_EQ(errors::Fill(errors::kNoScript), errors::kNoScript);
}

}  // namespace
}  // namespace tally
