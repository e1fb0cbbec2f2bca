// The keyspace's core: shards, lookup (with lazy expiry and store misses), the generic Update,
// counts and eviction. The Redis semantics built on Update are in keyspace_strings.cc.
#include "tally/storage/keyspace.h"

#include <absl/container/node_hash_map.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>

#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"
#include "tally/util/inline_buffer.h"

namespace tally {
namespace {

constexpr size_t kShards = 64;
constexpr size_t kInlineKeys = 4;  // Update()'s scratch space for this many keys is inline

// Transparent hash and equality, so that lookups by string_view build no std::string. The hash
// is re-mixed: ShardOf() takes the same std::hash modulo 64, so within a shard its low bits are
// all alike, and the Swiss table's 7-bit tags come from the low bits (without the mix nearly
// every probe matched a tag and compared keys).
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    uint64_t h = std::hash<std::string_view>{}(s);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
  }
};
struct KeyEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
constexpr size_t kEntryOverhead = 80;  // node, hash slot, Entry fields: an estimate

}  // namespace

// The key's value and expiry (a Value, which Update() hands to its function as it is), and
// the table's bookkeeping.
struct Keyspace::Entry : Value {
  Lsn lsn = 0;  // the last record for this key; 0 if loaded from the store
  bool present = false;
  bool known = true;  // false: not looked up (a blind write's miss), present says nothing
  bool referenced = true;
  uint32_t pins = 0;  // WATCHes: a pinned entry is never evicted
};

namespace {
// The AtomicScope the calling thread is in, if any.
thread_local Keyspace::AtomicScope* tls_scope = nullptr;
}  // namespace

struct Keyspace::Shard {
  std::mutex mu;
  // absl's node map: Swiss-table lookups (a miss is usually answered by one group of control
  // bytes, no division), with entries that stay put, as Update() keeps pointers to them.
  std::vector<absl::node_hash_map<std::string, Entry, KeyHash, KeyEq>> dbs;
  size_t bytes = 0;
  // The CLOCK hand: a database and the key it stopped at (an iterator would not survive a
  // rehash).
  size_t hand_db = 0;
  std::string hand_key;
};

Keyspace::Keyspace(Store* store, CommitLog* log, KeyspaceOptions options)
    : store_(store), log_(log), options_(options) {
  for (size_t i = 0; i < kShards; ++i) {
    auto s = std::make_unique<Shard>();
    s->dbs.resize(kDbSlots);  // user databases and the system ones (types.h)
    shards_.push_back(std::move(s));
  }
  flush_lsn_.reset(new std::atomic<Lsn>[kDbSlots]);
  flush_epoch_.reset(new std::atomic<uint64_t>[kDbSlots]);
  for (int db = 0; db < kDbSlots; ++db) {
    flush_lsn_[db] = 0;
    flush_epoch_[db] = 0;
  }
}

Keyspace::~Keyspace() = default;

Keyspace::AtomicScope* Keyspace::CurrentScope() const {
  return tls_scope != nullptr && tls_scope->keyspace_ == this ? tls_scope : nullptr;
}

size_t Keyspace::ShardOf(std::string_view key) const {
  return std::hash<std::string_view>{}(key) % kShards;
}

std::vector<KeyCounts> Keyspace::AllCounts() {
  // Within a scope every other writer waits for its locks, so last_lsn() is stable.
  (void)log_->WaitApplied(log_->last_lsn());
  std::vector<KeyCounts> counts = store_->counts();
  counts.resize(options_.databases);
  if (AtomicScope* scope = CurrentScope()) {
    for (const Record& r : scope->records_)  // never blind (see Update)
      AddToCounts(r, CountDelta{r.keys_delta, r.expires_delta}, &counts);
  }
  return counts;
}

size_t Keyspace::table_bytes() const {
  size_t total = 0;
  const bool locked = CurrentScope() != nullptr;
  for (const auto& s : shards_) {
    std::unique_lock<std::mutex> l(s->mu, std::defer_lock);
    if (!locked) l.lock();
    total += s->bytes;
  }
  return total;
}

void Keyspace::MarkAbsent(Shard& shard, Entry& e) {
  shard.bytes -= e.data.size();
  e.data.clear();
  e.data.shrink_to_fit();
  e.expire_at_ms = 0;
  e.present = false;
}

