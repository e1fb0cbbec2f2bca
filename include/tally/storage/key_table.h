// KeyTable: the keyspace's in-memory table, a write-back cache in front of RocksDB.
//
// 64 shards, each with its own mutex, each holding one hash map per database. An entry holds a
// key's current value and expiry (or that the key is absent), the LSN of the key's last record,
// and the table's bookkeeping. The table knows nothing of RocksDB or of Redis semantics: the
// Keyspace above it decides what an entry says; the table finds, adds, changes and drops entries,
// keeps each shard's byte count, and evicts clean entries (CLOCK) when a shard passes its share of
// the memory budget.
//
// Every access to a shard's maps requires its mutex (checked by clang's thread-safety analysis).
// Entries stay put in memory until erased or evicted, so an Entry* stays valid while its shard is
// held. Shards are always locked in index order (ShardSet, AllShards), so operations on several
// keys never deadlock.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tally/storage/types.h"
#include "tally/storage/value_codec.h"
#include "tally/util/inline_buffer.h"
#include "tally/util/thread_annotations.h"

namespace tally {

// What a key holds: its value (a string's bytes or a list's payload, value_codec.h), its type
// and absolute expiry in ms (0: none).
struct TableValue {
  std::string data;
  int64_t expire_at_ms = 0;
  ValueType type = ValueType::kString;
};

class KeyTable {
 public:
  static constexpr size_t kShards = 64;
  static constexpr size_t kInlineKeys = 4;  // ShardSet holds this many shards without allocating

  struct Entry : TableValue {
    Lsn lsn = 0;  // the last record for this key; 0 if loaded from the store
    bool present = false;
    bool known = true;  // false: not looked up (a blind write's miss), present says nothing
    bool referenced = true;
    uint32_t pins = 0;  // WATCHes: a pinned entry is never evicted
  };

  class Shard {
   public:
    Shard() = default;
    ~Shard();
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    Mutex mu;

    // The entry of `key` in `db` (marked referenced), or nullptr.
    Entry* Find(DbIndex db, std::string_view key) EXCLUSIVE_LOCKS_REQUIRED(mu);
    // Cache hints for a lookup of `key` soon (KeyTable::Prefetch): the first brings in the
    // hash table's control bytes and slots where the key would be, the second (once those are
    // in) the node a matching slot points to, without waiting for it. Neither changes anything.
    // PrefetchSlots does nothing and returns false while `db` has fewer than
    // kPrefetchMinEntries entries here: a table that small stays in the CPU cache (a few hot
    // counters), and the hint would only cost time.
    static constexpr size_t kPrefetchMinEntries = 1024;
    bool PrefetchSlots(DbIndex db, std::string_view key) const EXCLUSIVE_LOCKS_REQUIRED(mu);
    void PrefetchNode(DbIndex db, std::string_view key) const EXCLUSIVE_LOCKS_REQUIRED(mu);
    // Adds an entry for `key`, which must not have one; returns it.
    Entry* Add(DbIndex db, std::string_view key, Entry e) EXCLUSIVE_LOCKS_REQUIRED(mu);
    // The entry of `key` in `db`, added (absent, known, LSN 0) if it had none: one probe.
    Entry* FindOrAdd(DbIndex db, std::string_view key) EXCLUSIVE_LOCKS_REQUIRED(mu);
    // Drops `key`'s entry, if it has one.
    void Erase(DbIndex db, std::string_view key) EXCLUSIVE_LOCKS_REQUIRED(mu);
    // Gives `e` (an entry of this shard) a value: the key is present.
    void Put(Entry& e, std::string data, int64_t expire_at_ms, ValueType type = ValueType::kString)
        EXCLUSIVE_LOCKS_REQUIRED(mu);
    // Clears `e`'s value and expiry: the key is absent (its LSN says as of when).
    void MarkAbsent(Entry& e) EXCLUSIVE_LOCKS_REQUIRED(mu);
    // Drops every entry of `db`; the caller empties the store's `db` (a FLUSH), so the shard is
    // complete for it.
    void Clear(DbIndex db) EXCLUSIVE_LOCKS_REQUIRED(mu);
    // While the shard holds more than `budget` bytes, evicts entries that are clean (LSN at most
    // `clean`), unpinned and not referenced since the CLOCK hand last passed them, down to 90 %
    // of the budget; looks at no more than 4,096 entries per call, and at none while the last
    // call found no clean unpinned entry, `clean` has not moved since and the shard has grown by
    // less than a quarter of `budget` (it then stays over budget a little longer, as dirty
    // entries keep it anyway).
    void EvictIfNeeded(size_t budget, Lsn clean) EXCLUSIVE_LOCKS_REQUIRED(mu);
    size_t bytes() const EXCLUSIVE_LOCKS_REQUIRED(mu) { return bytes_; }
    // Complete: every key the store holds for `db` in this shard has an entry here, so a miss
    // is an absent key and needs no store read. The Keyspace says so for a database the store
    // holds nothing of (at start, or once a FLUSH has emptied it: Clear); dropping an entry
    // whose key may be in the store (evicting it, erasing an entry not known to be absent)
    // ends it.
    bool complete(DbIndex db) const EXCLUSIVE_LOCKS_REQUIRED(mu) { return complete_[db]; }
    void set_complete(DbIndex db) EXCLUSIVE_LOCKS_REQUIRED(mu) { complete_[db] = true; }

