#include "tally/storage/key_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace tally {
namespace {

// The order RocksDB sees: the data key is the database byte, then the key.
std::string RocksKey(const Record& r) { return std::string(1, static_cast<char>(r.db)) + r.key; }

std::vector<std::string> SortedRocksKeys(const std::vector<Record>& records,
                                         const std::vector<uint32_t>& order) {
  std::vector<std::string> out;
  for (uint32_t i : order) out.push_back(RocksKey(records[i]));
  return out;
}

void ExpectSortedLikeRocksDb(const std::vector<Record>& records) {
  std::vector<uint32_t> order(records.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  SortByKey(records, &order);
  std::vector<uint32_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint32_t> all(records.size());
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all) << "every index once";
  std::vector<std::string> got = SortedRocksKeys(records, order);
  std::vector<std::string> want = got;
  std::sort(want.begin(), want.end(), [](const std::string& a, const std::string& b) {
    return a.compare(b) < 0;  // bytewise, unsigned: RocksDB's comparator
  });
  EXPECT_EQ(got, want);
}

Record Put(DbIndex db, std::string key) {
  Record r;
  r.kind = Record::Kind::kPut;
  r.db = db;
  r.key = std::move(key);
  return r;
}

TEST(KeyOrder, SharedPrefixesTiesAndHighBytesSortBytewise) {
  std::vector<Record> records;
  // One shared prefix longer than the seven bytes the sort keeps, keys that differ only past
  // them, a key that is a prefix of another, embedded NULs and bytes >= 0x80 (unsigned order).
  const std::string p = "user:0000000000:";
  for (const std::string& tail : std::vector<std::string>{
           "a", "ab", "abcdefghij", "abcdefghik", "abcdefgh", "", std::string("a\0b", 3),
           std::string("a\0", 2), "\xff", "\x80z", "A", "a"})
    records.push_back(Put(0, p + tail));
  records.push_back(Put(1, p + "a"));  // the same key in another database sorts after all of db 0
  records.push_back(Put(0, "u"));      // shorter than the others' shared prefix
  ExpectSortedLikeRocksDb(records);
}

TEST(KeyOrder, RandomKeysOverSeveralDatabases) {
  std::mt19937 rng(42);
  std::vector<Record> records;
  for (int i = 0; i < 5000; ++i) {
    std::string key = (i % 3 == 0) ? "key:00000" : "k";
    const int len = static_cast<int>(rng() % 12);
    for (int j = 0; j < len; ++j) key.push_back(static_cast<char>(rng() % 4 == 0 ? 0xC3 : rng()));
    records.push_back(Put(static_cast<DbIndex>(rng() % 3), key));
  }
  ExpectSortedLikeRocksDb(records);
  records.resize(1);
  ExpectSortedLikeRocksDb(records);
}

}  // namespace
}  // namespace tally