StatusOr<Keyspace::Entry*> Keyspace::Lookup(Shard& shard, DbIndex db, std::string_view key,
                                            int64_t now, Lsn* barrier, std::vector<Record>* records,
                                            Entry* absent, Access access) {
  auto& map = shard.dbs[db];
  auto it = map.find(key);
  if (it == map.end()) {
    Entry e;
    Lsn flush = flush_lsn_[db].load(std::memory_order_acquire);
    if (flush != 0 && flush > log_->applied_lsn()) {
      // The store still holds keys a pending FLUSH removes: the key is absent, as of the flush
      // (whose LSN a transaction still collecting its records does not know yet).
      e.lsn = flush == std::numeric_limits<Lsn>::max() ? 0 : flush;
    } else if (access == Access::kBlind) {
      e.known = false;
    } else {
      auto stored = store_->Get(db, key);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) {
        auto decoded = DecodeValue(**stored);
        if (!decoded.ok()) return decoded.status();
        e.present = true;
        e.data.assign(decoded->payload);
        e.expire_at_ms = decoded->expire_at_ms;
      }
    }
    if (!e.present && absent != nullptr) {
      // Nowhere: nothing to cache (a GET of a missing key would fill the table with entries
      // that push real ones out). Update() adds the entry if it writes the key.
      *absent = std::move(e);
      *barrier = std::max(*barrier, absent->lsn);
      return absent;
    }
    shard.bytes += key.size() + e.data.size() + kEntryOverhead;
    it = map.emplace(std::string(key), std::move(e)).first;
  }
  Entry& e = it->second;
  e.referenced = true;
  if (e.present && e.expire_at_ms != 0 && e.expire_at_ms <= now && log_->healthy()) {
    // Lazy expiry: the key is deleted on access, durably, like any other delete.
    Record r;
    r.kind = Record::Kind::kDelete;
    r.db = db;
    r.key.assign(key);
    r.keys_delta = -1;
    r.expires_delta = -1;
    records->push_back(std::move(r));
    MarkAbsent(shard, e);
    expired_keys_.fetch_add(1, std::memory_order_relaxed);
  }
  *barrier = std::max(*barrier, e.lsn);
  return &e;
}

StatusOr<Lsn> Keyspace::Update(DbIndex db, std::span<const std::string_view> keys, UpdateFn fn,
                               Access access) {
  InlineBuffer<KeyRef, kInlineKeys> refs(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) refs[i] = KeyRef{db, keys[i]};
  return Update(refs.span(), fn, access);
}

// Locks the shards of an update's keys in index order (no deadlock between multi-key
// operations), unless the thread's AtomicScope holds them all already.
class Keyspace::ShardLocks {
 public:
  ShardLocks(Keyspace* ks, std::span<const size_t> shard_ids, bool lock)
      : order_buf_(shard_ids.size()), locks_(shard_ids.size()) {
    std::copy(shard_ids.begin(), shard_ids.end(), order_buf_.begin());
    std::sort(order_buf_.begin(), order_buf_.end());
    order_ =
        std::span<size_t>(order_buf_.begin(), std::unique(order_buf_.begin(), order_buf_.end()));
    for (size_t i = 0; lock && i < order_.size(); ++i)
      locks_[i] = std::unique_lock<std::mutex>(ks->shards_[order_[i]]->mu);
  }
  std::span<const size_t> shards() const { return order_; }

 private:
  InlineBuffer<size_t, kInlineKeys> order_buf_;
  std::span<size_t> order_;
  InlineBuffer<std::unique_lock<std::mutex>, kInlineKeys> locks_;
};

Record Keyspace::Write(Shard& shard, Entry& e, const KeyRef& k, Mutation& m) {
  Record r;
  r.db = k.db;
  r.key.assign(k.key);
  const int8_t had_expire = (e.present && e.expire_at_ms != 0) ? 1 : 0;
  if (m.op == Mutation::Op::kPut) {
    const int8_t has_expire = m.expire_at_ms != 0 ? 1 : 0;
    r.kind = Record::Kind::kPut;
    r.keys_delta = !e.known ? Record::kUnknown : e.present ? 0 : 1;
    r.expires_delta = e.known ? static_cast<int8_t>(has_expire - had_expire) : has_expire;
    EncodeValue(m.data, m.expire_at_ms, &r.value);
    shard.bytes += m.data.size();
    shard.bytes -= e.data.size();
    e.data = std::move(m.data);
    e.expire_at_ms = m.expire_at_ms;
    e.present = true;
  } else {
    r.kind = Record::Kind::kDelete;
    r.keys_delta = e.known ? -1 : Record::kUnknown;
    r.expires_delta = e.known ? static_cast<int8_t>(-had_expire) : 0;
    MarkAbsent(shard, e);
  }
  e.known = true;
  return r;
}

