#include "tally/storage/events.h"

#include "tally/util/numbers.h"

namespace tally {
namespace {

long double NumberOr0(const std::string* text) {
  if (text == nullptr) return 0;
  auto v = ParseLongDouble(*text);
  return v ? *v : 0;
}

void PutLength(std::string* out, size_t n) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((n >> shift) & 0xff));
}

bool GetField(std::string_view* in, std::string_view* field) {
  if (in->size() < 4) return false;
  size_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>((*in)[i]);
  if (in->size() < 4 + n) return false;
  *field = in->substr(4, n);
  in->remove_prefix(4 + n);
  return true;
}

}  // namespace

std::vector<AlertRule> AlertRules::For(DbIndex db, std::string_view key) const {
  MutexLock l(&mu_);
  auto it = rules_.find(std::make_pair(db, std::string(key)));
  return it == rules_.end() ? std::vector<AlertRule>{} : it->second;
}

void AlertRules::Replace(DbIndex db, std::string_view key, std::vector<AlertRule> rules) {
  MutexLock l(&mu_);
  auto k = std::make_pair(db, std::string(key));
  auto it = rules_.find(k);
  size_t count = count_.load(std::memory_order_relaxed);
  if (it != rules_.end()) {
    count -= it->second.size();
    rules_.erase(it);
  }
  count += rules.size();
  if (!rules.empty()) rules_.emplace(std::move(k), std::move(rules));
  count_.store(count, std::memory_order_relaxed);
}

std::vector<AlertRules::Entry> AlertRules::All() const {
  MutexLock l(&mu_);
  std::vector<Entry> out;
  for (const auto& [k, rules] : rules_)
    for (const AlertRule& r : rules) out.push_back({k.first, k.second, r});
  return out;
}

void CollectEvents(const AlertRules& rules, bool changes, DbIndex db, std::string_view key,
                   const std::string* before, const std::string* after, int64_t now_ms,
                   std::vector<KeyEvent>* out) {
  auto event = [&](KeyEvent::Kind kind) {
    KeyEvent e;
    e.kind = kind;
    e.db = db;
    e.key.assign(key);
    if (after != nullptr) e.value = *after;
    e.time_ms = now_ms;
    return e;
  };
  if (changes) out->push_back(event(KeyEvent::Kind::kChange));
  if (rules.empty()) return;
  std::vector<AlertRule> mine = rules.For(db, key);
  if (mine.empty()) return;
  const long double was = NumberOr0(before), now = NumberOr0(after);
  for (AlertRule& r : mine) {
    const bool crossed =
        r.above ? (was <= r.value && now > r.value) : (was >= r.value && now < r.value);
    if (!crossed) continue;
    KeyEvent e = event(KeyEvent::Kind::kAlert);
    e.rule = std::move(r);
    out->push_back(std::move(e));
  }
}

std::string AlertKey(DbIndex db, std::string_view key) {
  std::string k(1, static_cast<char>(db));
  k.append(key);
  return k;
}

std::string EncodeAlertRules(const std::vector<AlertRule>& rules) {
  std::string out;
  for (const AlertRule& r : rules) {
    out.push_back(r.above ? 'A' : 'B');
    PutLength(&out, r.threshold.size());
    out.append(r.threshold);
    PutLength(&out, r.channel.size());
    out.append(r.channel);
  }
  return out;
}

std::optional<std::vector<AlertRule>> DecodeAlertRules(std::string_view in) {
  std::vector<AlertRule> rules;
  while (!in.empty()) {
    AlertRule r;
    if (in[0] != 'A' && in[0] != 'B') return std::nullopt;
    r.above = in[0] == 'A';
    in.remove_prefix(1);
    std::string_view threshold, channel;
    if (!GetField(&in, &threshold) || !GetField(&in, &channel)) return std::nullopt;
    auto v = ParseLongDouble(threshold);
    if (!v) return std::nullopt;
    r.threshold.assign(threshold);
    r.value = *v;
    r.channel.assign(channel);
    rules.push_back(std::move(r));
  }
  return rules;
}

}  // namespace tally
