// Redis 7 expiry semantics (expire.c) over Keyspace::Update.
#include "tally/storage/keyspace.h"
#include "tally/util/clock.h"

namespace tally {

StatusOr<Written<int64_t>> Keyspace::Expire(DbIndex db, std::string_view key, int64_t at_ms,
                                            int flags) {
  int64_t result = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto* out) -> Status {
    const Value* v = current[0];
    if (v == nullptr) return Status::OK();
    const int64_t cur = v->expire_at_ms == 0 ? -1 : v->expire_at_ms;
    if ((flags & kExpireNx) && cur != -1) return Status::OK();
    if ((flags & kExpireXx) && cur == -1) return Status::OK();
    // No TTL counts as infinite: GT never beats it, LT always does.
    if ((flags & kExpireGt) && (cur == -1 || at_ms <= cur)) return Status::OK();
    if ((flags & kExpireLt) && cur != -1 && at_ms >= cur) return Status::OK();
    result = 1;
    Mutation& m = (*out)[0];
    if (at_ms <= NowMs()) {
      m.op = Mutation::Op::kDelete;  // a time in the past deletes the key
    } else {
      m.op = Mutation::Op::kPut;
      m.data = v->data;
      m.expire_at_ms = at_ms;
    }
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

StatusOr<Written<int64_t>> Keyspace::Persist(DbIndex db, std::string_view key) {
  int64_t result = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto* out) -> Status {
    const Value* v = current[0];
    if (v == nullptr || v->expire_at_ms == 0) return Status::OK();
    result = 1;
    Mutation& m = (*out)[0];
    m.op = Mutation::Op::kPut;
    m.data = v->data;
    m.expire_at_ms = 0;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

StatusOr<Written<int64_t>> Keyspace::ExpireAt(DbIndex db, std::string_view key) {
  int64_t result = -2;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto*) -> Status {
    if (current[0] != nullptr)
      result = current[0]->expire_at_ms == 0 ? -1 : current[0]->expire_at_ms;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

}  // namespace tally
