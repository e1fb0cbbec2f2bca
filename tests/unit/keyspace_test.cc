#include "tally/storage/keyspace.h"

#include <filesystem>
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

// A key found nowhere is not cached by reads; its first write adds it, once, even when the
// same command names it twice.
TEST_F(KeyspaceTest, KeysFoundNowhereAreNotCachedUntilWritten) {
  const size_t before = ks().table_bytes();
  for (int i = 0; i < 100; ++i) {
    auto r = ks().Get(0, "missing" + std::to_string(i));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->value.has_value());
  }
  EXPECT_EQ(ks().table_bytes(), before);
  std::vector<std::string_view> pairs = {"n", "1", "n", "2"};
  ASSERT_TRUE(ks().MSet(0, pairs, false).ok());
  EXPECT_EQ(*ks().Get(0, "n")->value, "2");
  EXPECT_EQ(ks().Counts(0).keys, 1);
  std::vector<std::string_view> twice = {"m", "m"};
  auto del = ks().Del(0, twice);
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->value, 0);
  ASSERT_TRUE(ks().IncrBy(0, "c", 2).ok());
  EXPECT_EQ(ks().IncrBy(0, "c", 3)->value, 5);
  EXPECT_EQ(ks().Counts(0).keys, 2);
  server_.Restart();
  EXPECT_EQ(*ks().Get(0, "n")->value, "2");
  EXPECT_EQ(*ks().Get(0, "c")->value, "5");
  EXPECT_EQ(ks().Counts(0).keys, 2);
}

