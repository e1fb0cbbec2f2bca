// Whole-keyspace reads (SCAN, KEYS, RANDOMKEY). They first wait until RocksDB has every write
// made before the call, then iterate RocksDB in key order, skipping expired values; the reply
// waits for those writes to be acknowledged like any other read.
#include <random>

#include "tally/storage/keyspace.h"
#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"

namespace tally {

namespace {
constexpr size_t kMaxCursors = 16384;
}

StatusOr<Written<Keyspace::ScanResult>> Keyspace::Scan(DbIndex db, std::string_view after,
                                                       size_t count) {
  Lsn lsn = log_->last_lsn();
  TALLY_RETURN_IF_ERROR(log_->WaitApplied(lsn));
  ScanResult result;
  result.done = true;
  const int64_t now = NowMs();
  Status decode_error;
  TALLY_RETURN_IF_ERROR(store_->ForEach(db, after, [&](std::string_view key, std::string_view v) {
    if (count != 0 && result.keys.size() >= count) {
      result.done = false;
      return false;
    }
    auto d = DecodeValue(v);
    if (!d.ok()) {
      decode_error = d.status();
      return false;
    }
    if (d->expire_at_ms == 0 || d->expire_at_ms > now) {
      result.keys.emplace_back(key);
      result.types.push_back(d->type);
    }
    return true;
  }));
  TALLY_RETURN_IF_ERROR(decode_error);
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
  MutexLock l(&cursors_mu_);
  uint64_t id = ++next_cursor_;
  cursors_[id] = std::move(key);
  cursor_order_.push_back(id);
  while (cursor_order_.size() > kMaxCursors) {
    cursors_.erase(cursor_order_.front());
    cursor_order_.pop_front();
  }
  return id;
}

std::string Keyspace::LoadCursor(uint64_t cursor) {
  MutexLock l(&cursors_mu_);
  auto it = cursors_.find(cursor);
  return it == cursors_.end() ? std::string() : it->second;
}

}  // namespace tally
