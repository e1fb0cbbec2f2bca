// Lists over Keyspace::Update: each list is one value (value_codec.h), decoded for an edit and
// written back whole when the edit changes it.
#include "tally/storage/keyspace.h"
#include "tally/storage/value_codec.h"

namespace tally {

StatusOr<Lsn> Keyspace::EditLists(DbIndex db, std::span<const std::string_view> keys, ListFn fn,
                                  size_t max_bytes) {
  return Update(db, keys, [&](auto current, auto out) -> Status {
    std::vector<ListEdit> lists(keys.size());
    std::vector<ListEdit*> view(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      for (size_t j = 0; j < i && view[i] == nullptr; ++j)
        if (keys[j] == keys[i]) view[i] = view[j];
      if (view[i] != nullptr) continue;
      view[i] = &lists[i];
      const Value* v = current[i];
      if (v == nullptr) continue;
      if (v->type != ValueType::kList) {
        lists[i].wrong_type = true;
        continue;
      }
      TALLY_RETURN_IF_ERROR(DecodeList(v->data, &lists[i].items));
      lists[i].exists = true;
    }
    TALLY_RETURN_IF_ERROR(fn(view));
    for (size_t i = 0; i < keys.size(); ++i) {
      ListEdit& l = lists[i];
      if (view[i] != &l || !l.changed) continue;
      if (l.wrong_type) return Status::WrongType();
      if (l.items.empty()) {
        if (l.exists) out[i].op = Mutation::Op::kDelete;
        continue;
      }
      out[i].op = Mutation::Op::kPut;
      out[i].data = EncodeList(l.items);
      if (out[i].data.size() > max_bytes) return Status::Of(Status::Code::kTooLarge);
      out[i].type = ValueType::kList;
      out[i].expire_at_ms = current[i] != nullptr ? current[i]->expire_at_ms : 0;
    }
    return Status::OK();
  });
}

StatusOr<Written<std::optional<Keyspace::Value>>> Keyspace::Read(DbIndex db, std::string_view key) {
  std::optional<Value> result;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto) -> Status {
    if (current[0] != nullptr) result = *current[0];
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<std::optional<Value>>{std::move(result), *lsn};
}

}  // namespace tally
