// The HTTP API's parts: RESP3 -> JSON, percent-decoding, UTF-8 checks and the request parser
// (every split of pipelined input, limits, malformed input).
#include <gtest/gtest.h>

#include "../../src/http/http_api.h"
#include "../../src/http/request_parser.h"
#include "../../src/http/resp_json.h"

namespace tally {
namespace {

using nlohmann::json;

TEST(RespToJson, MapsEveryResp3Type) {
  EXPECT_EQ(RespToJson("+OK\r\n").value, json("OK"));
  EXPECT_EQ(RespToJson(":-42\r\n").value, json(-42));
  EXPECT_EQ(RespToJson("$5\r\na\r\nbc\r\n").value, json("a\r\nbc"));
  EXPECT_EQ(RespToJson("_\r\n").value, json(nullptr));
  EXPECT_EQ(RespToJson("#t\r\n").value, json(true));
  EXPECT_EQ(RespToJson(",1.5\r\n").value, json(1.5));
  EXPECT_EQ(RespToJson(",inf\r\n").value, json("inf"));
  EXPECT_EQ(RespToJson("(12345678901234567890123\r\n").value, json("12345678901234567890123"));
  EXPECT_EQ(RespToJson("=8\r\ntxt:abcd\r\n").value, json("abcd"));
  EXPECT_EQ(RespToJson("*3\r\n:1\r\n$1\r\nx\r\n_\r\n").value, json::parse(R"([1,"x",null])"));
  EXPECT_EQ(RespToJson("~1\r\n+a\r\n").value, json::parse(R"(["a"])"));
  EXPECT_EQ(RespToJson("%2\r\n+a\r\n:1\r\n$1\r\nb\r\n*0\r\n").value,
            json::parse(R"({"a":1,"b":[]})"));
  EXPECT_EQ(RespToJson("%1\r\n:1\r\n:2\r\n").value, json::parse("[[1,2]]"));
  EXPECT_EQ(RespToJson("|1\r\n+k\r\n+v\r\n:7\r\n").value, json(7));
  EXPECT_EQ(RespToJson(std::string_view("$2\r\n\xff\x00\r\n", 8)).value,
            json::parse(R"({"base64":"/wA="})"));
  JsonReply err = RespToJson("-WRONGTYPE Operation against a key\r\n");
  EXPECT_TRUE(err.error);
  EXPECT_EQ(err.code, "WRONGTYPE");
  EXPECT_EQ(err.message, "WRONGTYPE Operation against a key");
  // An error inside an array (EXEC) stays an error object there.
  EXPECT_EQ(RespToJson("*1\r\n-ERR x\r\n").value[0]["error"]["code"], "ERR");
}

TEST(Utf8, AcceptsValidAndRejectsInvalid) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_EQ(Base64Decode("/wA="), std::string("\xff\x00", 2));
  EXPECT_FALSE(Base64Decode("a*b").has_value());
}

TEST(PercentDecode, Rules) {
  EXPECT_EQ(PercentDecode("a%2Fb%20c", false), "a/b c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%ff%00", false), std::string("\xff\x00", 2));
  EXPECT_FALSE(PercentDecode("%zz", false).has_value());
  EXPECT_FALSE(PercentDecode("%2", false).has_value());
  EXPECT_FALSE(PercentDecode("abc%", false).has_value());
}

std::vector<HttpRequest> ParseInPieces(std::string_view in, size_t piece, int* error) {
  RequestParser parser(1024, 64);
  std::vector<HttpRequest> out;
  std::string buf;
  *error = 0;
  for (size_t pos = 0; pos < in.size(); pos += piece) {
    buf.append(in.substr(pos, piece));
    while (!buf.empty()) {
      size_t used = 0;
      auto r = parser.Parse(buf, &used);
      buf.erase(0, used);
      if (r == RequestParser::Result::kError) {
        *error = parser.error_status();
        return out;
      }
      if (r == RequestParser::Result::kRequest) out.push_back(parser.request());
      if (r == RequestParser::Result::kNeedMore) break;
    }
  }
  return out;
}

TEST(RequestParser, PipelinedRequestsAtEverySplit) {
  const std::string in =
      "POST /v1/counters/a/incr HTTP/1.1\r\nContent-Length: 9\r\nX-Two: 1\r\n\r\n{\"by\": 5}"
      "GET /v1/counters/a?db=1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /v1/command HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  for (size_t piece = 1; piece <= in.size(); ++piece) {
    int error = 0;
    auto reqs = ParseInPieces(in, piece, &error);
    ASSERT_EQ(error, 0) << piece;
    ASSERT_EQ(reqs.size(), 3u) << piece;
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].body, "{\"by\": 5}");
    EXPECT_EQ(reqs[0].Header("x-two"), "1");
    EXPECT_EQ(reqs[1].target, "/v1/counters/a?db=1");
    EXPECT_EQ(reqs[2].body, "abc");
  }
}

TEST(RequestParser, LimitsAndMalformedInput) {
  int error = 0;
  ParseInPieces("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", 100, &error);
  EXPECT_EQ(error, 431);
  ParseInPieces("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 7, &error);
  EXPECT_EQ(error, 413);
  ParseInPieces("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n" +
                    std::string(65, 'x') + "\r\n0\r\n\r\n",
                5, &error);
  EXPECT_EQ(error, 413);
  ParseInPieces("NOT HTTP AT ALL\r\n\r\n", 3, &error);
  EXPECT_EQ(error, 400);
  auto ok = ParseInPieces("GET /healthz HTTP/1.1\r\n\r\n\x01\x02", 4, &error);
  EXPECT_EQ(ok.size(), 1u);
  EXPECT_EQ(error, 400);  // garbage after a good request
}

}  // namespace
}  // namespace tally
