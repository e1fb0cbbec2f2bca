// Tally's counter commands over Keyspace::Update: INCREX with retry-safe request ids.
#include "tally/storage/keyspace.h"
#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"

namespace tally {
namespace {

using Mutation = Keyspace::Mutation;

// HistoryPrefix's [db][key length][key], then the id: ids of one key sort together.
std::string IdempotencyKey(DbIndex db, std::string_view key, std::string_view id) {
  std::string k = HistoryPrefix(db, key);
  k.append(id);
  return k;
}

// What INCREX writes: the new value, its expiry as the options say, or a delete when that
// expiry has passed.
Mutation IncrExWrite(const Keyspace::Value* current, std::string text, const IncrExOptions& o) {
  int64_t expire = current != nullptr ? current->expire_at_ms : 0;
  if (o.ttl == IncrExOptions::Ttl::kPersist) expire = 0;
  if (o.ttl == IncrExOptions::Ttl::kSet && !(o.enx && expire != 0)) expire = o.expire_at_ms;
  Mutation m;
  if (expire != 0 && expire <= NowMs()) {
    if (current != nullptr) m.op = Mutation::Op::kDelete;
    return m;
  }
  m.op = Mutation::Op::kPut;
  m.data = std::move(text);
  m.expire_at_ms = expire;
  return m;
}

}  // namespace

StatusOr<Written<IncrExReply>> Keyspace::IncrEx(DbIndex db, std::string_view key,
                                                const IncrExOptions& options,
                                                const RequestId* request) {
  IncrExReply reply;
  std::string id_key;
  if (request != nullptr) id_key = IdempotencyKey(db, key, request->id);
  const KeyRef refs[] = {{db, key}, {kIdempotencyDb, id_key}};
  std::span<const KeyRef> keys(refs, request != nullptr ? 2 : 1);
  auto lsn = Update(keys, [&](auto current, auto out) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    if (request != nullptr && current[1] != nullptr) {
      if (auto first = DecodeIncrExReply(current[1]->data)) {
        reply = *first;  // a retry: the first reply, nothing applied
        return Status::OK();
      }
    }
    if (request != nullptr && store_->count(kIdempotencyDb).keys >= request->max_ids)
      return Status::Of(Status::Code::kIdsFull);
    std::optional<std::string_view> text;
    if (current[0] != nullptr) text = current[0]->data;
    auto r = ApplyIncrEx(text, options);
    if (!r.ok()) return r.status();
    reply = r->reply;
    if (r->written) out[0] = IncrExWrite(current[0], std::move(r->new_text), options);
    if (request != nullptr) {
      out[1].op = Mutation::Op::kPut;
      out[1].data = EncodeIncrExReply(reply);
      out[1].expire_at_ms = NowMs() + request->window_ms;
    }
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<IncrExReply>{reply, *lsn};
}

int64_t Keyspace::system_keys(DbIndex db) const { return store_->count(db).keys; }

StatusOr<Written<ThrottleOutcome>> Keyspace::Throttle(DbIndex db, std::string_view key,
                                                      const ThrottleParams& params) {
  ThrottleOutcome outcome;
  std::string_view keys[] = {key};
  auto lsn = Update(db, keys, [&](auto current, auto out) -> Status {
    TALLY_RETURN_IF_ERROR(CheckString(current[0]));
    std::optional<int64_t> tat;
    if (current[0] != nullptr) {
      tat = ParseInt64(current[0]->data);
      if (!tat) return Status::NotInteger();
    }
    auto r = ApplyThrottle(tat, NowNs(), params);
    if (!r.ok()) return r.status();
    outcome = *r;
    if (outcome.write) {
      out[0].op = Mutation::Op::kPut;
      out[0].data = FormatInt64(outcome.new_tat);
      out[0].expire_at_ms = NowMs() + std::max<int64_t>(1, outcome.ttl_ns / 1'000'000);
    }
    return Status::OK();
  });
  if (!lsn.ok()) return lsn.status();
  return Written<ThrottleOutcome>{outcome, *lsn};
}

StatusOr<Written<std::vector<Keyspace::HistoryPoint>>> Keyspace::History(
    DbIndex db, std::string_view key, int64_t from_ms, int64_t to_ms, size_t count) {
  const Lsn lsn = log_->last_lsn();
  TALLY_RETURN_IF_ERROR(log_->WaitApplied(lsn));
  const bool keep_on_delete = !options_.history || options_.history->Current()->keep_on_delete;
  const std::string prefix = HistoryPrefix(db, key);
  // Without keep_on_delete the last delete decides what is shown, wherever it is: read it all.
  const std::string start =
      keep_on_delete && from_ms > 0 ? HistoryKey(db, key, from_ms - 1) : prefix;
  const int64_t now = NowMs();
  std::vector<HistoryPoint> points;
  Status decode_error;
  TALLY_RETURN_IF_ERROR(
      store_->ForEach(kHistoryDb, start, [&](std::string_view k, std::string_view v) {
        if (k.size() != prefix.size() + 8 || k.substr(0, prefix.size()) != prefix) return false;
        const int64_t at = HistoryTime(k.substr(prefix.size()));
        if (at > to_ms) return false;
        auto d = DecodeValue(v);
        if (!d.ok()) {
          decode_error = d.status();
          return false;
        }
        if (d->expire_at_ms != 0 && d->expire_at_ms <= now) return true;
        auto value = HistoryValue(d->payload);
        if (!value && !keep_on_delete) {
          points.clear();  // history before a delete is dropped
          return true;
        }
        if (at >= from_ms)
          points.push_back({at, value ? std::optional<std::string>(*value) : std::nullopt});
        return true;
      }));
  TALLY_RETURN_IF_ERROR(decode_error);
  if (count != 0 && points.size() > count) points.resize(count);
  return Written<std::vector<HistoryPoint>>{std::move(points), lsn};
}

}  // namespace tally
