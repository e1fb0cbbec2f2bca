// Store's key counts (what records do to them, and the deltas of records written blind) and
// memory figures.
#include <absl/container/flat_hash_map.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <utility>

#include "tally/storage/key_order.h"
#include "tally/storage/store.h"
#include "tally/storage/value_codec.h"

namespace tally {
namespace {

// A key's state before or after a record.
enum class KeyState : uint8_t { kAbsent, kPlain, kVolatile };

KeyState StateAfter(const Record& r) {
  if (r.kind != Record::Kind::kPut) return KeyState::kAbsent;
  bool volatile_key = false;
  if (r.blind()) {
    volatile_key = r.expires_delta != 0;
  } else {
    auto decoded = DecodeValue(r.value);
    volatile_key = decoded.ok() && decoded->expire_at_ms != 0;
  }
  return volatile_key ? KeyState::kVolatile : KeyState::kPlain;
}

CountDelta BlindDelta(const Record& r, KeyState before) {
  const int8_t existed = before != KeyState::kAbsent ? 1 : 0;
  const int8_t had_expiry = before == KeyState::kVolatile ? 1 : 0;
  if (r.kind == Record::Kind::kPut)
    return CountDelta{static_cast<int8_t>(1 - existed),
                      static_cast<int8_t>(r.expires_delta - had_expiry)};
  return CountDelta{static_cast<int8_t>(-existed), static_cast<int8_t>(-had_expiry)};
}

}  // namespace

void AddToCounts(const Record& r, CountDelta delta, std::vector<KeyCounts>* counts) {
  if (r.kind == Record::Kind::kFlushAll) {
    std::fill(counts->begin(), counts->begin() + std::min<size_t>(counts->size(), kFirstSystemDb),
              KeyCounts{});
  }
  if (r.db >= counts->size()) return;
  if (r.kind == Record::Kind::kFlushDb) (*counts)[r.db] = KeyCounts{};
  (*counts)[r.db].keys += delta.keys;
  (*counts)[r.db].expires += delta.expires;
}

Store::MemoryUsage Store::memory() const {
  MemoryUsage m;
  if (!db_) return m;
  db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &m.memtables);
  db_->GetIntProperty(data_cf_, "rocksdb.block-cache-usage", &m.block_cache);
  return m;
}

std::vector<KeyCounts> Store::counts() const {
  MutexLock l(&counts_mu_);
  return counts_;
}

KeyCounts Store::count(DbIndex db) const {
  MutexLock l(&counts_mu_);
  return db < counts_.size() ? counts_[db] : KeyCounts{};
}

Status Store::ResolveDeltas(std::span<const Record> records, std::vector<CountDelta>* out) const {
  out->clear();
  bool any_blind = false;
  for (const Record& r : records) {
    out->push_back(CountDelta{r.keys_delta, r.expires_delta});
    any_blind |= r.blind();
  }
  if (!any_blind) return Status::OK();

  // Walk the records in order, remembering each key's last record and each database's last
  // flush; blind records whose key has neither are looked up in RocksDB afterwards.
  using KeyId = std::pair<DbIndex, std::string_view>;
  absl::flat_hash_map<KeyId, std::pair<size_t, KeyState>> last;  // -> (record, state after)
  std::vector<ptrdiff_t> flushed(256, -1);                       // per database: last flush
  std::vector<uint32_t> lookups;                                 // records to resolve from RocksDB
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.kind == Record::Kind::kFlushAll) {
      std::fill(flushed.begin(), flushed.begin() + kFirstSystemDb, static_cast<ptrdiff_t>(i));
      continue;
    }
    if (r.kind == Record::Kind::kFlushDb) flushed[r.db] = static_cast<ptrdiff_t>(i);
    if (r.kind != Record::Kind::kPut && r.kind != Record::Kind::kDelete) continue;
    auto [it, inserted] = last.try_emplace(KeyId{r.db, r.key});
    if (r.blind()) {
      const bool seen = !inserted && static_cast<ptrdiff_t>(it->second.first) > flushed[r.db];
      if (seen) {
        (*out)[i] = BlindDelta(r, it->second.second);
      } else if (flushed[r.db] >= 0) {
        (*out)[i] = BlindDelta(r, KeyState::kAbsent);
      } else {
        lookups.push_back(static_cast<uint32_t>(i));
      }
    }
    it->second = {i, StateAfter(r)};
  }
  if (lookups.empty()) return Status::OK();

  // Each key is looked up once (its first blind record); in key order, which RocksDB would
  // otherwise sort itself, slower (through its comparator, on a vector of pointers).
  SortByKey(records, &lookups);
  // In chunks: RocksDB builds a context per key of a call, in a vector it grows one key at a
  // time, and a call for a whole replay batch (100k keys) spent more there than on the reads.
  constexpr size_t kChunk = 256;
  std::vector<std::string> keys(kChunk);
  std::vector<rocksdb::Slice> slices(kChunk);
  std::vector<rocksdb::PinnableSlice> values(kChunk);
  std::vector<rocksdb::Status> statuses(kChunk);
  for (size_t first = 0; first < lookups.size(); first += kChunk) {
    const size_t n = std::min(kChunk, lookups.size() - first);
    for (size_t j = 0; j < n; ++j) {
      const Record& r = records[lookups[first + j]];
      keys[j] = DataKey(r.db, r.key);
      slices[j] = keys[j];
      values[j].Reset();
    }
    db_->MultiGet(rocksdb::ReadOptions(), data_cf_, n, slices.data(), values.data(),
                  statuses.data(), /*sorted_input=*/true);
    for (size_t j = 0; j < n; ++j) {
      KeyState before = KeyState::kAbsent;
      if (statuses[j].ok()) {
        auto decoded = DecodeValue(values[j].ToStringView());
        if (!decoded.ok()) return decoded.status();
        before = decoded->expire_at_ms != 0 ? KeyState::kVolatile : KeyState::kPlain;
      } else if (!statuses[j].IsNotFound()) {
        return Status::IOError(statuses[j].ToString());
      }
      (*out)[lookups[first + j]] = BlindDelta(records[lookups[first + j]], before);
    }
  }
  return Status::OK();
}

}  // namespace tally
