#include "tally/storage/key_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace tally {
namespace {

// Keys of one shard, so that eviction tests see a single shard's budget.
std::vector<std::string> KeysOfShard(size_t shard, size_t n) {
  std::vector<std::string> keys;
  for (int i = 0; keys.size() < n; ++i) {
    std::string k = "key:" + std::to_string(i);
    if (KeyTable::ShardOf(k) == shard) keys.push_back(k);
  }
  return keys;
}

// Prefetch is a hint: it changes nothing (not even the CLOCK's referenced mark that a lookup
// sets, nor the byte count), copes with missing keys and other databases, hints only shards
// big enough to leave the CPU cache, and skips a shard another thread holds instead of waiting.
TEST(KeyTableTest, PrefetchChangesNothingAndSkipsSmallAndHeldShards) {
  KeyTable table;
  const size_t big = 5;
  std::vector<std::string> keys = KeysOfShard(big, KeyTable::Shard::kPrefetchMinEntries + 51);
  const std::string missing = keys.back();  // of the big shard, never added
  keys.pop_back();
  std::vector<KeyTable::Entry*> entries;
  {
    KeyTable::Shard& s = table.shard(big);
    MutexLock l(&s.mu);
    for (size_t i = 0; i < keys.size(); ++i) {
      KeyTable::Entry* e = s.Add(0, keys[i], KeyTable::Entry{});
      s.Put(*e, "v" + std::to_string(i), 0);
      e->referenced = false;
      entries.push_back(e);
    }
  }
  std::vector<std::string> few = KeysOfShard(big + 1, 3);  // a small shard
  {
    KeyTable::Shard& s = table.shard(big + 1);
    MutexLock l(&s.mu);
    for (const std::string& k : few) s.Add(0, k, KeyTable::Entry{});
  }
  const size_t bytes = table.bytes(/*locked=*/false);
  std::vector<std::string_view> batch(keys.begin(), keys.begin() + 16);
  batch.push_back(missing);  // hinted too: its slots are looked at
  EXPECT_EQ(table.Prefetch(0, batch), 17u);
  EXPECT_EQ(table.Prefetch(3, batch), 0u);  // a database with no entries
  std::vector<std::string_view> small(few.begin(), few.end());
  EXPECT_EQ(table.Prefetch(0, small), 0u);
  std::vector<std::string_view> all(keys.begin(), keys.end());
  EXPECT_EQ(table.Prefetch(0, all), 64u);  // only the first 64 are looked at
  EXPECT_EQ(table.bytes(/*locked=*/false), bytes);
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_FALSE(entries[i]->referenced) << keys[i];
    ASSERT_EQ(entries[i]->data, "v" + std::to_string(i));
  }
  // Another thread holds the big shard until Prefetch has returned.
  KeyTable::Shard& held = table.shard(big);
  std::atomic<bool> locked{false}, done{false};
  std::thread holder([&] {
    MutexLock l(&held.mu);
    locked = true;
    while (!done) std::this_thread::yield();
  });
  while (!locked) std::this_thread::yield();
  EXPECT_EQ(table.Prefetch(0, batch), 0u);  // would wait forever if it took the held lock
  done = true;
  holder.join();
  MutexLock l(&held.mu);
  EXPECT_EQ(held.Find(0, keys[0]), entries[0]);
}

TEST(KeyTableTest, FindAddPutAbsentEraseKeepByteCounts) {
  KeyTable table;
  KeyTable::Shard& s = table.shard_of("k");
  MutexLock l(&s.mu);
  EXPECT_EQ(s.Find(0, "k"), nullptr);
  EXPECT_EQ(s.bytes(), 0u);
  KeyTable::Entry* e = s.Add(0, "k", KeyTable::Entry{});
  const size_t empty = s.bytes();
  EXPECT_GT(empty, 1u);  // the key and the entry's overhead
  EXPECT_EQ(s.Find(0, "k"), e);
  EXPECT_EQ(s.Find(1, "k"), nullptr);  // databases are apart
  s.Put(*e, std::string(1000, 'x'), 42);
  EXPECT_TRUE(e->present);
  EXPECT_EQ(e->expire_at_ms, 42);
  EXPECT_EQ(s.bytes(), empty + 1000);
  s.Put(*e, "ab", 0);
  EXPECT_EQ(s.bytes(), empty + 2);
  s.MarkAbsent(*e);
  EXPECT_FALSE(e->present);
  EXPECT_EQ(e->expire_at_ms, 0);
  EXPECT_EQ(s.bytes(), empty);
  s.Put(*e, "abc", 0);
  s.Erase(0, "k");
  EXPECT_EQ(s.Find(0, "k"), nullptr);
  EXPECT_EQ(s.bytes(), 0u);
  s.Erase(0, "k");  // not there: nothing happens
  EXPECT_EQ(s.bytes(), 0u);
}