void Keyspace::AddHistory(const KeyRef& k, const Entry& e, int64_t now,
                          std::vector<Record>* records) const {
  if (!options_.history || k.db >= kFirstSystemDb) return;
  std::shared_ptr<const HistorySettings> s = options_.history->For(k.key);
  if (!s) return;
  // Samples never pass through the table: a blind put whose key counts the apply path
  // resolves. Records of one key are appended in order, so the last in an interval wins.
  const int64_t at = now - now % s->resolution_ms;
  Record r;
  r.kind = Record::Kind::kPut;
  r.db = kHistoryDb;
  r.key = HistoryKey(k.db, k.key, at);
  r.keys_delta = Record::kUnknown;
  r.expires_delta = 1;
  EncodeValue(HistorySample(e.present ? &e.data : nullptr), at + s->retention_ms, &r.value);
  records->push_back(std::move(r));
}

void Keyspace::DropUnknown(Shard& shard, DbIndex db, std::string_view key) {
  auto& map = shard.dbs[db];
  auto it = map.find(key);
  if (it == map.end() || it->second.known) return;
  shard.bytes -= it->first.size() + kEntryOverhead;
  map.erase(it);
}

StatusOr<Lsn> Keyspace::Update(std::span<const KeyRef> keys, UpdateFn fn, Access access) {
  // Scratch space lives on the stack for commands of up to kInlineKeys keys.
  const size_t n = keys.size();
  AtomicScope* scope = CurrentScope();
  if (scope != nullptr) access = Access::kRead;  // the scope's counts need known deltas
  InlineBuffer<size_t, kInlineKeys> shard_ids(n);
  for (size_t i = 0; i < n; ++i) shard_ids[i] = ShardOf(keys[i].key);
  ShardLocks locks(this, shard_ids.span(), /*lock=*/scope == nullptr);

  const int64_t now = NowMs();
  Lsn barrier = 0;
  std::vector<Record> records;
  InlineBuffer<Entry*, kInlineKeys> entries(n);
  // Keys found nowhere get a stand-in entry here instead of one in the table (for a few keys:
  // a key named twice must find the same stand-in, which is a scan over the earlier keys).
  Entry absent[kInlineKeys];
  const bool use_absent = n <= kInlineKeys;
  auto is_absent = [&](const Entry* e) { return e >= absent && e < absent + kInlineKeys; };
  // Entries of unknown state that no record wrote leave the table again (blind updates only).
  auto drop_unknown = [&](size_t looked_up) {
    for (size_t i = 0; access == Access::kBlind && i < looked_up; ++i)
      if (!is_absent(entries[i])) DropUnknown(*shards_[shard_ids[i]], keys[i].db, keys[i].key);
  };
  Status st;
  size_t looked_up = 0;
  for (; looked_up < n && st.ok(); ++looked_up) {
    const size_t i = looked_up;
    Entry* same = nullptr;
    for (size_t j = 0; use_absent && j < i; ++j) {
      if (is_absent(entries[j]) && keys[j].db == keys[i].db && keys[j].key == keys[i].key)
        same = entries[j];
    }
    auto e = same != nullptr
                 ? same
                 : Lookup(*shards_[shard_ids[i]], keys[i].db, keys[i].key, now, &barrier, &records,
                          use_absent ? &absent[i] : nullptr, access);
    if (!e.ok()) st = e.status();
    entries[i] = e.ok() ? *e : nullptr;
  }
  if (!st.ok()) {
    drop_unknown(looked_up - 1);
    return st;
  }
  // fn reads the entries themselves (a key named twice is one entry): nothing changes them
  // until it has returned.
  InlineBuffer<const Value*, kInlineKeys> current(n);
  for (size_t i = 0; i < n; ++i) {
    const Entry& e = *entries[i];
    // An expired key that could not be deleted (the log has failed) is still invisible.
    if (e.present && (e.expire_at_ms == 0 || e.expire_at_ms > now)) current[i] = &e;
  }
  EventSink* const sink = events_.load(std::memory_order_acquire);
  std::vector<KeyEvent> events;
  if (sink != nullptr && !records.empty() && sink->wants_expired()) {
    // So far the only records are lookups' lazy-expiry deletes.
    for (const Record& r : records)
      if (r.db < kFirstSystemDb) events.push_back(ExpiredEvent(r.db, r.key, now));
  }
  InlineBuffer<Mutation, kInlineKeys> mutations(n);
  st = fn(current.span(), mutations.span());
  const bool writes = st.ok() && std::any_of(mutations.begin(), mutations.end(),
                                             [](auto& m) { return m.op != Mutation::Op::kKeep; });
  if (writes && !log_->healthy()) st = log_->failure();
  const bool changes = sink != nullptr && sink->wants_changes();
  const bool collect = sink != nullptr && (changes || !alerts_.empty());
  for (size_t i = 0; writes && st.ok() && i < n; ++i) {
    Mutation& m = mutations[i];
    Shard& shard = *shards_[shard_ids[i]];
    Entry* e = entries[i];
    if (m.op == Mutation::Op::kKeep || (m.op == Mutation::Op::kDelete && e->known && !e->present))
      continue;
    if (is_absent(e)) {
      // The first write of a key found nowhere: now it gets its table entry.
      auto& map = shard.dbs[keys[i].db];
      Entry* real = &map.emplace(std::string(keys[i].key), std::move(*e)).first->second;
      shard.bytes += keys[i].key.size() + kEntryOverhead;
      for (auto& p : entries) {
        if (p == e) p = real;
      }
    }
    std::optional<std::string> before;
    if (collect && current[i] != nullptr) before = current[i]->data;
    records.push_back(Write(shard, *entries[i], keys[i], m));
    AddHistory(keys[i], *entries[i], now, &records);
    if (collect && keys[i].db < kFirstSystemDb) {
      const Entry& after = *entries[i];
      CollectEvents(alerts_, changes, keys[i].db, keys[i].key, before ? &*before : nullptr,
                    after.present ? &after.data : nullptr, now, &events);
    }
  }
  if (scope != nullptr) {
    // Inside a transaction: the scope appends everything at once and marks the entries then.
    for (auto& r : records) scope->records_.push_back(std::move(r));
    for (auto& e : events) scope->events_.push_back(std::move(e));
    scope->observed_ = std::max(scope->observed_, barrier);
    if (!st.ok()) return st;
    return barrier;
  }
  if (!records.empty()) {
    // Lazy-expiry deletes are appended even when fn failed: they already changed the table.
    Lsn lsn = log_->Append(std::move(records));
    for (size_t i = 0; i < n; ++i) entries[i]->lsn = std::max(entries[i]->lsn, lsn);
    if (!events.empty()) sink->OnEvents(std::move(events), lsn);
    // Only the entries that changed need the new LSN, but marking all of this group's entries
    // is harmless: it only makes a later reader wait for this (imminent) group too.
    barrier = std::max(barrier, lsn);
  }
  drop_unknown(n);
  for (size_t id : locks.shards()) EvictIfNeeded(*shards_[id]);
  if (!st.ok()) return st;
  return barrier;
}

