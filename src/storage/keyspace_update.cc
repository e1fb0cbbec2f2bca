// Keyspace::Update, the building block of every operation: look the keys up (under their shard
// locks), let the caller's function decide, write what it decided as one group of records.
#include <algorithm>
#include <optional>

#include "tally/storage/keyspace.h"
#include "tally/util/clock.h"
#include "tally/util/inline_buffer.h"

namespace tally {
namespace {
constexpr size_t kInlineKeys = KeyTable::kInlineKeys;  // scratch space on the stack
}  // namespace

Keyspace::CreatedKeys::CreatedKeys(const Keyspace& keyspace)
    : view_(keyspace.state_, keyspace.scope_, this) {}

bool Keyspace::CreatedKeys::Take(DbIndex db, std::string_view key) {
  auto it = std::find_if(keys_.begin(), keys_.end(),
                         [&](const auto& k) { return k.first == db && k.second == key; });
  if (it == keys_.end()) return false;
  keys_.erase(it);
  return true;
}

// One run of Update() over keys whose shards the caller holds (its ShardSet, or an AtomicScope).
class Keyspace::UpdateRun {
 public:
  UpdateRun(Keyspace* keyspace, std::span<const KeyRef> keys, std::span<const size_t> shard_ids,
            Access access, CreatedKeys* created)
      : ks_(keyspace),
        keys_(keys),
        shard_ids_(shard_ids),
        access_(access),
        created_(created),
        use_absent_(keys.size() <= kInlineKeys),
        entries_(keys.size()) {}

  // Looks every key up. On failure the entries of unknown state it added are gone again.
  Status LookupAll();
  // What the update's function sees: each key's value, nullptr if missing or expired.
  void Current(std::span<const Value*> current);
  // The `expired` events of the lookups' lazy-expiry deletes (so far the only records).
  void ExpiredEvents(EventSink* sink);
  // Writes the mutations to the entries, with their records, history samples and events.
  void Apply(std::span<Mutation> mutations, std::span<const Value* const> current, EventSink* sink);
  // Appends the records (inside a transaction: hands them to the scope), marks the entries,
  // drops what was looked up blindly and not written, and evicts. Returns the LSN to wait for.
  Lsn Finish(AtomicScope* scope, EventSink* sink, std::span<const size_t> locked_shards);

 private:
  bool IsAbsent(const Entry* e) const { return e >= absent_ && e < absent_ + kInlineKeys; }
  // The stand-in of an earlier key that is this one (a key named twice), or nullptr.
  Entry* SameAbsent(size_t i);
  // Entries of unknown state among the first `count` keys leave the table again (their
  // pointers in entries_ become null).
  void DropUnknown(size_t count);

  Keyspace* const ks_;
  const std::span<const KeyRef> keys_;
  const std::span<const size_t> shard_ids_;
  const Access access_;
  CreatedKeys* const created_;  // the thread's `new`-event scope, or nullptr
  const int64_t now_ = NowMs();
  // Keys found nowhere get a stand-in entry here instead of one in the table (for a few keys:
  // a key named twice must find the same stand-in, which is a scan over the earlier keys).
  const bool use_absent_;
  Entry absent_[kInlineKeys];
  InlineBuffer<Entry*, kInlineKeys> entries_;
  Lsn barrier_ = 0;
  std::vector<Record> records_;
  std::vector<KeyEvent> events_;
};

Keyspace::Entry* Keyspace::UpdateRun::SameAbsent(size_t i) {
  Entry* same = nullptr;
  for (size_t j = 0; use_absent_ && j < i; ++j) {
    if (IsAbsent(entries_[j]) && keys_[j].db == keys_[i].db && keys_[j].key == keys_[i].key)
      same = entries_[j];
  }
  return same;
}

Status Keyspace::UpdateRun::LookupAll() {
  for (size_t i = 0; i < keys_.size(); ++i) {
    entries_[i] = SameAbsent(i);
    if (entries_[i] != nullptr) continue;
    Shard& shard = ks_->table_.shard(shard_ids_[i]);
    shard.mu.AssertHeld();  // the caller's ShardSet or AtomicScope
    auto e = ks_->Lookup(shard, keys_[i].db, keys_[i].key, now_, &barrier_, &records_,
                         use_absent_ ? &absent_[i] : nullptr, access_);
    if (!e.ok()) {
      DropUnknown(i);
      return e.status();
    }
    entries_[i] = *e;
  }
  return Status::OK();
}

void Keyspace::UpdateRun::Current(std::span<const Value*> current) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    const Entry& e = *entries_[i];
    // An expired key that could not be deleted (the log has failed) is still invisible.
    const bool live = e.present && (e.expire_at_ms == 0 || e.expire_at_ms > now_);
    current[i] = live ? &e : nullptr;
  }
}

void Keyspace::UpdateRun::ExpiredEvents(EventSink* sink) {
  if (sink == nullptr || records_.empty() || !sink->wants_expired()) return;
  for (const Record& r : records_)
    if (r.db < kFirstSystemDb) events_.push_back(ExpiredEvent(r.db, r.key, now_));
}

