// The keyspace's core over its KeyTable: lookup (with lazy expiry and store misses), writes,
// counts, FLUSH, transactions and WATCH. Update() is in keyspace_update.cc, the Redis semantics
// built on it in keyspace_strings.cc and its neighbours.
#include "tally/storage/keyspace.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <thread>

#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"

namespace tally {

struct Keyspace::State {
  State(Store* s, CommitLog* l, KeyspaceOptions o)
      : store(s),
        log(l),
        options(std::move(o)),
        flush_lsn(new std::atomic<Lsn>[kDbSlots]),
        flush_epoch(new std::atomic<uint64_t>[kDbSlots]) {
    for (int db = 0; db < kDbSlots; ++db) {
      flush_lsn[db] = 0;
      flush_epoch[db] = 0;
    }
  }

  Store* const store;
  CommitLog* const log;
  const KeyspaceOptions options;
  AlertRules alerts;
  std::atomic<EventSink*> events{nullptr};
  KeyTable table;
  std::unique_ptr<std::atomic<Lsn>[]> flush_lsn;
  std::atomic<uint64_t> expired_keys{0};
  std::unique_ptr<std::atomic<uint64_t>[]> flush_epoch;
  int64_t pending_watermark = 0;
  Lsn pending_watermark_lsn = 0;
  Cursors cursors;
};

Keyspace::Keyspace(Store* store, CommitLog* log, KeyspaceOptions options)
    : Keyspace(*new State(store, log, std::move(options)), nullptr, nullptr) {
  owned_.reset(&state_);  // the root view owns the state (nothing in between can throw)
  // A user database the store holds no key of is wholly in the (empty) table: misses need not
  // read the store until an entry that may be there is dropped (KeyTable::Shard::complete).
  // System databases never are: history samples reach the store without passing the table.
  std::vector<DbIndex> empty;
  for (int db = 0; db < kFirstSystemDb; ++db) {
    if (store_->count(static_cast<DbIndex>(db)).keys == 0)
      empty.push_back(static_cast<DbIndex>(db));
  }
  for (size_t i = 0; i < KeyTable::kShards; ++i) {
    Shard& shard = table_.shard(i);
    MutexLock l(&shard.mu);
    for (DbIndex db : empty) shard.set_complete(db);
  }
}

Keyspace::Keyspace(State& state, AtomicScope* scope, CreatedKeys* created)
    : state_(state),
      store_(state.store),
      log_(state.log),
      alerts_(state.alerts),
      events_(state.events),
      options_(state.options),
      table_(state.table),
      flush_lsn_(state.flush_lsn.get()),
      expired_keys_(state.expired_keys),
      flush_epoch_(state.flush_epoch.get()),
      pending_watermark_(state.pending_watermark),
      pending_watermark_lsn_(state.pending_watermark_lsn),
      cursors_(state.cursors),
      scope_(scope),
      created_(created) {}

Keyspace::~Keyspace() = default;

std::vector<KeyCounts> Keyspace::AllCounts() {
  // Within a scope every other writer waits for its locks, so last_lsn() is stable.
  (void)log_->WaitApplied(log_->last_lsn());
  std::vector<KeyCounts> counts = store_->counts();
  counts.resize(options_.databases);
  if (scope_ != nullptr) {
    for (const Record& r : scope_->records_)  // never blind (see Update)
      AddToCounts(r, CountDelta{r.keys_delta, r.expires_delta}, &counts);
  }
  return counts;
}

size_t Keyspace::table_bytes() const {
  // A transaction's thread holds every shard already.
  return table_.bytes(/*locked=*/scope_ != nullptr);
}

StatusOr<Keyspace::Entry*> Keyspace::Lookup(Shard& shard, DbIndex db, std::string_view key,
                                            int64_t now, Lsn* barrier, std::vector<Record>* records,
                                            Entry* absent, Access access) {
  Entry* found = shard.Find(db, key);
  if (found == nullptr) {
    Entry e;
    Lsn flush = flush_lsn_[db].load(std::memory_order_acquire);
    if (flush != 0 && flush > log_->applied_lsn()) {
      // The store still holds keys a pending FLUSH removes: the key is absent, as of the flush
      // (whose LSN a transaction still collecting its records does not know yet).
      e.lsn = flush == std::numeric_limits<Lsn>::max() ? 0 : flush;
    } else if (shard.complete(db)) {
      // Every key of the store in this shard is in the table: absent, known without a read.
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
        e.type = decoded->type;
      }
    }
    if (!e.present && absent != nullptr) {
      // Nowhere: nothing to cache (a GET of a missing key would fill the table with entries
      // that push real ones out). Update() adds the entry if it writes the key.
      *absent = std::move(e);
      *barrier = std::max(*barrier, absent->lsn);
      return absent;
    }
    found = shard.Add(db, key, std::move(e));
  }
  Entry& e = *found;
  if (e.present && e.expire_at_ms != 0 && e.expire_at_ms <= now && log_->healthy()) {
    // Lazy expiry: the key is deleted on access, durably, like any other delete.
    Record r;
    r.kind = Record::Kind::kDelete;
    r.db = db;
    r.key.assign(key);
    r.keys_delta = -1;
    r.expires_delta = -1;
    records->push_back(std::move(r));
    shard.MarkAbsent(e);
    expired_keys_.fetch_add(1, std::memory_order_relaxed);
  }
  *barrier = std::max(*barrier, e.lsn);
  return &e;
}

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
    EncodeValue(m.type, m.data, m.expire_at_ms, &r.value);
    shard.Put(e, std::move(m.data), m.expire_at_ms, m.type);
  } else {
    r.kind = Record::Kind::kDelete;
    r.keys_delta = e.known ? -1 : Record::kUnknown;
    r.expires_delta = e.known ? static_cast<int8_t>(-had_expire) : 0;
    shard.MarkAbsent(e);
  }
  e.known = true;
  return r;
}

