// Redis 7 key-moving and range commands (db.c renameGenericCommand, copyCommand, moveCommand;
// t_string.c setrangeCommand, getrangeCommand) over Keyspace::Update.
#include "tally/storage/keyspace.h"

namespace tally {

using Op = Keyspace::Mutation::Op;

namespace {

Keyspace::Mutation PutValue(const Keyspace::Value& v) {
  Keyspace::Mutation m;
  m.op = Op::kPut;
  m.data = v.data;
  m.expire_at_ms = v.expire_at_ms;
  m.type = v.type;
  return m;
}

}  // namespace

StatusOr<Written<bool>> Keyspace::Transfer(const KeyRef (&keys)[2], bool overwrite,
                                           bool keep_source, bool missing_is_error) {
  bool done = false;
  auto lsn = Update(keys, [&](auto current, auto out) -> Status {
    if (current[0] == nullptr) return missing_is_error ? Status::NoSuchKey() : Status::OK();
    if (current[1] != nullptr && !overwrite) return Status::OK();
    out[1] = PutValue(*current[0]);
    if (!keep_source) out[0].op = Op::kDelete;
    done = true;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<bool>{done, *lsn};
}

StatusOr<Written<bool>> Keyspace::Rename(DbIndex db, std::string_view from, std::string_view to,
                                         bool nx) {
  if (from == to) {  // nothing moves, but a missing key is still an error
    std::string_view keys[] = {from};
    auto exists = Exists(db, keys);
    if (!exists.ok()) return exists.status();
    if (exists->value == 0) return Status::NoSuchKey();
    return Written<bool>{!nx, exists->lsn};
  }
  return Transfer({{db, from}, {db, to}}, /*overwrite=*/!nx, /*keep_source=*/false,
                  /*missing_is_error=*/true);
}

StatusOr<Written<bool>> Keyspace::Copy(DbIndex db, std::string_view from, DbIndex to_db,
                                       std::string_view to, bool replace) {
  return Transfer({{db, from}, {to_db, to}}, replace, /*keep_source=*/true,
                  /*missing_is_error=*/false);
}

StatusOr<Written<bool>> Keyspace::Move(DbIndex db, std::string_view key, DbIndex to_db) {
  return Transfer({{db, key}, {to_db, key}}, /*overwrite=*/false, /*keep_source=*/false,
                  /*missing_is_error=*/false);
}

StatusOr<Written<int64_t>> Keyspace::SetRange(DbIndex db, std::string_view key, int64_t offset,
                                              std::string_view value, int64_t max_len) {
  int64_t length = 0;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    const Value* old = current[0];
    length = old ? static_cast<int64_t>(old->data.size()) : 0;
    if (value.empty()) return Status::OK();  // nothing to set: the length (or 0)
    if (offset + static_cast<int64_t>(value.size()) > max_len)
      return Status::InvalidArgument("string exceeds maximum allowed size (proto-max-bulk-len)");
    std::string data = old ? old->data : std::string();
    if (data.size() < offset + value.size()) data.resize(offset + value.size(), '\0');
    data.replace(offset, value.size(), value);
    length = static_cast<int64_t>(data.size());
    Mutation& m = out[0];
    m.op = Op::kPut;
    m.data = std::move(data);
    m.expire_at_ms = old ? old->expire_at_ms : 0;
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{length, *lsn};
}

StatusOr<Written<std::string>> Keyspace::GetRange(DbIndex db, std::string_view key, int64_t start,
                                                  int64_t end) {
  std::string result;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    if (current[0] == nullptr) return Status::OK();
    const std::string& s = current[0]->data;
    const int64_t len = static_cast<int64_t>(s.size());
    if (start < 0 && end < 0 && start > end) return Status::OK();
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len == 0) return Status::OK();
    result = s.substr(start, end - start + 1);
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<std::string>{std::move(result), *lsn};
}

}  // namespace tally
