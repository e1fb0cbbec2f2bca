// TALLY.ALERT's rules over Keyspace::Update (kAlertDb) and their in-memory copy.
#include "tally/storage/keyspace.h"
#include "tally/storage/value_codec.h"

namespace tally {

StatusOr<Written<int64_t>> Keyspace::EditAlerts(
    DbIndex db, std::string_view key, FunctionRef<int64_t(std::vector<AlertRule>*)> edit) {
  int64_t result = 0;
  const std::string rules_key = AlertKey(db, key);
  const KeyRef refs[] = {{kAlertDb, rules_key}};
  auto lsn = Update(refs, [&](auto current, auto out) -> Status {
    std::vector<AlertRule> rules;
    if (current[0] != nullptr) {
      auto decoded = DecodeAlertRules(current[0]->data);
      if (!decoded) return Status::Corruption("bad alert rules for a key");
      rules = std::move(*decoded);
    }
    result = edit(&rules);
    if (rules.empty()) {
      if (current[0] != nullptr) out[0].op = Mutation::Op::kDelete;
    } else {
      out[0].op = Mutation::Op::kPut;
      out[0].data = EncodeAlertRules(rules);
    }
    // Under the rules key's shard lock: edits of one key reach memory in log order.
    alerts_.Replace(db, key, std::move(rules));
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<int64_t>{result, *lsn};
}

Status Keyspace::LoadAlerts() {
  Status bad;
  TALLY_RETURN_IF_ERROR(store_->ForEach(kAlertDb, "", [&](std::string_view k, std::string_view v) {
    auto value = DecodeValue(v);
    auto rules = value.ok() ? DecodeAlertRules(value->payload) : std::nullopt;
    if (k.empty() || !rules) {
      bad = Status::Corruption("bad alert rules in the store");
      return false;
    }
    alerts_.Replace(static_cast<DbIndex>(k[0]), k.substr(1), std::move(*rules));
    return true;
  }));
  return bad;
}

}  // namespace tally
