// Keyspace: the semantic layer that commands call (Redis 7 string and keyspace semantics).
//
// It sits on a KeyTable (key_table.h), a sharded write-back cache in front of RocksDB: an entry
// holds a key's current value, its expiry and the LSN of its last record. A miss reads the Store.
// Every change appends a post-image record to the CommitLog while the key's shard is locked (so
// records of one key are queued in LSN order) and marks the entry with that LSN. Entries whose
// LSN is in RocksDB are clean and may be evicted when the table passes its memory budget; dirty
// entries stay.
//
// Every operation returns, besides its result, the LSN its reply must wait for: the LSN of the
// records it appended, or of the not-yet-durable entries it observed. Waiting for that LSN
// (CommitLog::WhenAcked) is what keeps a reply from revealing state that is not yet durable.
//
// Expired keys are never visible: every access checks the expiry and deletes an expired key.
//
// A Keyspace object is a view of the keyspace's state. The engine builds the root view, which
// owns the state; an AtomicScope (a transaction) and a CreatedKeys scope each hand out a view of
// their own whose operations run in that scope: the scope is passed explicitly, as the object
// the caller calls, never found through the calling thread.
//
// Thread-safe. Writes are refused with kLogFailed once the commit log has failed.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tally/storage/commit_log.h"
#include "tally/storage/counters.h"
#include "tally/storage/events.h"
#include "tally/storage/history.h"
#include "tally/storage/key_table.h"
#include "tally/storage/store.h"
#include "tally/storage/types.h"
#include "tally/util/function_ref.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct KeyspaceOptions {
  int databases = 16;                  // Default: 16
  size_t table_max_memory = 64 << 20;  // Default: 64 MiB, over all shards
  // Shared with the store's compaction filter: active expiry raises it to the time up to which
  // every due key has been deleted durably. Default: none.
  std::shared_ptr<std::atomic<int64_t>> expired_before;
  // Which keys keep history (history.h); null: none.
  std::shared_ptr<HistoryPolicy> history;
};

// SET's options, already validated by the command layer.
struct SetOptions {
  enum class Cond { kNone, kNx, kXx };
  Cond cond = Cond::kNone;
  bool get = false;          // also return the old value (SET ... GET)
  bool keep_ttl = false;     // KEEPTTL
  int64_t expire_at_ms = 0;  // absolute expiry; 0 = none (clears the TTL unless keep_ttl)
};

struct SetResult {
  bool written = false;
  std::optional<std::string> old;  // with SetOptions::get
};

// What GETEX does to the TTL.
struct ExpireChange {
  enum class Kind { kNone, kPersist, kAt, kDelete };  // kDelete: GETDEL
  Kind kind = Kind::kNone;
  int64_t at_ms = 0;  // for kAt
};

class Keyspace {
 public:
  class AtomicScope;
  class CreatedKeys;
  // The root view, which owns the state. `store` and `log` must outlive it. Key counts start
  // from what the store recovered.
  Keyspace(Store* store, CommitLog* log, KeyspaceOptions options);
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  int databases() const { return options_.databases; }
  // Which keys keep history; CONFIG SET changes it. Null if the keyspace was built without.
  HistoryPolicy* history_policy() const { return options_.history.get(); }
  // Where each group's events go (events.h); null: nowhere. Set once before serving.
  void set_event_sink(EventSink* sink) { events_.store(sink, std::memory_order_release); }
  // TALLY.ALERT: `edit` changes the key's rules (in kAlertDb and in memory, atomically with
  // respect to writes of any key); its result is returned.
  StatusOr<Written<int64_t>> EditAlerts(DbIndex db, std::string_view key,
                                        FunctionRef<int64_t(std::vector<AlertRule>*)> edit);
  std::vector<AlertRules::Entry> ListAlerts() const { return alerts_.All(); }
  // Loads the rules from kAlertDb (at start, after recovery, once RocksDB has every record of
  // kAlertDb the log replays).
  Status LoadAlerts();
  // Recovery, before serving: `groups` are the log's records above what RocksDB holds, in LSN
  // order, queued for the applier but not applied. Each key they write gets a table entry
  // holding its last record's post-image and LSN (dirty, so kept until applied), and a flush
  // hides the store's keys as a live FLUSH does: the keyspace answers as if RocksDB had them,
  // without waiting for the applier. History samples (kHistoryDb) are left to the applier, as
  // live ones are. kCorruption if a record's value does not decode.
  Status Replay(std::span<const std::vector<Record>> groups);
  // A hint for the keys of pipelined commands about to run: brings their table entries into
  // the CPU cache (KeyTable::Prefetch). Changes nothing. Returns how many keys it hinted.
  size_t Prefetch(DbIndex db, std::span<const std::string_view> keys) {
    return table_.Prefetch(db, keys);
  }
  // How many keys a system database (types.h) holds, as of what RocksDB has (INFO).
  int64_t system_keys(DbIndex db) const;