   private:
    friend class KeyTable;
    // One allocation per key: its entry, then its bytes. A lookup touches the Swiss table's
    // control bytes, its slot and the node (whose key is inline), where a map of std::string
    // keys also dereferences each key's own heap block.
    struct Node {
      Entry entry;
      uint32_t key_size;
      std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }
    };
    // A key looked up only to prefetch: equality with it prefetches the node and says "no", so
    // the probe never waits for the node's bytes.
    struct Prefetching {
      std::string_view key;
    };
    // Transparent hash and equality over nodes and string_views: lookups build nothing.
    struct Hash {
      using is_transparent = void;
      size_t operator()(std::string_view s) const;
      size_t operator()(const Node* n) const { return (*this)(n->key()); }
      size_t operator()(const Prefetching& p) const { return (*this)(p.key); }
    };
    struct Eq {
      using is_transparent = void;
      static std::string_view K(std::string_view s) { return s; }
      static std::string_view K(const Node* n) { return n->key(); }
      template <typename A, typename B>
      bool operator()(const A& a, const B& b) const {
        if constexpr (std::is_same_v<A, Prefetching>) {
          return Prefetch(b);
        } else if constexpr (std::is_same_v<B, Prefetching>) {
          return Prefetch(a);
        } else {
          return K(a) == K(b);
        }
      }
      static bool Prefetch(const Node* n);  // false
    };
    // The set owns its nodes (NewNode, FreeNode); nodes stay put when the set rehashes.
    using Map = absl::flat_hash_set<Node*, Hash, Eq>;

    static Node* NewNode(std::string_view key, Entry e);
    static void FreeNode(Node* n);
    // Drops the node `it` points to from `map`; other iterators stay valid.
    void EraseAt(Map& map, Map::iterator it) EXCLUSIVE_LOCKS_REQUIRED(mu);

    // The store may hold `e`'s key: dropping `e` leaves the shard incomplete for `db`.
    void Dropping(DbIndex db, const Entry& e) EXCLUSIVE_LOCKS_REQUIRED(mu) {
      if (e.present || !e.known) complete_[db] = false;
    }

    std::vector<Map> dbs_ GUARDED_BY(mu);
    std::vector<bool> complete_ GUARDED_BY(mu);
    size_t bytes_ GUARDED_BY(mu) = 0;
    // The CLOCK hand: a database and the key it stopped at (an iterator would not survive a
    // rehash).
    size_t hand_db_ GUARDED_BY(mu) = 0;
    std::string hand_key_ GUARDED_BY(mu);
    // The last scan saw no entry it could evict, as of `barren_clean_` and `barren_bytes_`.
    bool barren_ GUARDED_BY(mu) = false;
    Lsn barren_clean_ GUARDED_BY(mu) = 0;
    size_t barren_bytes_ GUARDED_BY(mu) = 0;
  };

  KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  static size_t ShardOf(std::string_view key);
  // A hint for the keys of a pipelined batch about to run: brings their entries into the CPU
  // cache, in two passes (the hash tables' slots, then the nodes they point to), so that the
  // cache misses of the batch overlap instead of stalling each lookup in turn. Changes
  // nothing; a shard another thread holds is skipped, and so is a shard too small to need it
  // (Shard::PrefetchSlots). Only the first 64 keys are looked at. Returns how many keys it
  // hinted (0: none was worth it).
  size_t Prefetch(DbIndex db, std::span<const std::string_view> keys);
  Shard& shard(size_t index) { return *shards_[index]; }
  Shard& shard_of(std::string_view key) { return *shards_[ShardOf(key)]; }

  // Locks the shards of a few keys, each once, in index order, for the object's lifetime;
  // with `lock` false it only lists them (the caller holds every shard already: AllShards).
  class ShardSet {
   public:
    ShardSet(KeyTable* table, std::span<const size_t> shard_ids, bool lock);
    ~ShardSet();
    ShardSet(const ShardSet&) = delete;
    ShardSet& operator=(const ShardSet&) = delete;
    std::span<const size_t> shards() const { return order_; }

   private:
    KeyTable* const table_;
    InlineBuffer<size_t, kInlineKeys> order_buf_;
    std::span<size_t> order_;
    const bool locked_;
  };

  // Locks every shard, in index order, until Release() or destruction.
  class AllShards {
   public:
    explicit AllShards(KeyTable* table);
    ~AllShards() { Release(); }
    AllShards(const AllShards&) = delete;
    AllShards& operator=(const AllShards&) = delete;
    void Release();

   private:
    KeyTable* const table_;
    bool held_ = true;
  };

  // The bytes held by all shards; with `locked` the caller holds every shard already.
  size_t bytes(bool locked) const;

 private:
  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace tally
