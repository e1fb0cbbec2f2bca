// Redis 7 string and keyspace semantics (t_string.c, db.c, expire.c) over Keyspace::Update.
#include <cmath>
#include <limits>
#include <unordered_set>

#include "tally/storage/keyspace.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"

namespace tally {

using Op = Keyspace::Mutation::Op;

namespace {

Keyspace::Mutation Put(std::string data, int64_t expire_at_ms) {
  Keyspace::Mutation m;
  m.op = Op::kPut;
  m.data = std::move(data);
  m.expire_at_ms = expire_at_ms;
  return m;
}

Keyspace::Mutation Delete() {
  Keyspace::Mutation m;
  m.op = Op::kDelete;
  return m;
}

}  // namespace

StatusOr<Written<int64_t>> Keyspace::IncrBy(DbIndex db, std::string_view key, int64_t delta) {
  int64_t result = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    int64_t value = 0;
    int64_t expire = 0;
    if (current[0] != nullptr) {
      auto v = ParseInt64(current[0]->data);
      if (!v) return Status::NotInteger();
      value = *v;
      expire = current[0]->expire_at_ms;
    }
    if ((delta < 0 && value < 0 && delta < std::numeric_limits<int64_t>::min() - value) ||
        (delta > 0 && value > 0 && delta > std::numeric_limits<int64_t>::max() - value)) {
      return Status::Overflow();
    }
    result = value + delta;
    out[0] = Put(FormatInt64(result), expire);
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

StatusOr<Written<std::string>> Keyspace::IncrByFloat(DbIndex db, std::string_view key,
                                                     std::string_view increment) {
  std::string result;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    long double value = 0;
    int64_t expire = 0;
    if (current[0] != nullptr) {
      auto v = ParseLongDouble(current[0]->data);
      if (!v) return Status::NotFloat();
      value = *v;
      expire = current[0]->expire_at_ms;
    }
    auto delta = ParseLongDouble(increment);
    if (!delta) return Status::NotFloat();
    value += *delta;
    if (std::isnan(value) || std::isinf(value)) return Status::NanOrInfinity();
    result = FormatLongDouble(value);
    out[0] = Put(result, expire);
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<std::string>{std::move(result), *lsn};
}

StatusOr<Written<std::optional<std::string>>> Keyspace::Get(DbIndex db, std::string_view key) {
  std::optional<std::string> result;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    if (current[0] != nullptr) result = current[0]->data;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<std::optional<std::string>>{std::move(result), *lsn};
}

StatusOr<Written<SetResult>> Keyspace::Set(DbIndex db, std::string_view key, std::string_view value,
                                           const SetOptions& options) {
  SetResult result;
  std::string_view keys[] = {key};
  // A plain SET neither reads nor keeps anything of the old value: it need not look it up.
  const bool blind = options.cond == SetOptions::Cond::kNone && !options.get && !options.keep_ttl;
  auto lsn = Update(
      db, keys,
      [&](auto current, auto out) -> Status {
        const Value* old = current[0];
        if (options.get) TALLY_RETURN_IF_ERROR(CheckString(old));
        if (options.get && old != nullptr) result.old = old->data;
        if ((options.cond == SetOptions::Cond::kNx && old != nullptr) ||
            (options.cond == SetOptions::Cond::kXx && old == nullptr)) {
          return Status::OK();
        }
        result.written = true;
        int64_t expire = options.expire_at_ms;
        if (options.keep_ttl && old != nullptr) expire = old->expire_at_ms;
        if (expire != 0 && expire <= NowMs()) {
          out[0] = Delete();  // already expired (EXAT/PXAT in the past): the key is gone
        } else {
          out[0] = Put(std::string(value), expire);
        }
        return Status::OK();
      },
      blind ? Access::kBlind : Access::kRead);
  if (!lsn.ok()) return lsn.status();
  return Written<SetResult>{std::move(result), *lsn};
}

StatusOr<Written<std::optional<std::string>>> Keyspace::GetDel(DbIndex db, std::string_view key) {
  return GetEx(db, key, ExpireChange{ExpireChange::Kind::kDelete, 0});
}

StatusOr<Written<std::optional<std::string>>> Keyspace::GetEx(DbIndex db, std::string_view key,
                                                              ExpireChange change) {
  std::optional<std::string> result;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    const Value* old = current[0];
    if (old == nullptr) return Status::OK();
    result = old->data;
    if (change.kind == ExpireChange::Kind::kPersist && old->expire_at_ms != 0) {
      out[0] = Put(old->data, 0);
    } else if (change.kind == ExpireChange::Kind::kDelete) {
      out[0] = Delete();
    } else if (change.kind == ExpireChange::Kind::kAt) {
      if (change.at_ms <= NowMs()) {
        out[0] = Delete();
      } else {
        out[0] = Put(old->data, change.at_ms);
      }
    }
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<std::optional<std::string>>{std::move(result), *lsn};
}

StatusOr<Written<int64_t>> Keyspace::Append(DbIndex db, std::string_view key,
                                            std::string_view value, int64_t max_len) {
  int64_t length = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    const Value* old = current[0];
    size_t old_len = old ? old->data.size() : 0;
    if (static_cast<int64_t>(old_len + value.size()) > max_len) {
      return Status::InvalidArgument("string exceeds maximum allowed size (proto-max-bulk-len)");
    }
    std::string data = old ? old->data : std::string();
    data.append(value);
    length = static_cast<int64_t>(data.size());
    out[0] = Put(std::move(data), old ? old->expire_at_ms : 0);
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{length, *lsn};
}

StatusOr<Written<int64_t>> Keyspace::StrLen(DbIndex db, std::string_view key) {
  int64_t length = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    if (current[0] != nullptr) length = static_cast<int64_t>(current[0]->data.size());
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{length, *lsn};
}

StatusOr<Written<std::vector<std::optional<std::string>>>> Keyspace::MGet(
    DbIndex db, std::span<const std::string_view> keys) {
  std::vector<std::optional<std::string>> result(keys.size());
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    for (size_t i = 0; i < keys.size(); ++i)
      if (current[i] != nullptr && current[i]->type == ValueType::kString)
        result[i] = current[i]->data;  // MGET answers nil for a value of another type
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<std::vector<std::optional<std::string>>>{std::move(result), *lsn};
}

StatusOr<Written<bool>> Keyspace::MSet(DbIndex db, std::span<const std::string_view> pairs,
                                       bool only_if_none_exist) {
  std::vector<std::string_view> keys;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) keys.push_back(pairs[i]);
  bool written = false;
  auto lsn = Update(
      db, keys,
      [&](auto current, auto out) -> Status {
        if (only_if_none_exist) {
          for (const Value* v : current)
            if (v != nullptr) return Status::OK();
        }
        for (size_t i = 0; i < keys.size(); ++i) out[i] = Put(std::string(pairs[2 * i + 1]), 0);
        written = true;
        return Status::OK();
      },
      only_if_none_exist ? Access::kRead : Access::kBlind);
  if (!lsn.ok()) return lsn.status();
  return Written<bool>{written, *lsn};
}

StatusOr<Written<int64_t>> Keyspace::Del(DbIndex db, std::span<const std::string_view> keys) {
  int64_t deleted = 0;
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    std::unordered_set<std::string_view> seen;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (current[i] == nullptr || !seen.insert(keys[i]).second) continue;
      out[i] = Delete();
      ++deleted;
    }
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{deleted, *lsn};
}

StatusOr<Written<int64_t>> Keyspace::Exists(DbIndex db, std::span<const std::string_view> keys) {
  int64_t count = 0;
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    for (const Value* v : current) count += v != nullptr;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{count, *lsn};
}

StatusOr<Written<int64_t>> Keyspace::PTtl(DbIndex db, std::string_view key) {
  int64_t ttl = -2;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    if (current[0] == nullptr) return Status::OK();
    if (current[0]->expire_at_ms == 0) {
      ttl = -1;
    } else {
      ttl = std::max<int64_t>(0, current[0]->expire_at_ms - NowMs());
    }
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{ttl, *lsn};
}

}  // namespace tally