  // INCRBY: a missing key counts as 0. kNotInteger if the stored value is not an integer,
  // kOverflow if the result leaves int64. Keeps the TTL.
  StatusOr<Written<int64_t>> IncrBy(DbIndex db, std::string_view key, int64_t delta);
  // INCRBYFLOAT: returns the new value as Redis formats it. kNotFloat if the stored value or
  // then the increment is not a float (checked in that order, as Redis does), kNanOrInfinity.
  StatusOr<Written<std::string>> IncrByFloat(DbIndex db, std::string_view key,
                                             std::string_view increment);
  // A client-chosen request id (IDMP), scoped to one key.
  struct RequestId {
    std::string_view id;
    int64_t window_ms = 0;  // how long the id and its reply are kept
    int64_t max_ids = 0;    // a new id is refused (kIdsFull) while this many are kept
  };
  // INCREX (Redis 8.8, see counters.h). With `request`: a second call with the same key and id
  // inside the window changes nothing and returns the first call's reply. The id and its reply
  // are records of the same group as the change, so a crash never keeps one without the other.
  StatusOr<Written<IncrExReply>> IncrEx(DbIndex db, std::string_view key,
                                        const IncrExOptions& options,
                                        const RequestId* request = nullptr);
  // CL.THROTTLE (redis-cell): the key holds the theoretical arrival time in nanoseconds, with
  // a TTL for when the limiter is full again. kNotInteger if it holds something else.
  StatusOr<Written<ThrottleOutcome>> Throttle(DbIndex db, std::string_view key,
                                              const ThrottleParams& params);
  // TALLY.HISTORY: the samples of `key` (history.h) taken in [from_ms, to_ms], oldest first, at
  // most `count` (0: all). A sample of a delete has no value. Blocks until every write made
  // before the call is in RocksDB (samples are read from there).
  struct HistoryPoint {
    int64_t at_ms = 0;
    std::optional<std::string> value;
  };
  StatusOr<Written<std::vector<HistoryPoint>>> History(DbIndex db, std::string_view key,
                                                       int64_t from_ms, int64_t to_ms,
                                                       size_t count);
  StatusOr<Written<std::optional<std::string>>> Get(DbIndex db, std::string_view key);
  StatusOr<Written<SetResult>> Set(DbIndex db, std::string_view key, std::string_view value,
                                   const SetOptions& options);
  StatusOr<Written<std::optional<std::string>>> GetDel(DbIndex db, std::string_view key);
  StatusOr<Written<std::optional<std::string>>> GetEx(DbIndex db, std::string_view key,
                                                      ExpireChange change);
  // APPEND: the new length. kInvalidArgument if it would pass `max_len` bytes.
  StatusOr<Written<int64_t>> Append(DbIndex db, std::string_view key, std::string_view value,
                                    int64_t max_len);
  StatusOr<Written<int64_t>> StrLen(DbIndex db, std::string_view key);
  StatusOr<Written<std::vector<std::optional<std::string>>>> MGet(
      DbIndex db, std::span<const std::string_view> keys);
  // MSET (pairs: key, value, key, value...); with `only_if_none_exist` (MSETNX) nothing is set
  // if any key exists. Returns whether it wrote. All writes land in one atomic batch.
  StatusOr<Written<bool>> MSet(DbIndex db, std::span<const std::string_view> pairs,
                               bool only_if_none_exist);
  // DEL: how many of the keys existed (each counted once).
  StatusOr<Written<int64_t>> Del(DbIndex db, std::span<const std::string_view> keys);
  // EXISTS: counts with repetition.
  StatusOr<Written<int64_t>> Exists(DbIndex db, std::span<const std::string_view> keys);
  // PTTL: -2 if missing, -1 if no TTL, else remaining milliseconds (>= 0).
  StatusOr<Written<int64_t>> PTtl(DbIndex db, std::string_view key);

