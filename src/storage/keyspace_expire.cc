// Redis 7 expiry semantics (expire.c) over Keyspace::Update.
#include "tally/storage/keyspace.h"
#include "tally/util/clock.h"

namespace tally {

StatusOr<Written<int64_t>> Keyspace::Expire(DbIndex db, std::string_view key, int64_t at_ms,
                                            int flags) {
  int64_t result = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    const Value* v = current[0];
    if (v == nullptr) return Status::OK();
    const int64_t cur = v->expire_at_ms == 0 ? -1 : v->expire_at_ms;
    if ((flags & kExpireNx) && cur != -1) return Status::OK();
    if ((flags & kExpireXx) && cur == -1) return Status::OK();
    // No TTL counts as infinite: GT never beats it, LT always does.
    if ((flags & kExpireGt) && (cur == -1 || at_ms <= cur)) return Status::OK();
    if ((flags & kExpireLt) && cur != -1 && at_ms >= cur) return Status::OK();
    result = 1;
    Mutation& m = out[0];
    if (at_ms <= NowMs()) {
      m.op = Mutation::Op::kDelete;  // a time in the past deletes the key
    } else {
      m.op = Mutation::Op::kPut;
      m.data = v->data;
      m.type = v->type;
      m.expire_at_ms = at_ms;
    }
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

size_t Keyspace::ActiveExpireCycle(int64_t now_ms, size_t max_keys) {
  if (!log_->healthy()) return 0;
  // The previous cycle's watermark holds once its deletes are on disk.
  if (options_.expired_before && pending_watermark_ != 0 &&
      log_->durable_lsn() >= pending_watermark_lsn_) {
    options_.expired_before->store(pending_watermark_, std::memory_order_release);
    pending_watermark_ = 0;
  }
  const size_t budget = max_keys;
  size_t handled = 0;
  // The scan reads RocksDB's expiry index, which lacks the TTLs of records not yet applied: it
  // can vouch for every key due at now_ms only if everything written before it was applied.
  const Lsn written = log_->last_lsn();
  const bool whole_index = log_->applied_lsn() >= written;
  std::vector<int> dbs;
  for (int db = 0; db < options_.databases; ++db) dbs.push_back(db);
  dbs.insert(dbs.end(), {kHistoryDb, kIdempotencyDb});
  for (int db : dbs) {
    if (max_keys == 0) break;
    std::vector<std::pair<int64_t, std::string>> due;
    Status st =
        store_->ForEachDue(static_cast<DbIndex>(db), now_ms, [&](int64_t at, std::string_view key) {
          due.emplace_back(at, std::string(key));
          return due.size() < max_keys;
        });
    if (!st.ok() || due.empty()) continue;
    max_keys -= due.size();
    std::vector<Record> unindex;
    for (const auto& [at, key] : due) {
      // Looking the key up is enough: every access deletes an expired key. A key re-set with a
      // later (or no) expiry since is left alone; either way the index entry goes.
      std::string_view keys[] = {key};
      auto lsn = Update(static_cast<DbIndex>(db), keys, [](auto, auto) { return Status::OK(); });
      if (!lsn.ok()) continue;
      ++handled;
      Record r;
      r.kind = Record::Kind::kUnindexExpiry;
      r.db = static_cast<DbIndex>(db);
      r.key = key;
      for (int i = 0; i < 8; ++i)
        r.value.push_back(static_cast<char>((static_cast<uint64_t>(at) >> (8 * i)) & 0xff));
      unindex.push_back(std::move(r));
    }
    if (!unindex.empty()) log_->Append(std::move(unindex));
  }
  if (handled < budget && pending_watermark_ == 0 && whole_index) {
    // Every key due at now_ms is deleted (or its deletion queued): once that is durable, no live
    // value has an expiry at or before now_ms.
    pending_watermark_ = now_ms;
    pending_watermark_lsn_ = log_->last_lsn();
  }
  return handled;
}

int64_t Keyspace::AverageTtl(DbIndex db, int64_t now_ms) const {
  int64_t sum = 0, n = 0;
  Status st = store_->ForEachUpcoming(db, now_ms, 1000, [&](int64_t at) {
    sum += at - now_ms;
    ++n;
  });
  return (st.ok() && n > 0) ? sum / n : 0;
}

StatusOr<Written<int64_t>> Keyspace::Persist(DbIndex db, std::string_view key) {
  int64_t result = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    const Value* v = current[0];
    if (v == nullptr || v->expire_at_ms == 0) return Status::OK();
    result = 1;
    Mutation& m = out[0];
    m.op = Mutation::Op::kPut;
    m.data = v->data;
    m.type = v->type;
    m.expire_at_ms = 0;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

StatusOr<Written<int64_t>> Keyspace::ExpireAt(DbIndex db, std::string_view key) {
  int64_t result = -2;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    if (current[0] != nullptr)
      result = current[0]->expire_at_ms == 0 ? -1 : current[0]->expire_at_ms;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

}  // namespace tally