void Keyspace::AddHistory(const KeyRef& k, const Entry& e, int64_t now,
                          std::vector<Record>* records) const {
  // Samples are of strings (counters): a list's changes are not sampled.
  if (!options_.history || k.db >= kFirstSystemDb || (e.present && e.type != ValueType::kString))
    return;
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

void Keyspace::EvictIfNeeded(Shard& shard) {
  // An entry may go once RocksDB has it (a reload finds it there) and the reply of any reader
  // that reloads it (and so waits for nothing) reveals nothing unacknowledged.
  shard.EvictIfNeeded(options_.table_max_memory / KeyTable::kShards,
                      std::min(log_->ack_lsn(), log_->applied_lsn()));
}

StatusOr<Lsn> Keyspace::FlushDb(DbIndex db) { return Flush(Record::Kind::kFlushDb, db, db + 1); }

StatusOr<Lsn> Keyspace::FlushAll() {
  return Flush(Record::Kind::kFlushAll, 0, static_cast<size_t>(options_.databases));
}

StatusOr<Lsn> Keyspace::Flush(Record::Kind kind, DbIndex first, size_t end) {
  if (!log_->healthy()) return log_->failure();
  AtomicScope* const scope = scope_;
  std::optional<KeyTable::AllShards> locks;
  if (scope == nullptr) locks.emplace(&table_);
  ClearDbs(first, end);
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

void Keyspace::ClearDbs(DbIndex first, size_t end) {
  for (size_t db = first; db < end; ++db) {
    flush_epoch_[db].fetch_add(1);
    for (size_t i = 0; i < KeyTable::kShards; ++i) {
      Shard& shard = table_.shard(i);
      shard.mu.AssertHeld();  // the caller holds every shard
      shard.Clear(static_cast<DbIndex>(db));
    }
  }
}

Status Keyspace::Replay(std::span<const std::vector<Record>> groups) {
  // Two threads, each over every record but only the keys of its half of the shards: each
  // key's records stay in order, and a flush is replayed by both (each clears its shards).
  constexpr size_t kThreads = 2;
  Status failed[kThreads];
  auto replay_part = [&](size_t part) {
    for (const std::vector<Record>& group : groups) {
      for (const Record& r : group) {
        if (Status st = ReplayRecord(r, part, kThreads); !st.ok()) {
          failed[part] = st;
          return;
        }
      }
    }
  };
  std::thread helper(replay_part, 1);
  replay_part(0);
  helper.join();
  for (size_t i = 0; i < kThreads; ++i) {
    if (!failed[i].ok()) return failed[i];
  }
  return Status::OK();
}

Status Keyspace::ReplayRecord(const Record& r, size_t part, size_t parts) {
  if (r.kind == Record::Kind::kFlushDb || r.kind == Record::Kind::kFlushAll) {
    const bool all = r.kind == Record::Kind::kFlushAll;
    const size_t first = all ? 0 : r.db;
    const size_t end = all ? static_cast<size_t>(options_.databases) : size_t{r.db} + 1u;
    for (size_t db = first; db < end; ++db) {
      if (part == 0) flush_epoch_[db].fetch_add(1);
      for (size_t i = part; i < KeyTable::kShards; i += parts) {
        Shard& shard = table_.shard(i);
        MutexLock l(&shard.mu);
        shard.Clear(static_cast<DbIndex>(db));
      }
      flush_lsn_[db].store(r.lsn, std::memory_order_release);
    }
    return Status::OK();
  }
  if (r.kind != Record::Kind::kPut && r.kind != Record::Kind::kDelete) return Status::OK();
  if (r.db == kHistoryDb) return Status::OK();  // samples never pass through the table
  const size_t index = KeyTable::ShardOf(r.key);
  if (index % parts != part) return Status::OK();
  Shard& shard = table_.shard(index);
  MutexLock l(&shard.mu);
  Entry* e = shard.FindOrAdd(r.db, r.key);
  if (r.kind == Record::Kind::kPut) {
    auto decoded = DecodeValue(r.value);
    if (!decoded.ok()) return decoded.status();
    shard.Put(*e, std::string(decoded->payload), decoded->expire_at_ms, decoded->type);
  } else {
    shard.MarkAbsent(*e);
  }
  e->lsn = r.lsn;
  return Status::OK();
}

Keyspace::AtomicScope::AtomicScope(Keyspace* keyspace)
    : keyspace_(keyspace),
      locks_(&keyspace->table_),
      view_(keyspace->state_, this, keyspace->created_) {}

Keyspace::AtomicScope::~AtomicScope() {
  if (!committed_) Commit();
}

Lsn Keyspace::AtomicScope::Commit() {
  committed_ = true;
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
      Shard& shard = keyspace_->table_.shard_of(key);
      shard.mu.AssertHeld();  // locks_
      if (Entry* e = shard.Find(db, key)) e->lsn = std::max(e->lsn, last);
    }
    if (flushed) {
      for (int db = 0; db < keyspace_->options_.databases; ++db) {
        if (keyspace_->flush_lsn_[db].load() == std::numeric_limits<Lsn>::max())
          keyspace_->flush_lsn_[db].store(last, std::memory_order_release);
      }
    }
    lsn = std::max(lsn, last);
  }
  locks_.Release();
  return lsn;
}