void Keyspace::EvictIfNeeded(Shard& shard) {
  const size_t budget = options_.table_max_memory / kShards;
  if (shard.bytes <= budget) return;
  // An entry may go once RocksDB has it (a reload finds it there) and the reply of any reader
  // that reloads it (and so waits for nothing) reveals nothing unacknowledged.
  const Lsn clean = std::min(log_->ack_lsn(), log_->applied_lsn());
  // CLOCK over each database's entries in table order: clear the referenced bit, evict clean
  // unreferenced entries.
  const size_t target = budget * 9 / 10;
  size_t scanned = 0;
  while (shard.bytes > target && scanned < 4096) {
    auto& map = shard.dbs[shard.hand_db];
    auto it = shard.hand_key.empty() ? map.end() : map.find(shard.hand_key);
    if (it == map.end()) it = map.begin();  // new database, or the hand's key is gone
    while (it != map.end() && shard.bytes > target && scanned < 4096) {
      ++scanned;
      Entry& e = it->second;
      if (e.lsn > clean || e.pins > 0) {  // dirty, or WATCHed
        ++it;
      } else if (e.referenced) {
        e.referenced = false;
        ++it;
      } else {
        shard.bytes -= it->first.size() + e.data.size() + kEntryOverhead;
        map.erase(it++);  // erasing leaves other iterators valid
      }
    }
    if (it == map.end()) {
      shard.hand_db = (shard.hand_db + 1) % shard.dbs.size();
      shard.hand_key.clear();
      ++scanned;
    } else {
      shard.hand_key = it->first;
    }
  }
}

StatusOr<Lsn> Keyspace::FlushDb(DbIndex db) { return Flush(Record::Kind::kFlushDb, db, db + 1); }

StatusOr<Lsn> Keyspace::FlushAll() {
  return Flush(Record::Kind::kFlushAll, 0, static_cast<size_t>(options_.databases));
}

