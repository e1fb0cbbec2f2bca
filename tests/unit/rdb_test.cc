// The RDB reader on files built byte by byte: the encodings Redis 7.0 (the redis-server the
// integration test runs) never writes (RDB 9's ziplists, the old sorted-set format, streams of
// RDB 11, module values, expiry in seconds) next to the ones it does, damaged input, and the
// CRC64 and LZF building blocks against known values.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "tally/rdb/rdb_reader.h"

namespace tally {
namespace {

struct Collect : RdbVisitor {
  struct Str {
    uint64_t db;
    std::string key, value;
    int64_t expire;
  };
  std::vector<Str> strings;
  std::map<std::string, int> others;
  int functions = 0;
  Status OnString(uint64_t db, std::string_view k, std::string_view v, int64_t e) override {
    strings.push_back({db, std::string(k), std::string(v), e});
    return Status::OK();
  }
  void OnOtherType(uint64_t, std::string_view, const char* type) override { ++others[type]; }
  void OnFunction() override { ++functions; }
};

// Builds an RDB file.
struct Rdb {
  std::string b;
  explicit Rdb(int version) {
    char head[10];
    snprintf(head, sizeof(head), "REDIS%04d", version);
    b = head;
  }
  Rdb& Byte(int v) {
    b.push_back(static_cast<char>(v));
    return *this;
  }
  Rdb& Len(uint64_t n) {
    if (n < 64) return Byte(static_cast<int>(n));
    if (n < 16384) return Byte(0x40 | static_cast<int>(n >> 8)).Byte(static_cast<int>(n & 0xff));
    Byte(0x80);
    for (int i = 3; i >= 0; --i) Byte(static_cast<int>((n >> (8 * i)) & 0xff));
    return *this;
  }
  Rdb& Str(std::string_view s) {
    Len(s.size());
    b.append(s);
    return *this;
  }
  Rdb& Little(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) Byte(static_cast<int>((v >> (8 * i)) & 0xff));
    return *this;
  }
  std::string End(bool checksum = true) {
    Byte(0xff);
    const uint64_t crc = checksum ? Crc64(0, b) : 0;
    Little(crc, 8);
    return b;
  }
};

TEST(Rdb, Crc64AndLzfKnownValues) {
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);  // Redis's crc64.c self-test
  std::string out;
  // "abcabcabcabc": a literal run "abc", then a back reference of 9 bytes at distance 3.
  const std::string lzf = std::string(
                              "\x02"
                              "abc",
                              4) +
                          std::string("\xe0\x00\x02", 3);
  ASSERT_TRUE(LzfDecompress(lzf, 12, &out));
  EXPECT_EQ(out, "abcabcabcabc");
  EXPECT_FALSE(LzfDecompress(lzf, 11, &out));                        // output overflows
  EXPECT_FALSE(LzfDecompress(lzf, 13, &out));                        // output short
  EXPECT_FALSE(LzfDecompress(std::string("\x20\x05", 2), 3, &out));  // reference before start
  EXPECT_FALSE(LzfDecompress(std::string("\x05"
                                         "ab",
                                         3),
                             6, &out));  // literal past input
}

