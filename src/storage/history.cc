#include "tally/storage/history.h"

#include "tally/util/strings.h"

namespace tally {

void HistoryPolicy::Set(HistorySettings settings) {
  const bool enabled = !settings.patterns.empty();
  MutexLock l(&mu_);
  settings_ = std::make_shared<const HistorySettings>(std::move(settings));
  enabled_.store(enabled, std::memory_order_relaxed);
}

std::shared_ptr<const HistorySettings> HistoryPolicy::Current() const {
  MutexLock l(&mu_);
  return settings_;
}

std::shared_ptr<const HistorySettings> HistoryPolicy::For(std::string_view key) const {
  if (!enabled_.load(std::memory_order_relaxed)) return nullptr;
  std::shared_ptr<const HistorySettings> s = Current();
  for (const std::string& p : s->patterns)
    if (GlobMatch(p, key)) return s;
  return nullptr;
}

std::string HistoryPrefix(DbIndex db, std::string_view key) {
  std::string k(1, static_cast<char>(db));
  const uint32_t n = static_cast<uint32_t>(key.size());
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>((n >> shift) & 0xff));
  k.append(key);
  return k;
}

std::string HistoryKey(DbIndex db, std::string_view key, int64_t at_ms) {
  std::string k = HistoryPrefix(db, key);
  for (int shift = 56; shift >= 0; shift -= 8)
    k.push_back(static_cast<char>((static_cast<uint64_t>(at_ms) >> shift) & 0xff));
  return k;
}

int64_t HistoryTime(std::string_view suffix) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < suffix.size(); ++i)
    v = (v << 8) | static_cast<uint8_t>(suffix[i]);
  return static_cast<int64_t>(v);
}

std::string HistorySample(const std::string* value) {
  if (value == nullptr) return "d";
  std::string s(1, 'v');
  s.append(*value);
  return s;
}

std::optional<std::string_view> HistoryValue(std::string_view payload) {
  if (payload.empty() || payload[0] != 'v') return std::nullopt;
  return payload.substr(1);
}

}  // namespace tally