StatusOr<Keyspace::WatchToken> Keyspace::Watch(DbIndex db, std::string_view key) {
  Shard& shard = table_.shard_of(key);
  MutexLock l(&shard.mu);
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
  Shard& shard = table_.shard_of(token.key);
  shard.mu.AssertHeld();  // the caller's AtomicScope
  const Entry* found = shard.Find(token.db, token.key);
  if (found == nullptr) return true;
  const Entry& e = *found;
  // A key that expired since WATCH counts as changed, as in Redis.
  bool expired = e.present && e.expire_at_ms != 0 && e.expire_at_ms <= NowMs();
  return e.lsn != token.lsn || expired;
}

namespace {
void Unpin(KeyTable::Shard& shard, const Keyspace::WatchToken& token)
    EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
  KeyTable::Entry* e = shard.Find(token.db, token.key);
  if (e != nullptr && e->pins > 0) e->pins--;
}
}  // namespace

void Keyspace::Unwatch(const WatchToken& token) {
  Shard& shard = table_.shard_of(token.key);
  if (scope_ != nullptr) {
    shard.mu.AssertHeld();  // the scope holds every shard
    Unpin(shard, token);
  } else {
    MutexLock l(&shard.mu);
    Unpin(shard, token);
  }
}

}  // namespace tally