TEST(Rdb, StringsInEveryEncodingWithExpiriesAndDatabases) {
  Rdb r(9);
  r.Byte(0xfa).Str("redis-ver").Str("6.0.16");   // AUX
  r.Byte(0xfe).Len(0).Byte(0xfb).Len(3).Len(1);  // SELECTDB 0, RESIZEDB
  r.Byte(0).Str("plain").Str("v");
  r.Byte(0).Str("i8").Byte(0xc0).Byte(0x85);                       // int8 -123
  r.Byte(0).Str("i16").Byte(0xc1).Little(0x8000, 2);               // int16 -32768
  r.Byte(0).Str("i32").Byte(0xc2).Little(0x7fffffff, 4);           // int32
  r.Byte(0xfd).Little(2000000000, 4).Byte(0).Str("sec").Str("s");  // EXPIRETIME (seconds)
  r.Byte(0xfc).Little(4102444800123ULL, 8).Byte(0xf8).Len(5);      // EXPIRETIME_MS, IDLE
  r.Byte(0xf9).Byte(3);                                            // FREQ
  r.Byte(0).Str("ms").Str("m");
  r.Byte(0xfe).Len(200);
  r.Byte(0).Byte(0xc3).Len(7).Len(12).b.append(
      std::string("\x02"
                  "abc\xe0\x00\x02",
                  7));
  r.Str("lzf-key-value");  // the key was LZF-compressed, this is its value
  r.Byte(0).Str("long").Str(std::string(20000, 'x'));  // 14-bit and 32-bit lengths
  Collect c;
  Status st = ReadRdb(r.End(), c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(c.strings.size(), 8u);
  EXPECT_EQ(c.strings[1].value, "-123");
  EXPECT_EQ(c.strings[2].value, "-32768");
  EXPECT_EQ(c.strings[3].value, "2147483647");
  EXPECT_EQ(c.strings[4].expire, 2000000000000LL);
  EXPECT_EQ(c.strings[5].expire, 4102444800123LL);
  EXPECT_EQ(c.strings[0].expire, 0);
  EXPECT_EQ(c.strings[6].db, 200u);
  EXPECT_EQ(c.strings[6].key, "abcabcabcabc");
  EXPECT_EQ(c.strings[7].value.size(), 20000u);
}

TEST(Rdb, EveryOtherTypeIsSkippedAndCounted) {
  Rdb r(11);
  r.Byte(1).Str("list").Len(2).Str("a").Str("b");                  // LIST
  r.Byte(2).Str("set").Len(1).Str("m");                            // SET
  r.Byte(3).Str("zset1").Len(3).Str("a").Byte(3).b.append("1.5");  // ZSET (old scores)
  r.Str("b").Byte(254).Str("c").Byte(253);                         // +inf, nan
  r.Byte(4).Str("hash").Len(1).Str("f").Str("v");                  // HASH
  r.Byte(5).Str("zset2").Len(1).Str("a").Little(0, 8);             // ZSET_2
  for (int t : {9, 10, 11, 12, 13, 16, 17, 20}) r.Byte(t).Str("blob" + std::to_string(t)).Str("..");
  r.Byte(14).Str("ql").Len(2).Str("zl1").Str("zl2");  // QUICKLIST
  r.Byte(18).Str("ql2").Len(1).Len(2).Str("lp");      // QUICKLIST_2
  r.Byte(7).Str("mod").Len(12345);                    // MODULE_2
  r.Len(1).Len(7).Len(2).Len(8).Len(3).Little(0, 4).Len(4).Little(0, 8).Len(5).Str("s").Len(0);
  r.Byte(0xf7).Len(999).Len(2).Len(1).Len(5).Str("aux").Len(0);  // MODULE_AUX
  r.Byte(0xf5).Str("#!lua name=lib\n...");                       // FUNCTION2
  for (int t : {15, 19, 21}) {                                   // streams v1, v2, v3
    r.Byte(t).Str("stream" + std::to_string(t)).Len(1).Str("nodekey").Str("listpack");
    r.Len(2).Len(170000).Len(0);                        // length, last ID
    if (t >= 19) r.Len(1).Len(0).Len(0).Len(0).Len(2);  // first ID, max deleted, added
    r.Len(1).Str("group").Len(1).Len(0);                // one group, its last ID
    if (t >= 19) r.Len(1);                              // entries read
    r.Len(1).b.append(std::string(16 + 8, 'p'));        // one pending entry
    r.Len(1);                                           // delivery count
    r.Len(1).Str("consumer").b.append(std::string(t == 21 ? 16 : 8, 't'));
    r.Len(1).b.append(std::string(16, 'i'));  // the consumer's pending entry
  }
  r.Byte(0).Str("after").Str("all");
  Collect c;
  Status st = ReadRdb(r.End(), c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(c.strings.size(), 1u);
  EXPECT_EQ(c.strings[0].key, "after");
  EXPECT_EQ(c.functions, 1);
  std::map<std::string, int> want = {{"list", 4}, {"set", 3},    {"zset", 4},
                                     {"hash", 4}, {"stream", 3}, {"module", 1}};
  EXPECT_EQ(c.others, want);
}

TEST(Rdb, DamagedInputIsCorruptionNeverACrash) {
  Rdb good(10);
  good.Byte(0).Str("k").Str("v");
  const std::string bytes = good.End();
  Collect c;
  EXPECT_TRUE(ReadRdb(bytes, c).ok());
  Rdb no_sum(10);
  no_sum.Byte(0).Str("k").Str("v");
  EXPECT_TRUE(ReadRdb(no_sum.End(/*checksum=*/false), c).ok());  // rdbchecksum no
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(ReadRdb(bytes.substr(0, cut), c).code(), Status::Code::kCorruption) << cut;
  }
  std::string flipped = bytes;
  flipped[12] ^= 1;
  EXPECT_EQ(ReadRdb(flipped, c).code(), Status::Code::kCorruption);
  EXPECT_EQ(ReadRdb("REDIS0012", c).code(), Status::Code::kCorruption);  // too new
  EXPECT_EQ(ReadRdb("REDIX0009", c).code(), Status::Code::kCorruption);
  Rdb unknown(10);
  unknown.Byte(42).Str("k");
  EXPECT_EQ(ReadRdb(unknown.End(), c).code(), Status::Code::kCorruption);
  Rdb huge(10);  // a length of 4 GiB backed by nothing: no 4 GiB allocation, an error
  huge.Byte(0).Str("k").Byte(0x81).Little(0x00000001000000ULL, 8);
  EXPECT_EQ(ReadRdb(huge.End(), c).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace tally
