#include "tally/storage/keyspace.h"

#include <thread>

#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"
#include "test_server.h"

namespace tally {
namespace {

class KeyspaceTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  test::TestServer server_{dir_.path()};
  Keyspace& ks() { return server_.keyspace(); }
};

TEST_F(KeyspaceTest, IncrByCountsFromZeroAndKeepsTtl) {
  auto r = ks().IncrBy(0, "k", 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, 5);
  EXPECT_GT(r->lsn, 0u);
  SetOptions o;
  o.expire_at_ms = NowMs() + 100000;
  ASSERT_TRUE(ks().Set(0, "t", "10", o).ok());
  EXPECT_EQ(ks().IncrBy(0, "t", 1)->value, 11);
  EXPECT_GT(ks().PTtl(0, "t")->value, 90000);
}

TEST_F(KeyspaceTest, IncrByErrors) {
  ASSERT_TRUE(ks().Set(0, "s", "abc", {}).ok());
  EXPECT_EQ(ks().IncrBy(0, "s", 1).status().code(), Status::Code::kNotInteger);
  ASSERT_TRUE(ks().Set(0, "m", "9223372036854775807", {}).ok());
  EXPECT_EQ(ks().IncrBy(0, "m", 1).status().code(), Status::Code::kOverflow);
  EXPECT_EQ(*ks().Get(0, "m")->value, "9223372036854775807");  // unchanged
  ASSERT_TRUE(ks().Set(0, "sp", " 1", {}).ok());
  EXPECT_EQ(ks().IncrBy(0, "sp", 1).status().code(), Status::Code::kNotInteger);
}

TEST_F(KeyspaceTest, ExpiredKeysAreNeverVisible) {
  SetOptions o;
  o.expire_at_ms = NowMs() + 30;
  ASSERT_TRUE(ks().Set(0, "e", "v", o).ok());
  EXPECT_EQ(ks().Counts(0).expires, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_FALSE(ks().Get(0, "e")->value.has_value());
  EXPECT_EQ(ks().Counts(0).keys, 0);
  EXPECT_EQ(ks().Counts(0).expires, 0);
  EXPECT_EQ(ks().expired_keys(), 1u);
}

TEST_F(KeyspaceTest, SurvivesRestartWithCounts) {
  ASSERT_TRUE(ks().IncrBy(0, "a", 10).ok());
  ASSERT_TRUE(ks().IncrBy(3, "b", 7).ok());
  std::string_view keys[] = {"x", "1", "y", "2"};
  ASSERT_TRUE(ks().MSet(0, keys, false).ok());
  server_.Restart();
  EXPECT_EQ(*ks().Get(0, "a")->value, "10");
  EXPECT_EQ(*ks().Get(3, "b")->value, "7");
  EXPECT_FALSE(ks().Get(0, "b")->value.has_value());
  EXPECT_EQ(ks().Counts(0).keys, 3);
  EXPECT_EQ(ks().Counts(3).keys, 1);
}

TEST_F(KeyspaceTest, FlushDbHidesStoredKeysImmediately) {
  ASSERT_TRUE(ks().IncrBy(0, "a", 1).ok());
  server_.Restart();  // "a" now lives only in RocksDB
  ASSERT_TRUE(ks().FlushDb(0).ok());
  EXPECT_FALSE(ks().Get(0, "a")->value.has_value());
  EXPECT_EQ(ks().Counts(0).keys, 0);
  server_.Restart();
  EXPECT_FALSE(ks().Get(0, "a")->value.has_value());
  EXPECT_EQ(ks().Counts(0).keys, 0);
}

TEST_F(KeyspaceTest, DelCountsEachKeyOnce) {
  ASSERT_TRUE(ks().IncrBy(0, "a", 1).ok());
  std::string_view keys[] = {"a", "a", "c"};
  EXPECT_EQ(ks().Del(0, keys)->value, 1);
  EXPECT_EQ(ks().Counts(0).keys, 0);
}

TEST_F(KeyspaceTest, MSetNxWritesNothingIfAnyExists) {
  ASSERT_TRUE(ks().IncrBy(0, "b", 1).ok());
  std::string_view pairs[] = {"a", "1", "b", "2"};
  EXPECT_FALSE(ks().MSet(0, pairs, true)->value);
  EXPECT_FALSE(ks().Get(0, "a")->value.has_value());
  EXPECT_EQ(*ks().Get(0, "b")->value, "1");
}

TEST_F(KeyspaceTest, ConcurrentIncrementsLoseNothing) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) ASSERT_TRUE(ks().IncrBy(0, "hot", 1).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(*ks().Get(0, "hot")->value, "4000");
  server_.Restart();
  EXPECT_EQ(*ks().Get(0, "hot")->value, "4000");
}

TEST(ValueCodec, RoundTripAndCorruption) {
  std::string enc;
  EncodeValue("hello", 1234, &enc);
  auto d = DecodeValue(enc);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->payload, "hello");
  EXPECT_EQ(d->expire_at_ms, 1234);
  enc.clear();
  EncodeValue("", 0, &enc);
  EXPECT_EQ(DecodeValue(enc)->payload, "");
  EXPECT_FALSE(DecodeValue("").ok());
  EXPECT_FALSE(DecodeValue(std::string("\x07\x00", 2)).ok());
  EXPECT_FALSE(DecodeValue(std::string("\x00\x01\x01", 3)).ok());
}

}  // namespace
}  // namespace tally