StatusOr<Lsn> Keyspace::Flush(Record::Kind kind, DbIndex first, size_t end) {
  if (!log_->healthy()) return log_->failure();
  AtomicScope* scope = CurrentScope();
  std::vector<std::unique_lock<std::mutex>> locks;
  if (scope == nullptr)
    for (auto& s : shards_) locks.emplace_back(s->mu);
  for (size_t db = first; db < end; ++db) {
    flush_epoch_[db].fetch_add(1);
    for (auto& s : shards_) {
      for (auto& [k, e] : s->dbs[db]) s->bytes -= k.size() + e.data.size() + kEntryOverhead;
      s->dbs[db].clear();
    }
  }
  Record r;
  r.kind = kind;
  r.db = first;
  // Inside a transaction the record is appended at Commit(), which sets the real LSN; until
  // then the store still has the old keys: hide them now.
  Lsn lsn = std::numeric_limits<Lsn>::max();
  if (scope != nullptr) {
    scope->records_.push_back(std::move(r));
  } else {
    lsn = log_->Append(std::move(r));
  }
  for (size_t db = first; db < end; ++db) flush_lsn_[db].store(lsn, std::memory_order_release);
  return scope != nullptr ? Lsn{0} : lsn;
}

Keyspace::AtomicScope::AtomicScope(Keyspace* keyspace) : keyspace_(keyspace) {
  for (auto& s : keyspace_->shards_) locks_.emplace_back(s->mu);
  tls_scope = this;
}

Keyspace::AtomicScope::~AtomicScope() {
  if (!committed_) Commit();
}

Lsn Keyspace::AtomicScope::Commit() {
  committed_ = true;
  tls_scope = nullptr;
  Lsn lsn = observed_;
  if (!records_.empty()) {
    // Mark every entry the group touched with the group's LSN, then let others in.
    std::vector<std::pair<DbIndex, std::string>> touched;
    bool flushed = false;
    for (const Record& r : records_) {
      if (r.kind == Record::Kind::kPut || r.kind == Record::Kind::kDelete) {
        touched.emplace_back(r.db, r.key);
      } else {
        flushed = true;
      }
    }
    Lsn last = keyspace_->log_->Append(std::move(records_));
    EventSink* sink = keyspace_->events_.load(std::memory_order_acquire);
    if (sink != nullptr && !events_.empty()) sink->OnEvents(std::move(events_), last);
    for (const auto& [db, key] : touched) {
      auto& map = keyspace_->shards_[keyspace_->ShardOf(key)]->dbs[db];
      auto it = map.find(key);
      if (it != map.end()) it->second.lsn = std::max(it->second.lsn, last);
    }
    if (flushed) {
      for (int db = 0; db < keyspace_->options_.databases; ++db) {
        if (keyspace_->flush_lsn_[db].load() == std::numeric_limits<Lsn>::max())
          keyspace_->flush_lsn_[db].store(last, std::memory_order_release);
      }
    }
    lsn = std::max(lsn, last);
  }
  locks_.clear();
  return lsn;
}

StatusOr<Keyspace::WatchToken> Keyspace::Watch(DbIndex db, std::string_view key) {
  Shard& shard = *shards_[ShardOf(key)];
  std::lock_guard<std::mutex> l(shard.mu);
  Lsn barrier = 0;
  std::vector<Record> records;
  auto e = Lookup(shard, db, key, NowMs(), &barrier, &records);
  if (!e.ok()) return e.status();
  if (!records.empty()) (*e)->lsn = log_->Append(std::move(records));  // lazily expired
  (*e)->pins++;
  return WatchToken{db, std::string(key), (*e)->lsn, flush_epoch_[db].load()};
}

bool Keyspace::Changed(const WatchToken& token) {
  if (flush_epoch_[token.db].load() != token.flush_epoch) return true;
  auto& map = shards_[ShardOf(token.key)]->dbs[token.db];
  auto it = map.find(token.key);
  if (it == map.end()) return true;
  const Entry& e = it->second;
  // A key that expired since WATCH counts as changed, as in Redis.
  bool expired = e.present && e.expire_at_ms != 0 && e.expire_at_ms <= NowMs();
  return e.lsn != token.lsn || expired;
}

void Keyspace::Unwatch(const WatchToken& token) {
  Shard& shard = *shards_[ShardOf(token.key)];
  std::unique_lock<std::mutex> l(shard.mu, std::defer_lock);
  if (CurrentScope() == nullptr) l.lock();
  auto it = shard.dbs[token.db].find(token.key);
  if (it != shard.dbs[token.db].end() && it->second.pins > 0) it->second.pins--;
}

}  // namespace tally
