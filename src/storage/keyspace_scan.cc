// Whole-keyspace reads (SCAN, KEYS, RANDOMKEY). They first wait until RocksDB has every write
// made before the call, then iterate RocksDB in key order, skipping expired values; the reply
// waits for those writes to be acknowledged like any other read. Inside a transaction, SCAN
// also sees what the transaction has written so far (its records are not in RocksDB yet).
#include <map>
#include <random>

#include "tally/storage/keyspace.h"
#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"

namespace tally {

namespace {
constexpr size_t kMaxCursors = 16384;

// What a transaction has done to one database so far: the keys it wrote, each with its last
// value (nullopt: deleted; payloads point into the records), and whether it flushed the
// database, which hides everything RocksDB holds.
struct TxnChanges {
  std::map<std::string, std::optional<DecodedValue>, std::less<>> keys;
  bool flushed = false;
};

StatusOr<TxnChanges> ChangesTo(DbIndex db, std::span<const Record> records) {
  TxnChanges changes;
  for (const Record& r : records) {
    if (r.kind == Record::Kind::kFlushAll || (r.kind == Record::Kind::kFlushDb && r.db == db)) {
      changes.keys.clear();
      changes.flushed = true;
    } else if (r.db == db && r.kind == Record::Kind::kPut) {
      auto d = DecodeValue(r.value);
      if (!d.ok()) return d.status();
      changes.keys[r.key] = *d;
    } else if (r.db == db && r.kind == Record::Kind::kDelete) {
      changes.keys[r.key] = std::nullopt;
    }
  }
  return changes;
}
}  // namespace

StatusOr<Written<Keyspace::ScanResult>> Keyspace::Scan(DbIndex db, std::string_view after,
                                                       size_t count) {
  Lsn lsn = log_->last_lsn();
  TALLY_RETURN_IF_ERROR(log_->WaitApplied(lsn));
  TxnChanges txn;
  if (scope_ != nullptr) {
    auto changes = ChangesTo(db, scope_->records_);
    if (!changes.ok()) return changes.status();
    txn = std::move(*changes);
  }
  ScanResult result;
  result.done = true;
  const int64_t now = NowMs();
  // Adds a key unless it expired; false (and not done) once `count` keys are in.
  auto add = [&](std::string_view key, const DecodedValue& d) {
    if (count != 0 && result.keys.size() >= count) {
      result.done = false;
      return false;
    }
    if (d.expire_at_ms == 0 || d.expire_at_ms > now) {
      result.keys.emplace_back(key);
      result.types.push_back(d.type);
    }
    return true;
  };
  // The transaction's keys, merged in key order into RocksDB's.
  auto next = after.empty() ? txn.keys.begin() : txn.keys.upper_bound(after);
  auto add_txn_keys_before = [&](const std::string_view* key) {
    for (; next != txn.keys.end() && (key == nullptr || next->first < *key); ++next) {
      if (next->second && !add(next->first, *next->second)) return false;
    }
    return true;
  };
  Status decode_error;
  if (!txn.flushed) {
    TALLY_RETURN_IF_ERROR(store_->ForEach(db, after, [&](std::string_view key, std::string_view v) {
      if (!add_txn_keys_before(&key)) return false;
      if (next != txn.keys.end() && next->first == key) {  // the transaction's value wins
        const std::optional<DecodedValue>& mine = (next++)->second;
        return !mine || add(key, *mine);
      }
      auto d = DecodeValue(v);
      if (!d.ok()) {
        decode_error = d.status();
        return false;
      }
      return add(key, *d);
    }));
    TALLY_RETURN_IF_ERROR(decode_error);
  }
  if (result.done) add_txn_keys_before(nullptr);
  return Written<ScanResult>{std::move(result), lsn};
}

StatusOr<Written<std::optional<std::string>>> Keyspace::RandomKey(DbIndex db) {
  Lsn lsn = log_->last_lsn();
  TALLY_RETURN_IF_ERROR(log_->WaitApplied(lsn));
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::optional<std::string> found;
  const int64_t now = NowMs();
  // Seek to a random point of the key space; wrap around once.
  std::string start(8, '\0');
  uint64_t r = rng();
  for (int i = 0; i < 8; ++i) start[i] = static_cast<char>((r >> (56 - 8 * i)) & 0xff);
  for (std::string_view from : {std::string_view(start), std::string_view()}) {
    TALLY_RETURN_IF_ERROR(store_->ForEach(db, from, [&](std::string_view key, std::string_view v) {
      auto d = DecodeValue(v);
      if (d.ok() && (d->expire_at_ms == 0 || d->expire_at_ms > now)) {
        found.emplace(key);
        return false;
      }
      return true;
    }));
    if (found) break;
  }
  return Written<std::optional<std::string>>{std::move(found), lsn};
}

uint64_t Keyspace::SaveCursor(std::string key) {
  MutexLock l(&cursors_.mu);
  uint64_t id = ++cursors_.next;
  cursors_.keys[id] = std::move(key);
  cursors_.order.push_back(id);
  while (cursors_.order.size() > kMaxCursors) {
    cursors_.keys.erase(cursors_.order.front());
    cursors_.order.pop_front();
  }
  return id;
}

std::string Keyspace::LoadCursor(uint64_t cursor) {
  MutexLock l(&cursors_.mu);
  auto it = cursors_.keys.find(cursor);
  return it == cursors_.keys.end() ? std::string() : it->second;
}

}  // namespace tally