  // EXPIRE family (expire.c expireGenericCommand): sets the key's expiry to `at_ms` if every
  // condition in `flags` holds; a time not in the future deletes the key. Returns 1 if set (or
  // deleted), 0 if the key is missing or a condition failed.
  enum ExpireFlag : int { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };
  StatusOr<Written<int64_t>> Expire(DbIndex db, std::string_view key, int64_t at_ms, int flags);
  // Active expiry: handles up to `max_keys` expiry-index entries whose time has come (soonest
  // first): deletes their keys if still expired and drops the entries (stale ones too). Returns
  // how many entries it handled; the caller runs it again at once if that is `max_keys`. Called
  // by a background thread; each key is handled like any other access, under its shard lock,
  // so clients never stall for long.
  size_t ActiveExpireCycle(int64_t now_ms, size_t max_keys);
  // INFO Keyspace avg_ttl: the mean remaining TTL (ms) of up to 1,000 soonest volatile keys of
  // `db` (0 if none), as Redis also estimates it from a sample.
  int64_t AverageTtl(DbIndex db, int64_t now_ms) const;

  // PERSIST: 1 if a TTL was removed.
  StatusOr<Written<int64_t>> Persist(DbIndex db, std::string_view key);
  // The absolute expiry in ms; -1 without one, -2 if the key is missing.
  StatusOr<Written<int64_t>> ExpireAt(DbIndex db, std::string_view key);

  // SCAN: up to `count` live keys of `db` after `after` in key order (all if count is 0).
  // `done` is true when the iteration reached the end. Blocks until every write made before
  // the call is in RocksDB (rare whole-keyspace reads read RocksDB directly).
  struct ScanResult {
    std::vector<std::string> keys;
    std::vector<ValueType> types;  // each key's
    bool done = false;
  };
  StatusOr<Written<ScanResult>> Scan(DbIndex db, std::string_view after, size_t count);
  // RANDOMKEY: a live key, or nullopt if the database is empty.
  StatusOr<Written<std::optional<std::string>>> RandomKey(DbIndex db);
  // SCAN cursors: an integer standing for "after this key" (Redis cursors are integers).
  // 0 is the start; an unknown or forgotten cursor starts over (SCAN may repeat keys).
  uint64_t SaveCursor(std::string key);
  std::string LoadCursor(uint64_t cursor);

  // RENAME / RENAMENX (nx): moves the value and TTL. kNoSuchKey if `from` is missing.
  // Returns false if nx and `to` exists.
  StatusOr<Written<bool>> Rename(DbIndex db, std::string_view from, std::string_view to, bool nx);
  // COPY source destination [DB to_db] [REPLACE]: false if the destination exists without
  // REPLACE or the source is missing.
  StatusOr<Written<bool>> Copy(DbIndex db, std::string_view from, DbIndex to_db,
                               std::string_view to, bool replace);
  // MOVE key db: false if the key is missing here or exists there.
  StatusOr<Written<bool>> Move(DbIndex db, std::string_view key, DbIndex to_db);
  // SETRANGE: the new length. kInvalidArgument past max_len.
  StatusOr<Written<int64_t>> SetRange(DbIndex db, std::string_view key, int64_t offset,
                                      std::string_view value, int64_t max_len);
  // GETRANGE with Redis's index rules.
  StatusOr<Written<std::string>> GetRange(DbIndex db, std::string_view key, int64_t start,
                                          int64_t end);

  // Lists: the Redis semantics of each list command live in the command layer
  // (list_commands.cc); the keyspace gives it a key's list to read or change. A ListEdit is a
  // key's list as the edit sees it: its elements, head first (empty for a missing key).
  struct ListEdit {
    std::vector<std::string> items;
    bool exists = false;      // the key exists and holds a list
    bool wrong_type = false;  // the key holds something else (items is empty)
    bool changed = false;     // set by the edit: write the list back
  };
  // Runs `fn` over the lists at `keys` (shards locked, so atomic; a key named twice is one
  // ListEdit seen twice). Every list it marks changed is written back keeping the key's TTL, or
  // the key deleted if the list is now empty (Redis keeps no empty list), as one group of
  // records. kWrongType if it marks a wrong_type key changed; kTooLarge if a list's encoding
  // would pass `max_bytes` (nothing is written then).
  using ListFn = FunctionRef<Status(std::span<ListEdit* const> lists)>;
  StatusOr<Lsn> EditLists(DbIndex db, std::span<const std::string_view> keys, ListFn fn,
                          size_t max_bytes);
  // The value at `key` as stored, whatever its type (TYPE, OBJECT, MEMORY USAGE); nullopt if
  // the key is missing.
  StatusOr<Written<std::optional<TableValue>>> Read(DbIndex db, std::string_view key);

  // FLUSHDB / FLUSHALL: returns the LSN of the flush record.
  StatusOr<Lsn> FlushDb(DbIndex db);
  StatusOr<Lsn> FlushAll();

