#include "tally/storage/key_table.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <new>

namespace tally {
namespace {
constexpr size_t kEntryOverhead = 80;  // node, hash slot, Entry fields: an estimate
constexpr size_t kEvictScanLimit = 4096;

// What a node counts against the shard's budget.
template <typename Node>
size_t Footprint(const Node& n) {
  return n.key_size + n.entry.data.size() + kEntryOverhead;
}
}  // namespace

// The hash is re-mixed: ShardOf() takes the same std::hash modulo 64, so within a shard its low
// bits are all alike, and the Swiss table's 7-bit tags come from the low bits (without the mix
// nearly every probe matched a tag and compared keys).
size_t KeyTable::Shard::Hash::operator()(std::string_view s) const {
  uint64_t h = std::hash<std::string_view>{}(s);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

KeyTable::Shard::Node* KeyTable::Shard::NewNode(std::string_view key, Entry e) {
  void* p = ::operator new(sizeof(Node) + key.size());
  Node* n = new (p) Node{std::move(e), static_cast<uint32_t>(key.size())};
  std::copy(key.begin(), key.end(), reinterpret_cast<char*>(n + 1));
  return n;
}

void KeyTable::Shard::FreeNode(Node* n) {
  n->~Node();
  ::operator delete(n);
}

KeyTable::Shard::~Shard() NO_THREAD_SAFETY_ANALYSIS {  // nobody else can hold it any more
  for (Map& map : dbs_) {
    for (Node* n : map) FreeNode(n);
  }
}

void KeyTable::Shard::EraseAt(Map& map, Map::iterator it) {
  Node* n = *it;
  bytes_ -= Footprint(*n);
  map.erase(it);
  FreeNode(n);
}

KeyTable::Entry* KeyTable::Shard::Find(DbIndex db, std::string_view key) {
  auto& map = dbs_[db];
  auto it = map.find(key);
  if (it == map.end()) return nullptr;
  (*it)->entry.referenced = true;
  return &(*it)->entry;
}

bool KeyTable::Shard::Eq::Prefetch(const Node* n) {
  // The entry, then the key behind it (a node is about two cache lines); for writing, as a
  // lookup marks the entry referenced.
  __builtin_prefetch(n, 1);
  __builtin_prefetch(reinterpret_cast<const char*>(n) + 64, 1);
  return false;
}

bool KeyTable::Shard::PrefetchSlots(DbIndex db, std::string_view key) const {
  const Map& map = dbs_[db];
  if (map.size() < kPrefetchMinEntries) return false;
  map.prefetch(Prefetching{key});
  return true;
}

void KeyTable::Shard::PrefetchNode(DbIndex db, std::string_view key) const {
  (void)dbs_[db].find(Prefetching{key});
}

size_t KeyTable::Prefetch(DbIndex db, std::span<const std::string_view> keys) {
  keys = keys.first(std::min<size_t>(keys.size(), 64));
  uint64_t wanted = 0;  // bit i: key i's slots were prefetched, its node comes next
  for (size_t i = 0; i < keys.size(); ++i) {
    Shard& s = shard_of(keys[i]);
    if (!s.mu.TryLock()) continue;
    if (s.PrefetchSlots(db, keys[i])) wanted |= uint64_t{1} << i;
    s.mu.Unlock();
  }
  const size_t hinted = static_cast<size_t>(std::popcount(wanted));
  for (size_t i = 0; wanted != 0 && i < keys.size(); ++i) {
    if (!(wanted & (uint64_t{1} << i))) continue;
    Shard& s = shard_of(keys[i]);
    if (!s.mu.TryLock()) continue;
    s.PrefetchNode(db, keys[i]);
    s.mu.Unlock();
  }
  return hinted;
}

KeyTable::Entry* KeyTable::Shard::Add(DbIndex db, std::string_view key, Entry e) {
  Node* n = NewNode(key, std::move(e));
  bytes_ += Footprint(*n);
  dbs_[db].insert(n);
  return &n->entry;
}

KeyTable::Entry* KeyTable::Shard::FindOrAdd(DbIndex db, std::string_view key) {
  Node* added = nullptr;
  auto it = dbs_[db].lazy_emplace(key, [&](const auto& construct) {  // one probe
    construct(added = NewNode(key, Entry{}));
  });
  if (added != nullptr) bytes_ += Footprint(*added);
  (*it)->entry.referenced = true;
  return &(*it)->entry;
}

void KeyTable::Shard::Erase(DbIndex db, std::string_view key) {
  auto& map = dbs_[db];
  auto it = map.find(key);
  if (it == map.end()) return;
  Dropping(db, (*it)->entry);
  EraseAt(map, it);
}

void KeyTable::Shard::Put(Entry& e, std::string data, int64_t expire_at_ms, ValueType type) {
  bytes_ += data.size();
  bytes_ -= e.data.size();
  e.data = std::move(data);
  e.expire_at_ms = expire_at_ms;
  e.type = type;
  e.present = true;
}

void KeyTable::Shard::MarkAbsent(Entry& e) {
  bytes_ -= e.data.size();
  e.data.clear();
  e.data.shrink_to_fit();
  e.expire_at_ms = 0;
  e.type = ValueType::kString;
  e.present = false;
}

void KeyTable::Shard::Clear(DbIndex db) {
  for (Node* n : dbs_[db]) {
    bytes_ -= Footprint(*n);
    FreeNode(n);
  }
  dbs_[db].clear();
  complete_[db] = true;
}

void KeyTable::Shard::EvictIfNeeded(size_t budget, Lsn clean) {
  if (bytes_ <= budget) return;
  // The last scan found nothing but dirty or pinned entries, nothing has been applied since
  // and the shard has not grown by a quarter of its budget: another would find the same. (When
  // the writes waiting to be applied outgrow the budget, every insert paid a fruitless scan of
  // 4,096 entries: SET -P 16 with table-max-memory 16mb, 6.0 against 4.8 us/req.)
  if (barren_ && clean == barren_clean_ && bytes_ < barren_bytes_ + budget / 4) return;
  // CLOCK over each database's entries in table order: clear the referenced bit, evict clean
  // unreferenced entries.
  const size_t target = budget * 9 / 10;
  size_t scanned = 0;
  size_t candidates = 0;  // clean and unpinned, referenced or not
  while (bytes_ > target && scanned < kEvictScanLimit) {
    auto& map = dbs_[hand_db_];
    auto it = hand_key_.empty() ? map.end() : map.find(hand_key_);
    if (it == map.end()) it = map.begin();  // new database, or the hand's key is gone
    while (it != map.end() && bytes_ > target && scanned < kEvictScanLimit) {
      ++scanned;
      Entry& e = (*it)->entry;
      if (e.lsn > clean || e.pins > 0) {  // dirty, or WATCHed
        ++it;
        continue;
      }
      ++candidates;
      if (e.referenced) {
        e.referenced = false;
        ++it;
      } else {
        Dropping(static_cast<DbIndex>(hand_db_), e);
        EraseAt(map, it++);  // erasing leaves other iterators valid
      }
    }
    if (it == map.end()) {
      hand_db_ = (hand_db_ + 1) % dbs_.size();
      hand_key_.clear();
      ++scanned;
    } else {
      hand_key_ = (*it)->key();
    }
  }
  barren_ = candidates == 0;
  barren_clean_ = clean;
  barren_bytes_ = bytes_;
}

KeyTable::KeyTable() {
  for (auto& s : shards_) {
    s = std::make_unique<Shard>();
    MutexLock l(&s->mu);
    s->dbs_.resize(kDbSlots);  // user databases and the system ones (types.h)
    s->complete_.assign(kDbSlots, false);
  }
}

size_t KeyTable::ShardOf(std::string_view key) {
  return std::hash<std::string_view>{}(key) % kShards;
}

// The analysis cannot follow a set of locks chosen at run time; callers say which shards they
// hold with Mutex::AssertHeld().
KeyTable::ShardSet::ShardSet(KeyTable* table, std::span<const size_t> shard_ids,
                             bool lock) NO_THREAD_SAFETY_ANALYSIS : table_(table),
                                                                    order_buf_(shard_ids.size()),
                                                                    locked_(lock) {
  std::copy(shard_ids.begin(), shard_ids.end(), order_buf_.begin());
  std::sort(order_buf_.begin(), order_buf_.end());
  order_ = std::span<size_t>(order_buf_.begin(), std::unique(order_buf_.begin(), order_buf_.end()));
  for (size_t i = 0; locked_ && i < order_.size(); ++i) table_->shard(order_[i]).mu.Lock();
}

KeyTable::ShardSet::~ShardSet() NO_THREAD_SAFETY_ANALYSIS {
  for (size_t i = order_.size(); locked_ && i > 0; --i) table_->shard(order_[i - 1]).mu.Unlock();
}

KeyTable::AllShards::AllShards(KeyTable* table) NO_THREAD_SAFETY_ANALYSIS : table_(table) {
  for (auto& s : table_->shards_) s->mu.Lock();
}

void KeyTable::AllShards::Release() NO_THREAD_SAFETY_ANALYSIS {
  if (!held_) return;
  held_ = false;
  for (size_t i = kShards; i > 0; --i) table_->shards_[i - 1]->mu.Unlock();
}

size_t KeyTable::bytes(bool locked) const {
  size_t total = 0;
  for (auto& s : shards_) {
    if (locked) {
      s->mu.AssertHeld();  // the caller's AllShards
      total += s->bytes();
    } else {
      MutexLock l(&s->mu);
      total += s->bytes();
    }
  }
  return total;
}

}  // namespace tally
