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
  std::map<std::string, std::pair<std::vector<std::string>, int64_t>> lists;  // key: items, TTL
  int functions = 0;
  Status OnString(uint64_t db, std::string_view k, std::string_view v, int64_t e) override {
    strings.push_back({db, std::string(k), std::string(v), e});
    return Status::OK();
  }
  Status OnList(uint64_t, std::string_view k, std::vector<std::string>* items, int64_t e) override {
    lists[std::string(k)] = {*items, e};
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
  r.Byte(2).Str("set").Len(1).Str("m");                            // SET
  r.Byte(3).Str("zset1").Len(3).Str("a").Byte(3).b.append("1.5");  // ZSET (old scores)
  r.Str("b").Byte(254).Str("c").Byte(253);                         // +inf, nan
  r.Byte(4).Str("hash").Len(1).Str("f").Str("v");                  // HASH
  r.Byte(5).Str("zset2").Len(1).Str("a").Little(0, 8);             // ZSET_2
  for (int t : {9, 11, 12, 13, 16, 17, 20}) r.Byte(t).Str("blob" + std::to_string(t)).Str("..");
  r.Byte(7).Str("mod").Len(12345);  // MODULE_2
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
  std::map<std::string, int> want = {
      {"set", 3}, {"zset", 4}, {"hash", 4}, {"stream", 3}, {"module", 1}};
  EXPECT_EQ(c.others, want);
}

// A listpack (listpack.c) of the entries given as (encoding, bytes after it) pairs.
std::string Listpack(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string body;
  for (const auto& [enc, data] : entries) {
    const size_t l = enc.size() + data.size();
    body += enc + data;
    if (l <= 127) {
      body.push_back(static_cast<char>(l));
    } else {  // two bytes are enough for these tests' entries (< 16383)
      body.push_back(static_cast<char>(l >> 7));
      body.push_back(static_cast<char>((l & 127) | 128));
    }
  }
  Rdb h(0);
  h.b.clear();
  h.Little(6 + body.size() + 1, 4).Little(entries.size(), 2);
  return h.b + body + "\xff";
}

std::string Le(uint64_t v, int n) {
  Rdb h(0);
  h.b.clear();
  return h.Little(v, n).b;
}

// A ziplist (ziplist.c) of the entries given as (encoding, bytes after it) pairs.
std::string Ziplist(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string body;
  size_t prev = 0;
  for (const auto& [enc, data] : entries) {
    std::string prevlen =
        prev < 254 ? std::string(1, static_cast<char>(prev)) : "\xfe" + Le(prev, 4);
    std::string entry = prevlen + enc + data;
    body += entry;
    prev = entry.size();
  }
  return Le(10 + body.size() + 1, 4) + Le(0, 4) + Le(entries.size(), 2) + body + "\xff";
}

TEST(Rdb, ListsInEveryEncoding) {
  const std::string s100(100, 'm'), s5000(5000, 'L'), s300(300, 'z');
  const std::string lp = Listpack({
      {std::string(1, '\0'), ""},
      {"\x7f", ""},
      {"\x80", ""},
      {"\x83", "abc"},  // 7-bit uints, 6-bit strings
      {"\xd0", std::string(1, '\0')},
      {"\xcf", "\xff"},  // 13-bit: -4096, 4095
      {"\xe0\x64", s100},
      {"\xf0" + Le(5000, 4), s5000},  // 12-bit, 32-bit lengths
      {"\xf1", Le(0x8000, 2)},
      {"\xf2", Le(0x7fffff, 3)},  // int16, int24
      {"\xf3", Le(0x80000000, 4)},
      {"\xf4", Le(0x8000000000000000ULL, 8)},
  });
  const std::vector<std::string> lp_items = {
      "0",  "127", "",       "abc",     "-4096",       "4095",
      s100, s5000, "-32768", "8388607", "-2147483648", "-9223372036854775808"};
  const std::string zl = Ziplist({
      {"\x03", "abc"},
      {"\x41\x2c", s300},
      {"\x80" + std::string("\x00\x00\x13\x88", 4), s5000},
      {"\xf1", ""},
      {"\xfd", ""},
      {"\xfe", "\x80"},  // 0, 12, int8 -128
      {"\xc0", Le(0x7fff, 2)},
      {"\xf0", Le(0x800000, 3)},  // int16, int24
      {"\xd0", Le(0xffffffff, 4)},
      {"\xe0", Le(0x7fffffffffffffffULL, 8)},  // int32, int64
  });
  const std::vector<std::string> zl_items = {
      "abc", s300, s5000, "0", "12", "-128", "32767", "-8388608", "-1", "9223372036854775807"};
  Rdb r(11);
  r.Byte(1).Str("linked").Len(2).Str("a").Str("b");                      // LIST
  r.Byte(10).Str("zip").Str(zl);                                         // LIST_ZIPLIST
  r.Byte(14).Str("quick").Len(2).Str(zl).Str(Ziplist({{"\x01", "x"}}));  // QUICKLIST
  r.Byte(0xfc).Little(4102444800123ULL, 8);                              // a TTL for the next
  r.Byte(18).Str("quick2").Len(3).Len(2).Str(lp).Len(1).Str("plain node").Len(2).Str(lp);
  Collect c;
  Status st = ReadRdb(r.End(), c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.lists["linked"].first, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.lists["zip"].first, zl_items);
  std::vector<std::string> quick = zl_items;
  quick.push_back("x");
  EXPECT_EQ(c.lists["quick"].first, quick);
  EXPECT_EQ(c.lists["quick"].second, 0);
  std::vector<std::string> quick2 = lp_items;
  quick2.push_back("plain node");
  quick2.insert(quick2.end(), lp_items.begin(), lp_items.end());
  EXPECT_EQ(c.lists["quick2"].first, quick2);
  EXPECT_EQ(c.lists["quick2"].second, 4102444800123LL);
  EXPECT_TRUE(c.others.empty());
  // Every cut of either container is damage, never a crash or a wrong element.
  for (const std::string& blob : {lp, zl}) {
    for (size_t cut = 0; cut < blob.size(); ++cut) {
      std::vector<std::string> items;
      const std::string part = blob.substr(0, cut);
      EXPECT_FALSE(DecodeListpack(part, &items).ok() && DecodeZiplist(part, &items).ok()) << cut;
    }
  }
  std::vector<std::string> items;
  EXPECT_FALSE(DecodeZiplist(lp, &items).ok());  // a listpack is no ziplist
  std::string bad_container = Rdb(11).Byte(18).Str("q").Len(1).Len(3).Str("x").End();
  EXPECT_EQ(ReadRdb(bad_container, c).code(), Status::Code::kCorruption);
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