  // Keys and volatile keys per database (DBSIZE, INFO Keyspace). The counts live on the apply
  // path (blind writes are resolved there): this waits until every record appended before the
  // call is in RocksDB (blocking), then reads them; inside an AtomicScope the scope's records
  // are added. They may include not-yet-durable changes: the caller waits for last_lsn() before
  // revealing them. After a log failure: what RocksDB has.
  std::vector<KeyCounts> AllCounts();
  KeyCounts Counts(DbIndex db) { return AllCounts()[db]; }
  Lsn last_lsn() const { return log_->last_lsn(); }
  uint64_t expired_keys() const { return expired_keys_.load(std::memory_order_relaxed); }
  size_t table_bytes() const;

  // What a key holds, as seen inside an update (nullptr: missing or expired).
  using Value = TableValue;
  // kWrongType if `v` holds something other than a string: the first check of every string
  // operation (a missing key passes).
  static Status CheckString(const Value* v) {
    return v != nullptr && v->type != ValueType::kString ? Status::WrongType() : Status::OK();
  }
  // What an update does to one key.
  struct Mutation {
    enum class Op { kKeep, kPut, kDelete };
    Op op = Op::kKeep;
    std::string data;
    int64_t expire_at_ms = 0;
    ValueType type = ValueType::kString;
  };
  // Runs `fn` with the current values of `keys` (shards locked, so it is atomic with respect to
  // every other operation), then applies the mutations it fills in (one per key, in order) as one
  // group of records. Returns the LSN to wait for. The building block of every operation above.
  //
  // With Access::kBlind, `fn` promises not to look at the current values and to write every
  // key (or fail): keys the table does not hold are then not read from RocksDB (they are
  // passed as nullptr, and their records are blind: the apply path finds out whether they
  // existed, for the key counts). Inside an AtomicScope reads are made anyway.
  enum class Access { kRead, kBlind };
  using UpdateFn =
      FunctionRef<Status(std::span<const Value* const> current, std::span<Mutation> out)>;
  StatusOr<Lsn> Update(DbIndex db, std::span<const std::string_view> keys, UpdateFn fn,
                       Access access = Access::kRead);
  // The same over keys of several databases (MOVE, COPY ... DB).
  struct KeyRef {
    DbIndex db;
    std::string_view key;
  };
  StatusOr<Lsn> Update(std::span<const KeyRef> keys, UpdateFn fn, Access access = Access::kRead);

  // WATCH: what EXEC compares. The watched entry stays in memory until Unwatch().
  struct WatchToken {
    DbIndex db = 0;
    std::string key;
    Lsn lsn = 0;
    uint64_t flush_epoch = 0;
  };
  StatusOr<WatchToken> Watch(DbIndex db, std::string_view key);
  // True if this is a transaction's view (AtomicScope::keyspace()).
  bool InAtomicScope() const { return scope_ != nullptr; }
  // The CreatedKeys scope this view notes created keys in, or nullptr.
  CreatedKeys* created_keys() const { return created_; }
  // True if the key changed (written, deleted, expired, flushed) since Watch().
  // REQUIRES: this is a transaction's view.
  bool Changed(const WatchToken& token);
  void Unwatch(const WatchToken& token);