void Keyspace::UpdateRun::Apply(std::span<Mutation> mutations,
                                std::span<const Value* const> current, EventSink* sink) {
  const bool changes = sink != nullptr && sink->wants_changes();
  const bool collect = sink != nullptr && (changes || !ks_->alerts_.empty());
  for (size_t i = 0; i < keys_.size(); ++i) {
    Mutation& m = mutations[i];
    Entry* e = entries_[i];
    if (m.op == Mutation::Op::kKeep || (m.op == Mutation::Op::kDelete && e->known && !e->present))
      continue;
    Shard& shard = ks_->table_.shard(shard_ids_[i]);
    shard.mu.AssertHeld();  // the caller's ShardSet or AtomicScope
    if (IsAbsent(e)) {
      // The first write of a key found nowhere: now it gets its table entry.
      Entry* real = shard.Add(keys_[i].db, keys_[i].key, std::move(*e));
      for (auto& p : entries_) {
        if (p == e) p = real;
      }
    }
    if (created_ != nullptr && m.op == Mutation::Op::kPut && entries_[i]->known &&
        !entries_[i]->present)
      created_->keys_.emplace_back(keys_[i].db, std::string(keys_[i].key));
    std::optional<std::string> before;
    if (collect && current[i] != nullptr) before = current[i]->data;
    const Entry& after = *entries_[i];
    records_.push_back(ks_->Write(shard, *entries_[i], keys_[i], m));
    ks_->AddHistory(keys_[i], after, now_, &records_);
    // Change events and alerts are of strings (counters): a list's changes have none.
    if (collect && keys_[i].db < kFirstSystemDb &&
        (current[i] == nullptr || current[i]->type == ValueType::kString) &&
        (!after.present || after.type == ValueType::kString)) {
      CollectEvents(ks_->alerts_, changes, keys_[i].db, keys_[i].key, before ? &*before : nullptr,
                    after.present ? &after.data : nullptr, now_, &events_);
    }
  }
}

Lsn Keyspace::UpdateRun::Finish(AtomicScope* scope, EventSink* sink,
                                std::span<const size_t> locked_shards) {
  if (scope != nullptr) {
    // Inside a transaction: the scope appends everything at once and marks the entries then.
    for (auto& r : records_) scope->records_.push_back(std::move(r));
    for (auto& e : events_) scope->events_.push_back(std::move(e));
    scope->observed_ = std::max(scope->observed_, barrier_);
    return barrier_;
  }
  if (!records_.empty()) {
    // Lazy-expiry deletes are appended even when the function failed: they already changed
    // the table.
    const Lsn lsn = ks_->log_->Append(std::move(records_));
    // Only the entries that changed need the new LSN, but marking all of this group's entries
    // is harmless: it only makes a later reader wait for this (imminent) group too.
    for (Entry* e : entries_) e->lsn = std::max(e->lsn, lsn);
    if (!events_.empty()) sink->OnEvents(std::move(events_), lsn);
    barrier_ = std::max(barrier_, lsn);
  }
  DropUnknown(keys_.size());
  for (size_t id : locked_shards) {
    Shard& shard = ks_->table_.shard(id);
    shard.mu.AssertHeld();  // the caller's ShardSet
    ks_->EvictIfNeeded(shard);
  }
  return barrier_;
}

void Keyspace::UpdateRun::DropUnknown(size_t count) {
  for (size_t i = 0; access_ == Access::kBlind && i < count; ++i) {
    Entry* e = entries_[i];
    if (e == nullptr || IsAbsent(e) || e->known) continue;  // written entries are known
    Shard& shard = ks_->table_.shard(shard_ids_[i]);
    shard.mu.AssertHeld();  // the caller's ShardSet
    shard.Erase(keys_[i].db, keys_[i].key);
    for (auto& p : entries_) {  // a key named twice: its other pointer goes too
      if (p == e) p = nullptr;
    }
  }
}

StatusOr<Lsn> Keyspace::Update(DbIndex db, std::span<const std::string_view> keys, UpdateFn fn,
                               Access access) {
  InlineBuffer<KeyRef, kInlineKeys> refs(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) refs[i] = KeyRef{db, keys[i]};
  return Update(refs.span(), fn, access);
}

StatusOr<Lsn> Keyspace::Update(std::span<const KeyRef> keys, UpdateFn fn, Access access) {
  const size_t n = keys.size();
  AtomicScope* const scope = scope_;
  CreatedKeys* const created = created_;
  // A transaction's counts need known deltas; `new` events need to know what existed.
  if (scope != nullptr || created != nullptr) access = Access::kRead;
  InlineBuffer<size_t, kInlineKeys> shard_ids(n);
  for (size_t i = 0; i < n; ++i) shard_ids[i] = KeyTable::ShardOf(keys[i].key);
  // Shards are locked in index order (no deadlock between multi-key operations), unless the
  // thread's AtomicScope holds them all already.
  KeyTable::ShardSet locks(&table_, shard_ids.span(), /*lock=*/scope == nullptr);
  UpdateRun run(this, keys, shard_ids.span(), access, created);
  if (Status st = run.LookupAll(); !st.ok()) return st;
  // fn reads the entries themselves (a key named twice is one entry): nothing changes them
  // until it has returned.
  InlineBuffer<const Value*, kInlineKeys> current(n);
  run.Current(current.span());
  EventSink* const sink = events_.load(std::memory_order_acquire);
  run.ExpiredEvents(sink);
  InlineBuffer<Mutation, kInlineKeys> mutations(n);
  Status st = fn(current.span(), mutations.span());
  const bool writes = st.ok() && std::any_of(mutations.begin(), mutations.end(),
                                             [](auto& m) { return m.op != Mutation::Op::kKeep; });
  if (writes && !log_->healthy()) st = log_->failure();
  if (writes && st.ok()) run.Apply(mutations.span(), current.span(), sink);
  const Lsn barrier = run.Finish(scope, sink, locks.shards());
  if (!st.ok()) return st;
  return barrier;
}

}  // namespace tally