TEST(KeyTableTest, ClearEmptiesOneDatabase) {
  KeyTable table;
  const auto keys = KeysOfShard(3, 10);
  KeyTable::Shard& s = table.shard(3);
  MutexLock l(&s.mu);
  for (const auto& k : keys) {
    s.Put(*s.Add(0, k, {}), "v", 0);
    s.Put(*s.Add(2, k, {}), "v", 0);
  }
  const size_t both = s.bytes();
  s.Clear(0);
  EXPECT_EQ(s.bytes(), both / 2);
  for (const auto& k : keys) {
    EXPECT_EQ(s.Find(0, k), nullptr);
    EXPECT_NE(s.Find(2, k), nullptr);
  }
}

// CLOCK: a referenced entry gets a second chance; dirty and pinned entries are never evicted.
TEST(KeyTableTest, EvictionTakesOnlyCleanUnpinnedEntries) {
  KeyTable table;
  const auto keys = KeysOfShard(5, 300);
  KeyTable::Shard& s = table.shard(5);
  MutexLock l(&s.mu);
  for (size_t i = 0; i < keys.size(); ++i) {
    KeyTable::Entry* e = s.Add(0, keys[i], {});
    s.Put(*e, std::string(100, 'v'), 0);
    e->lsn = i % 3 == 0 ? 1000 : 10;  // every third dirty (clean is <= 500 below)
    e->pins = i % 5 == 0 ? 1 : 0;     // every fifth WATCHed
  }
  const size_t full = s.bytes();
  s.EvictIfNeeded(full, 500);  // within budget: nothing happens
  EXPECT_EQ(s.bytes(), full);
  s.EvictIfNeeded(1, 500);  // far over: all that may go, goes
  size_t kept = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const bool must_stay = i % 3 == 0 || i % 5 == 0;
    KeyTable::Entry* e = s.Find(0, keys[i]);
    if (must_stay) EXPECT_NE(e, nullptr) << keys[i];
    if (!must_stay) EXPECT_EQ(e, nullptr) << keys[i];
    kept += e != nullptr;
  }
  EXPECT_EQ(kept, 140u);  // 100 dirty + 60 pinned - 20 both
  EXPECT_LT(s.bytes(), full / 2);
}

TEST(KeyTableTest, EvictionGivesReferencedEntriesASecondChance) {
  KeyTable table;
  const auto keys = KeysOfShard(7, 100);
  KeyTable::Shard& s = table.shard(7);
  MutexLock l(&s.mu);
  for (const auto& k : keys) s.Put(*s.Add(0, k, {}), std::string(100, 'v'), 0);
  const size_t full = s.bytes();
  // New entries are referenced: the first pass clears the bits, and goes on (the hand wraps)
  // evicting until the shard is at 90 % of the budget.
  s.EvictIfNeeded(full - 1, 0);
  const size_t after = s.bytes();
  EXPECT_LE(after, (full - 1) * 9 / 10);
  EXPECT_GT(after, 0u);
  size_t left = 0;
  for (const auto& k : keys) left += s.Find(0, k) != nullptr;  // Find references them again
  s.EvictIfNeeded(after - 1, 0);
  size_t left_after = 0;
  for (const auto& k : keys) left_after += s.Find(0, k) != nullptr;
  EXPECT_LT(left_after, left);
  EXPECT_GT(left_after, 0u);
}