 private:
  using Entry = KeyTable::Entry;
  using Shard = KeyTable::Shard;
  class UpdateRun;  // one Update() (keyspace_update.cc)
  // The key's entry, loaded from the store on a miss. A key that is nowhere is put in the table,
  // unless `absent` is given: then *absent describes it and is returned (nothing is cached).
  // With kBlind a miss is not read from the store: the entry returned is marked unknown.
  StatusOr<Entry*> Lookup(Shard& shard, DbIndex db, std::string_view key, int64_t now, Lsn* barrier,
                          std::vector<Record>* records, Entry* absent = nullptr,
                          Access access = Access::kRead) EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Applies one put or delete to an entry; returns its record (blind if the entry's state was
  // unknown).
  Record Write(Shard& shard, Entry& e, const KeyRef& k, Mutation& m)
      EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Appends the history sample of a change just written to `e`, if its key keeps history.
  void AddHistory(const KeyRef& k, const Entry& e, int64_t now, std::vector<Record>* records) const;
  // Evicts clean entries from a shard past its share of the memory budget.
  void EvictIfNeeded(Shard& shard) EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // RENAME, COPY and MOVE: copies keys[0]'s value and TTL to keys[1] (replacing an existing
  // value only if `overwrite`) and deletes keys[0] unless `keep_source`. Returns whether it did;
  // a missing source is kNoSuchKey if `missing_is_error`, else "did not".
  StatusOr<Written<bool>> Transfer(const KeyRef (&keys)[2], bool overwrite, bool keep_source,
                                   bool missing_is_error);
  // FLUSHDB and FLUSHALL: empties databases [first, end) and logs one `kind` record.
  StatusOr<Lsn> Flush(Record::Kind kind, DbIndex first, size_t end);
  // Replay() of one record, if its key is in a shard i with i % parts == part (a flush: for
  // those shards).
  Status ReplayRecord(const Record& r, size_t part, size_t parts);
  // Drops every entry of databases [first, end) (every shard held by the caller) and bumps their
  // flush epochs; the caller then sets their flush LSNs.
  void ClearDbs(DbIndex first, size_t end);
  // SCAN's saved cursors.
  struct Cursors {
    Mutex mu;
    std::unordered_map<uint64_t, std::string> keys GUARDED_BY(mu);
    std::deque<uint64_t> order GUARDED_BY(mu);  // oldest first
    uint64_t next GUARDED_BY(mu) = 0;
  };
  struct State;  // what every view shares (keyspace.cc)
  // A view of `state` in `scope` (may be null) noting created keys in `created` (may be null).
  Keyspace(State& state, AtomicScope* scope, CreatedKeys* created);

  std::unique_ptr<State> owned_;  // the root view's; null in other views
  State& state_;
  // The state, as references into State (the root's members of old, shared by every view).
  Store* const store_;
  CommitLog* const log_;
  AlertRules& alerts_;
  std::atomic<EventSink*>& events_;
  const KeyspaceOptions& options_;
  KeyTable& table_;
  // Per database: the LSN of the last FLUSHDB/FLUSHALL not yet written to RocksDB. Until it is,
  // a table miss in that database means "absent" (RocksDB still has the old keys).
  std::atomic<Lsn>* const flush_lsn_;
  std::atomic<uint64_t>& expired_keys_;
  std::atomic<uint64_t>* const flush_epoch_;  // bumped by FLUSHDB/FLUSHALL
  // Active expiry's watermark, published once the deletes behind it are durable.
  int64_t& pending_watermark_;  // active expiry thread only
  Lsn& pending_watermark_lsn_;
  Cursors& cursors_;
  // The scope this view runs in: its operations collect their records into `scope_` (whose
  // thread holds every shard), and note the keys they create in `created_`.
  AtomicScope* const scope_;
  CreatedKeys* const created_;
};

// Transactions (MULTI/EXEC). While an AtomicScope lives, the thread that made it holds every
// shard: no other thread's operation runs. The operations called on its keyspace() collect their
// records, which Commit() appends as one group (one atomic RocksDB batch, one durability wait).
class Keyspace::AtomicScope {
 public:
  // REQUIRES: `keyspace` is not itself a transaction's view (scopes do not nest).
  explicit AtomicScope(Keyspace* keyspace);
  ~AtomicScope();  // commits if Commit() was not called
  AtomicScope(const AtomicScope&) = delete;
  AtomicScope& operator=(const AtomicScope&) = delete;
  // The view whose operations run in this transaction. Valid while the scope lives.
  Keyspace& keyspace() { return view_; }
  // Appends the collected records; returns the LSN to wait for (0 if nothing was written).
  Lsn Commit();
  // Drops the collected records, so that Commit() appends nothing. Only for a process that
  // is shutting down: the table keeps the dropped changes, which nothing may log or serve.
  void Abandon() {
    records_.clear();
    events_.clear();
  }

 private:
  friend class Keyspace;
  Keyspace* keyspace_;
  KeyTable::AllShards locks_;
  Keyspace view_;
  std::vector<Record> records_;
  std::vector<KeyEvent> events_;
  Lsn observed_ = 0;
  bool committed_ = false;
};

// While one lives, the updates called on its keyspace() read every key before writing it (no
// blind writes) and note the keys they create (absent before, present after): what Redis's `new`
// keyspace event reports. A scope made over another's view passes the other's transaction on.
class Keyspace::CreatedKeys {
 public:
  explicit CreatedKeys(const Keyspace& keyspace);
  CreatedKeys(const CreatedKeys&) = delete;
  CreatedKeys& operator=(const CreatedKeys&) = delete;
  // The view that notes created keys here (in the base view's transaction, if any).
  Keyspace& keyspace() { return view_; }
  // True, once, if an update of this scope created `key` in `db`.
  bool Take(DbIndex db, std::string_view key);

 private:
  friend class Keyspace;
  std::vector<std::pair<DbIndex, std::string>> keys_;
  Keyspace view_;
};

}  // namespace tally