// A fresh store's table holds every key, so misses are answered without reading RocksDB
// (KeyTable::Shard::complete); once entries are evicted, reads and writes must find them in the
// store again, and a FLUSHDB makes the table whole once more.
TEST_F(KeyspaceTest, EvictedKeysAreFoundInTheStore) {
  server_.keyspace_options.table_max_memory = 64 << 10;  // 1 KiB per shard
  server_.Restart();
  constexpr int kKeys = 3000;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(ks().IncrBy(0, "k" + std::to_string(i), i + 1).ok());
  EXPECT_LT(ks().table_bytes(), 300u << 10);  // most entries were evicted
  for (int i = 0; i < kKeys; ++i) {
    auto r = ks().Get(0, "k" + std::to_string(i));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->value.has_value()) << i;
    EXPECT_EQ(*r->value, std::to_string(i + 1));
  }
  // Blind SETs of evicted keys: counted as overwrites, not as new keys.
  std::vector<std::string_view> pairs = {"k1", "x", "k2", "y", "fresh", "z"};
  ASSERT_TRUE(ks().MSet(0, pairs, false).ok());
  EXPECT_EQ(ks().Counts(0).keys, kKeys + 1);
  EXPECT_EQ(ks().IncrBy(0, "k7", 1)->value, 9);
  ASSERT_TRUE(ks().FlushDb(0).ok());
  EXPECT_FALSE(ks().Get(0, "k5")->value.has_value());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(ks().IncrBy(0, "n" + std::to_string(i), 1).ok());
  EXPECT_EQ(ks().Counts(0).keys, 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(*ks().Get(0, "n" + std::to_string(i))->value, "1");
  server_.Restart();  // a store with keys: reads go to it
  EXPECT_EQ(*ks().Get(0, "n42")->value, "1");
  EXPECT_FALSE(ks().Get(0, "k5")->value.has_value());
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

namespace tally {
namespace {

Record PutRecord(DbIndex db, std::string key, std::string payload, int64_t expire_at, Lsn lsn) {
  Record r;
  r.kind = Record::Kind::kPut;
  r.db = db;
  r.key = std::move(key);
  r.lsn = lsn;
  EncodeValue(payload, expire_at, &r.value);
  return r;
}

TEST(ExpiryCompactionFilter, DropsOnlyValuesExpiredBeforeTheWatermark) {
  test::TempDir dir;
  StoreOptions so;
  so.path = dir.path();
  so.expired_before = std::make_shared<std::atomic<int64_t>>(0);
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  std::vector<Record> records = {PutRecord(0, "old", "1", 1000, 1),
                                 PutRecord(0, "later", "2", 5000, 2),
                                 PutRecord(0, "plain", "3", 0, 3)};
  ASSERT_OK((*store)->Write(records, true));
  ASSERT_OK((*store)->CompactAll());  // watermark 0: nothing dropped
  EXPECT_TRUE((*store)->Get(0, "old")->has_value());
  so.expired_before->store(2000);
  ASSERT_OK((*store)->CompactAll());
  EXPECT_FALSE((*store)->Get(0, "old")->has_value());
  EXPECT_TRUE((*store)->Get(0, "later")->has_value());
  EXPECT_TRUE((*store)->Get(0, "plain")->has_value());
}

// A group's records reach RocksDB in key order, with only the last record of each key; a flush
// between records keeps them apart. What a reader sees afterwards is as if each were written.
TEST(StoreWrite, CoalescesRecordsOfOneKeyInAGroup) {
  test::TempDir dir;
  StoreOptions so;
  so.path = dir.path();
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  Record del_j;
  del_j.kind = Record::Kind::kDelete;
  del_j.key = "j";
  del_j.keys_delta = -1;
  del_j.lsn = 4;
  Record flush;
  flush.kind = Record::Kind::kFlushDb;
  flush.db = 1;
  flush.lsn = 7;
  std::vector<Record> records = {PutRecord(0, "k", "1", 0, 1),
                                 PutRecord(0, "j", "5", 0, 2),
                                 PutRecord(0, "k", "2", 9000, 3),
                                 del_j,
                                 PutRecord(0, "j", "7", 0, 5),
                                 PutRecord(1, "gone", "x", 0, 6),
                                 flush,
                                 PutRecord(1, "kept", "y", 0, 8),
                                 PutRecord(2, "k", "z", 0, 9),  // "k" of three databases
                                 PutRecord(1, "k", "q", 0, 10)};
  records[0].keys_delta = 1;
  records[1].keys_delta = 1;
  records[2].expires_delta = 1;
  records[4].keys_delta = 1;
  records[5].keys_delta = 1;
  records[7].keys_delta = 1;
  records[8].keys_delta = 1;
  records[9].keys_delta = 1;
  ASSERT_OK((*store)->Write(records, true));
  auto value = [&](DbIndex db, const std::string& key) -> std::string {
    auto v = (*store)->Get(db, key);
    if (!v.ok() || !v->has_value()) return "<none>";
    return std::string(DecodeValue(**v)->payload);
  };
  EXPECT_EQ(value(0, "k"), "2");
  EXPECT_EQ(value(0, "j"), "7");
  EXPECT_EQ(value(1, "gone"), "<none>");
  EXPECT_EQ(value(1, "kept"), "y");
  EXPECT_EQ(value(2, "k"), "z");
  EXPECT_EQ(value(1, "k"), "q");
  std::vector<int64_t> due;
  ASSERT_OK((*store)->ForEachDue(0, 10000, [&](int64_t at, std::string_view key) {
    due.push_back(at);
    EXPECT_EQ(key, "k");
    return true;
  }));
  EXPECT_EQ(due, std::vector<int64_t>{9000});
  // The counts and LSN written with the batch survive a reopen.
  ASSERT_OK((*store)->Close());
  store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->recovered_lsn(), 10u);
  EXPECT_EQ((*store)->counts()[0].keys, 2);
  EXPECT_EQ((*store)->counts()[0].expires, 1);
  EXPECT_EQ((*store)->counts()[1].keys, 2);
  EXPECT_EQ((*store)->counts()[2].keys, 1);
}

// What a restart must replay stays bounded: the WAL kept is about one write buffer past the
// last flush (the tiny meta column family, written by every batch, must not pin old logs), and
// a clean close flushes, so nothing is left to replay.
// Records written blind (no read before the write) get their count changes from the key's
// state before them: an earlier record of the batch, a flush of its database, or RocksDB.
TEST(StoreWrite, BlindRecordsResolveTheirCountsAgainstThePriorState) {
  test::TempDir dir;
  StoreOptions so;
  so.path = dir.path();
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  auto blind = [](Record r) {
    r.keys_delta = Record::kUnknown;
    r.expires_delta = DecodeValue(r.value)->expire_at_ms != 0 ? 1 : 0;
    return r;
  };
  auto blind_delete = [](DbIndex db, std::string key, Lsn lsn) {
    Record r;
    r.kind = Record::Kind::kDelete;
    r.db = db;
    r.key = std::move(key);
    r.lsn = lsn;
    r.keys_delta = Record::kUnknown;
    return r;
  };
  std::vector<Record> first = {PutRecord(0, "a", "1", 0, 1), PutRecord(0, "v", "2", 9000, 2)};
  first[0].keys_delta = 1;
  first[1].keys_delta = 1;
  first[1].expires_delta = 1;
  ASSERT_OK((*store)->Write(first, false));
  Record flush;
  flush.kind = Record::Kind::kFlushDb;
  flush.db = 1;
  flush.lsn = 9;
  std::vector<Record> second = {
      blind(PutRecord(0, "a", "3", 0, 3)),     // existed: keys +0
      blind(PutRecord(0, "v", "4", 0, 4)),     // existed with an expiry: expires -1
      blind(PutRecord(0, "n", "5", 9000, 5)),  // new, volatile: +1 / +1
      blind(PutRecord(0, "n", "6", 0, 6)),     // after the record before: +0 / -1
      blind_delete(0, "gone", 7),              // was nowhere: nothing
      blind(PutRecord(1, "x", "8", 0, 8)),     // new in db 1
      flush,                                   // db 1 emptied
      blind(PutRecord(1, "x", "10", 0, 10)),   // absent after the flush: +1
  };
  ASSERT_OK((*store)->Write(second, false));
  EXPECT_EQ((*store)->counts()[0].keys, 3);
  EXPECT_EQ((*store)->counts()[0].expires, 0);
  EXPECT_EQ((*store)->counts()[1].keys, 1);
  std::vector<Record> third = {blind_delete(0, "a", 11), blind_delete(0, "a", 12)};
  ASSERT_OK((*store)->Write(third, false));
  EXPECT_EQ((*store)->counts()[0].keys, 2);
  EXPECT_FALSE((*store)->Get(0, "a")->has_value());
}

// SET and MSET do not read the old value; DBSIZE stays exact anyway, across restarts and
// inside transactions.
TEST_F(KeyspaceTest, BlindSetsKeepCountsExact) {
  SetOptions ex;
  ex.expire_at_ms = NowMs() + 100000;
  ASSERT_TRUE(ks().Set(0, "a", "1", {}).ok());
  ASSERT_TRUE(ks().Set(0, "v", "1", ex).ok());
  server_.Restart();  // the table is empty: both keys are only in RocksDB
  ASSERT_TRUE(ks().Set(0, "a", "2", {}).ok());
  ASSERT_TRUE(ks().Set(0, "v", "2", {}).ok());  // drops the TTL
  EXPECT_EQ(ks().Counts(0).keys, 2);
  EXPECT_EQ(ks().Counts(0).expires, 0);
  std::vector<std::string_view> pairs = {"a", "3", "new", "1", "new", "2", "b", "1", "c", "1"};
  ASSERT_TRUE(ks().MSet(0, pairs, false).ok());
  EXPECT_EQ(ks().Counts(0).keys, 5);
  SetOptions past;
  past.expire_at_ms = NowMs() - 1000;
  ASSERT_TRUE(ks().Set(0, "nowhere", "1", past).ok());  // deletes a key that does not exist
  server_.Restart();
  ASSERT_TRUE(ks().Set(0, "b", "1", past).ok());  // deletes a key only RocksDB has
  EXPECT_EQ(ks().Counts(0).keys, 4);
  EXPECT_EQ(*ks().Get(0, "new")->value, "2");
  {
    Keyspace::AtomicScope scope(&ks());
    Keyspace& txn = scope.keyspace();
    ASSERT_TRUE(txn.Set(0, "in-tx", "1", {}).ok());
    ASSERT_TRUE(txn.Set(0, "c", "2", {}).ok());
    EXPECT_EQ(txn.Counts(0).keys, 5);
    scope.Commit();
  }
  server_.Restart();
  EXPECT_EQ(ks().Counts(0).keys, 5);
}

TEST(StoreWrite, WalStaysBoundedAndCloseLeavesNothingToReplay) {
  test::TempDir dir;
  StoreOptions so;
  so.path = dir.path();
  so.write_buffer_bytes = 1 << 20;
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  auto wal_bytes = [&] {
    uintmax_t total = 0;
    // RocksDB deletes obsolete logs in the background: one may vanish between the listing
    // and the size (it then counts as 0).
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      std::error_code ec;
      const uintmax_t size = std::filesystem::file_size(f.path(), ec);
      if (f.path().extension() == ".log" && !ec) total += size;
    }
    return total;
  };
  Lsn lsn = 0;
  const std::string payload(200, 'v');
  for (int group = 0; group < 400; ++group) {  // ~16 MiB of records
    std::vector<Record> records;
    for (int i = 0; i < 200; ++i) {
      records.push_back(PutRecord(0, "k" + std::to_string(group * 200 + i), payload, 0, ++lsn));
    }
    ASSERT_OK((*store)->Write(records, false));
  }
  // Obsolete logs are deleted in the background after each flush: allow it a moment.
  for (int i = 0; i < 100 && wal_bytes() > (6u << 20); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_LE(wal_bytes(), 6u << 20);
  ASSERT_OK((*store)->Close());
  EXPECT_LE(wal_bytes(), 64u << 10);
  store = Store::Open(so);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->recovered_lsn(), lsn);
  EXPECT_EQ((*store)->counts()[0].keys, 0);  // these records carried no key-count deltas
  EXPECT_TRUE((*store)->Get(0, "k79999")->has_value());
}

TEST_F(KeyspaceTest, ActiveExpiryDeletesDueKeysAndSkipsResetOnes) {
  SetOptions o;
  o.expire_at_ms = NowMs() + 20;
  ASSERT_TRUE(ks().Set(0, "a", "1", o).ok());
  ASSERT_TRUE(ks().Set(0, "b", "1", o).ok());
  // In separate groups: within one group only the last record of a key reaches RocksDB, and
  // this test wants b's index entry to be there, stale.
  ASSERT_OK(server_.commit_log().WaitApplied(server_.commit_log().last_lsn()));
  ASSERT_TRUE(ks().Set(0, "b", "2", {}).ok());  // re-set without expiry
  ASSERT_TRUE(ks().Set(0, "c", "1", {}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  // Wait until the writes are in RocksDB (the index is read from there).
  ASSERT_OK(server_.commit_log().WaitApplied(server_.commit_log().last_lsn()));
  EXPECT_EQ(ks().Counts(0).keys, 3);
  EXPECT_EQ(ks().ActiveExpireCycle(NowMs(), 100), 2u);  // "a" and b's stale entry
  EXPECT_EQ(ks().Counts(0).keys, 2);
  EXPECT_EQ(ks().Counts(0).expires, 0);
  EXPECT_EQ(*ks().Get(0, "b")->value, "2");
  ASSERT_OK(server_.commit_log().WaitApplied(server_.commit_log().last_lsn()));
  EXPECT_EQ(ks().ActiveExpireCycle(NowMs(), 100), 0u);  // the index entries are gone
}

TEST_F(KeyspaceTest, ScanSeesEveryKeyInOrder) {
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(ks().IncrBy(0, "k" + std::to_string(100 + i), 1).ok());
  std::vector<std::string> all;
  std::string after;
  while (true) {
    auto r = ks().Scan(0, after, 7);
    ASSERT_TRUE(r.ok());
    for (auto& k : r->value.keys) all.push_back(k);
    if (r->value.done || r->value.keys.empty()) break;
    after = r->value.keys.back();
  }
  ASSERT_EQ(all.size(), 25u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
}

TEST_F(KeyspaceTest, AtomicScopeCommitsOneGroup) {
  uint64_t groups_before = server_.commit_log().stats().groups;
  Lsn lsn;
  {
    Keyspace::AtomicScope scope(&ks());
    Keyspace& txn = scope.keyspace();
    EXPECT_TRUE(txn.InAtomicScope());
    EXPECT_FALSE(ks().InAtomicScope());
    ASSERT_TRUE(txn.IncrBy(0, "x", 1).ok());
    ASSERT_TRUE(txn.IncrBy(0, "y", 1).ok());
    ASSERT_TRUE(txn.IncrBy(0, "x", 1).ok());
    // The transaction's reads see its own writes before the commit.
    EXPECT_EQ(*txn.Get(0, "x")->value, "2");
    lsn = scope.Commit();
  }
  ASSERT_OK(server_.commit_log().WaitApplied(lsn));
  EXPECT_EQ(server_.commit_log().stats().groups, groups_before + 1);
  EXPECT_EQ(*ks().Get(0, "x")->value, "2");
  server_.Restart();
  EXPECT_EQ(*ks().Get(0, "x")->value, "2");
  EXPECT_EQ(*ks().Get(0, "y")->value, "1");
}

}  // namespace
}  // namespace tally

namespace tally {
namespace {

// SCAN inside a transaction sees the transaction's own writes, merged in key order into what
// RocksDB has, page by page; a flush in the transaction hides RocksDB's keys.
TEST_F(KeyspaceTest, ScanInsideATransactionSeesItsWrites) {
  for (std::string_view k : {"a", "b", "c"}) ASSERT_TRUE(ks().Set(0, k, "1", {}).ok());
  ASSERT_TRUE(ks().Set(1, "other-db", "1", {}).ok());
  Keyspace::AtomicScope scope(&ks());
  Keyspace& txn = scope.keyspace();
  std::string_view gone[] = {"b"};
  ASSERT_EQ(txn.Del(0, gone)->value, 1);
  ASSERT_TRUE(txn.Set(0, "bb", "1", {}).ok());
  ASSERT_TRUE(txn.Set(0, "d", "1", {}).ok());
  ASSERT_TRUE(txn.Set(0, "a", "2", {}).ok());  // in both: listed once
  auto page = txn.Scan(0, "", 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->value.keys, (std::vector<std::string>{"a", "bb"}));
  EXPECT_FALSE(page->value.done);
  page = txn.Scan(0, "bb", 2);
  EXPECT_EQ(page->value.keys, (std::vector<std::string>{"c", "d"}));
  page = txn.Scan(0, "d", 2);
  EXPECT_TRUE(page->value.keys.empty());
  EXPECT_TRUE(page->value.done);
  ASSERT_TRUE(txn.FlushDb(0).ok());
  ASSERT_TRUE(txn.Set(0, "z", "1", {}).ok());
  EXPECT_EQ(txn.Scan(0, "", 0)->value.keys, (std::vector<std::string>{"z"}));
  EXPECT_EQ(txn.Scan(1, "", 0)->value.keys, (std::vector<std::string>{"other-db"}));
  scope.Commit();
  EXPECT_EQ(ks().Scan(0, "", 0)->value.keys, (std::vector<std::string>{"z"}));
}

// The updates called on a CreatedKeys scope's view note the keys they create (also for SET and
// MSET, which otherwise write blind); a nested scope collects apart from the outer one, and the
// root view notes nothing.
TEST_F(KeyspaceTest, CreatedKeysNotesKeysThatDidNotExist) {
  ASSERT_TRUE(ks().Set(0, "old", "1", SetOptions{}).ok());
  Keyspace::CreatedKeys outer(ks());
  Keyspace& view = outer.keyspace();
  EXPECT_EQ(view.created_keys(), &outer);
  EXPECT_EQ(ks().created_keys(), nullptr);
  ASSERT_TRUE(view.Set(0, "old", "2", SetOptions{}).ok());
  ASSERT_TRUE(view.Set(0, "fresh", "1", SetOptions{}).ok());
  std::string_view pairs[] = {"m1", "a", "old", "b", "m2", "c"};
  ASSERT_TRUE(view.MSet(3, pairs, false).ok());
  ASSERT_TRUE(view.IncrBy(0, "counter", 1).ok());
  ASSERT_TRUE(view.IncrBy(0, "counter", 1).ok());               // exists now: not new again
  ASSERT_TRUE(ks().Set(0, "by-root", "1", SetOptions{}).ok());  // not through the view
  {
    Keyspace::CreatedKeys inner(view);
    ASSERT_TRUE(inner.keyspace().Set(0, "inner", "1", SetOptions{}).ok());
    EXPECT_TRUE(inner.Take(0, "inner"));
    EXPECT_FALSE(inner.Take(0, "inner"));  // once
  }
  EXPECT_FALSE(outer.Take(0, "by-root"));
  EXPECT_FALSE(outer.Take(0, "inner"));
  EXPECT_FALSE(outer.Take(0, "old"));
  EXPECT_TRUE(outer.Take(0, "fresh"));
  EXPECT_TRUE(outer.Take(3, "m1"));
  EXPECT_TRUE(outer.Take(3, "old"));  // another database
  EXPECT_TRUE(outer.Take(3, "m2"));
  EXPECT_FALSE(outer.Take(0, "m1"));
  EXPECT_TRUE(outer.Take(0, "counter"));
  EXPECT_FALSE(outer.Take(0, "counter"));
}

}  // namespace
}  // namespace tally