// A scan that found only dirty entries is not repeated until something is applied (`clean`
// moves) or the shard grows by a quarter of its budget.
TEST(KeyTableTest, EvictionSkipsScansThatWouldFindNothing) {
  KeyTable table;
  const auto keys = KeysOfShard(9, 200);
  KeyTable::Shard& s = table.shard(9);
  MutexLock l(&s.mu);
  auto add = [&](size_t from, size_t to, Lsn lsn) {
    for (size_t i = from; i < to; ++i) {
      KeyTable::Entry* e = s.Add(0, keys[i], {});
      s.Put(*e, std::string(100, 'v'), 0);
      e->lsn = lsn;
      e->referenced = false;
    }
  };
  add(0, 100, 1000);  // all dirty as of clean = 500
  const size_t dirty = s.bytes();
  const size_t budget = dirty / 2;
  s.EvictIfNeeded(budget, 500);
  EXPECT_EQ(s.bytes(), dirty);  // nothing could go
  add(100, 105, 10);            // clean entries, less than a quarter of the budget
  s.EvictIfNeeded(budget, 500);
  EXPECT_NE(s.Find(0, keys[100]), nullptr);  // not looked for: nothing was applied since
  s.Find(0, keys[100])->referenced = false;
  s.EvictIfNeeded(budget, 501);  // applied moved: the clean ones go
  size_t clean_left = 0;
  for (size_t i = 100; i < 105; ++i) clean_left += s.Find(0, keys[i]) != nullptr;
  EXPECT_EQ(clean_left, 0u);
  EXPECT_EQ(s.Find(0, keys[0])->lsn, 1000u);  // the dirty ones stay
  // Barren again at 501; growth past a quarter of the budget scans again.
  s.EvictIfNeeded(budget, 501);
  add(105, 200, 10);
  s.EvictIfNeeded(budget, 501);
  clean_left = 0;
  for (size_t i = 105; i < 200; ++i) clean_left += s.Find(0, keys[i]) != nullptr;
  EXPECT_LT(clean_left, 95u);
}

// ShardSet locks each shard once, whatever the order and repetition of the keys, and threads
// locking overlapping sets in different orders do not deadlock.
TEST(KeyTableTest, ShardSetsLockInIndexOrder) {
  KeyTable table;
  {
    const size_t ids[] = {9, 2, 9, 40, 2};
    KeyTable::ShardSet set(&table, ids, /*lock=*/true);
    ASSERT_EQ(set.shards().size(), 3u);
    EXPECT_EQ(set.shards()[0], 2u);
    EXPECT_EQ(set.shards()[1], 9u);
    EXPECT_EQ(set.shards()[2], 40u);
  }
  std::vector<std::thread> threads;
  int counter = 0;  // guarded by shard 1, which every set includes
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&table, &counter, t] {
      for (int i = 0; i < 2000; ++i) {
        const size_t ids[] = {static_cast<size_t>((t * 7 + i) % 64), 1,
                              static_cast<size_t>(63 - i % 64)};
        KeyTable::ShardSet set(&table, ids, /*lock=*/true);
        ++counter;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter, 8000);
  KeyTable::AllShards all(&table);
  EXPECT_EQ(table.bytes(/*locked=*/true), 0u);
  all.Release();
  EXPECT_EQ(table.bytes(/*locked=*/false), 0u);
}

// Complete: set by the keyspace, kept while only entries known absent are dropped, ended by
// dropping one whose key the store may hold, set again by Clear (a FLUSH).
TEST(KeyTableTest, CompleteEndsWhenAnEntryTheStoreMayHoldIsDropped) {
  KeyTable table;
  const auto keys = KeysOfShard(3, 4);
  KeyTable::Shard& s = table.shard(3);
  MutexLock l(&s.mu);
  EXPECT_FALSE(s.complete(0));
  s.set_complete(0);
  s.set_complete(1);
  KeyTable::Entry* absent = s.Add(0, keys[0], {});  // a deleted key: known absent
  absent->lsn = 1;
  KeyTable::Entry* unknown = s.Add(0, keys[1], {});
  unknown->known = false;  // a blind write's miss
  KeyTable::Entry* present = s.Add(1, keys[2], {});
  s.Put(*present, "v", 0);
  present->lsn = 1;
  present->referenced = false;
  s.Erase(0, keys[0]);
  EXPECT_TRUE(s.complete(0));
  s.Erase(0, keys[1]);
  EXPECT_FALSE(s.complete(0));
  absent = s.Add(1, keys[3], {});
  absent->referenced = false;
  EXPECT_TRUE(s.complete(1));
  s.EvictIfNeeded(1, 10);  // both entries of db 1 go; one was present
  EXPECT_EQ(s.Find(1, keys[2]), nullptr);
  EXPECT_FALSE(s.complete(1));
  s.Clear(0);
  EXPECT_TRUE(s.complete(0));
}

}  // namespace
}  // namespace tally
