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
    s->dbs.resize(options_.databases);
    shards_.push_back(std::move(s));
  }
  keys_.reset(new std::atomic<int64_t>[options_.databases]);
  expires_.reset(new std::atomic<int64_t>[options_.databases]);
  flush_lsn_.reset(new std::atomic<Lsn>[options_.databases]);
  flush_epoch_.reset(new std::atomic<uint64_t>[options_.databases]);
  for (int db = 0; db < options_.databases; ++db) {
    KeyCounts c =
        db < static_cast<int>(store_->counts().size()) ? store_->counts()[db] : KeyCounts{};
    keys_[db] = c.keys;
    expires_[db] = c.expires;
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

KeyCounts Keyspace::Counts(DbIndex db) const {
  return KeyCounts{keys_[db].load(std::memory_order_relaxed),
                   expires_[db].load(std::memory_order_relaxed)};
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

void Keyspace::CountDelta(DbIndex db, int keys, int expires) {
  if (keys) keys_[db].fetch_add(keys, std::memory_order_relaxed);
  if (expires) expires_[db].fetch_add(expires, std::memory_order_relaxed);
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
                                            Entry* absent) {
  auto& map = shard.dbs[db];
  auto it = map.find(key);
  if (it == map.end()) {
    Entry e;
    Lsn flush = flush_lsn_[db].load(std::memory_order_acquire);
    if (flush != 0 && flush > log_->applied_lsn()) {
      // The store still holds keys a pending FLUSH removes: the key is absent, as of the flush
      // (whose LSN a transaction still collecting its records does not know yet).
      e.lsn = flush == std::numeric_limits<Lsn>::max() ? 0 : flush;
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
    CountDelta(db, -1, -1);
    MarkAbsent(shard, e);
    expired_keys_.fetch_add(1, std::memory_order_relaxed);
  }
  *barrier = std::max(*barrier, e.lsn);
  return &e;
}

StatusOr<Lsn> Keyspace::Update(DbIndex db, std::span<const std::string_view> keys, UpdateFn fn) {
  InlineBuffer<KeyRef, kInlineKeys> refs(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) refs[i] = KeyRef{db, keys[i]};
  return Update(refs.span(), fn);
}

StatusOr<Lsn> Keyspace::Update(std::span<const KeyRef> keys, UpdateFn fn) {
  // Scratch space lives on the stack for commands of up to kInlineKeys keys.
  const size_t n = keys.size();
  // Lock every shard involved, in index order (no deadlock between multi-key operations).
  InlineBuffer<size_t, kInlineKeys> shard_ids(n);
  for (size_t i = 0; i < n; ++i) shard_ids[i] = ShardOf(keys[i].key);
  InlineBuffer<size_t, kInlineKeys> order_buf(n);
  std::copy(shard_ids.begin(), shard_ids.end(), order_buf.begin());
  std::sort(order_buf.begin(), order_buf.end());
  const std::span<size_t> order(order_buf.begin(), std::unique(order_buf.begin(), order_buf.end()));
  AtomicScope* scope = CurrentScope();
  InlineBuffer<std::unique_lock<std::mutex>, kInlineKeys> locks(n);
  if (scope == nullptr) {
    for (size_t i = 0; i < order.size(); ++i)
      locks[i] = std::unique_lock<std::mutex>(shards_[order[i]]->mu);
  }

  const int64_t now = NowMs();
  Lsn barrier = 0;
  std::vector<Record> records;
  InlineBuffer<Entry*, kInlineKeys> entries(n);
  InlineBuffer<const Value*, kInlineKeys> current(n);
  // Keys found nowhere get a stand-in entry here instead of one in the table (for a few keys:
  // a key named twice must find the same stand-in, which is a scan over the earlier keys).
  Entry absent[kInlineKeys];
  const bool use_absent = n <= kInlineKeys;
  auto is_absent = [&](const Entry* e) { return e >= absent && e < absent + kInlineKeys; };
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyRef& k = keys[i];
    Entry* same = nullptr;
    for (size_t j = 0; use_absent && j < i; ++j) {
      if (is_absent(entries[j]) && keys[j].db == k.db && keys[j].key == k.key) same = entries[j];
    }
    if (same != nullptr) {
      entries[i] = same;
      continue;
    }
    auto e = Lookup(*shards_[shard_ids[i]], k.db, k.key, now, &barrier, &records,
                    use_absent ? &absent[i] : nullptr);
    if (!e.ok()) return e.status();
    entries[i] = *e;
  }
  // fn reads the entries themselves (a key named twice is one entry): nothing changes them
  // until it has returned.
  for (size_t i = 0; i < keys.size(); ++i) {
    const Entry& e = *entries[i];
    // An expired key that could not be deleted (the log has failed) is still invisible.
    if (e.present && (e.expire_at_ms == 0 || e.expire_at_ms > now)) current[i] = &e;
  }
  InlineBuffer<Mutation, kInlineKeys> mutations(n);
  Status st = fn(current.span(), mutations.span());
  if (st.ok()) {
    bool writes = std::any_of(mutations.begin(), mutations.end(),
                              [](const Mutation& m) { return m.op != Mutation::Op::kKeep; });
    if (writes && !log_->healthy()) st = log_->failure();
    for (size_t i = 0; writes && st.ok() && i < keys.size(); ++i) {
      Mutation& m = mutations[i];
      Shard& shard = *shards_[shard_ids[i]];
      if (m.op == Mutation::Op::kKeep || (m.op == Mutation::Op::kDelete && !entries[i]->present))
        continue;
      if (is_absent(entries[i])) {
        // The first write of a key found nowhere: now it gets its table entry.
        Entry* stand_in = entries[i];
        auto& map = shard.dbs[keys[i].db];
        Entry* real = &map.emplace(std::string(keys[i].key), std::move(*stand_in)).first->second;
        shard.bytes += keys[i].key.size() + kEntryOverhead;
        for (auto& p : entries) {
          if (p == stand_in) p = real;
        }
      }
      Entry& e = *entries[i];
      Record r;
      r.db = keys[i].db;
      r.key.assign(keys[i].key);
      const int had_expire = (e.present && e.expire_at_ms != 0) ? 1 : 0;
      if (m.op == Mutation::Op::kPut) {
        r.kind = Record::Kind::kPut;
        r.keys_delta = e.present ? 0 : 1;
        r.expires_delta = static_cast<int8_t>((m.expire_at_ms != 0 ? 1 : 0) - had_expire);
        EncodeValue(m.data, m.expire_at_ms, &r.value);
        shard.bytes += m.data.size();
        shard.bytes -= e.data.size();
        e.data = std::move(m.data);
        e.expire_at_ms = m.expire_at_ms;
        e.present = true;
      } else {
        r.kind = Record::Kind::kDelete;
        r.keys_delta = -1;
        r.expires_delta = static_cast<int8_t>(-had_expire);
        MarkAbsent(shard, e);
      }
      CountDelta(r.db, r.keys_delta, r.expires_delta);
      records.push_back(std::move(r));
    }
  }
  if (scope != nullptr) {
    // Inside a transaction: the scope appends everything at once and marks the entries then.
    for (auto& r : records) scope->records_.push_back(std::move(r));
    scope->observed_ = std::max(scope->observed_, barrier);
    if (!st.ok()) return st;
    return barrier;
  }
  if (!records.empty()) {
    // Lazy-expiry deletes are appended even when fn failed: they already changed the table.
    Lsn lsn = log_->Append(std::move(records));
    for (size_t i = 0; i < keys.size(); ++i) entries[i]->lsn = std::max(entries[i]->lsn, lsn);
    // Only the entries that changed need the new LSN, but marking all of this group's entries
    // is harmless: it only makes a later reader wait for this (imminent) group too.
    barrier = std::max(barrier, lsn);
  }
  for (size_t id : order) EvictIfNeeded(*shards_[id]);
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
    keys_[db] = 0;
    expires_[db] = 0;
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
