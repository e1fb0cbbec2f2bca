#include "tally/commands/slowlog.h"

#include <algorithm>

#include "tally/util/clock.h"

namespace tally {
namespace {

constexpr size_t kMaxArgs = 32;       // SLOWLOG_ENTRY_MAX_ARGC
constexpr size_t kMaxArgBytes = 128;  // SLOWLOG_ENTRY_MAX_STRING

}  // namespace

void SlowLog::Add(std::span<const std::string_view> args, int64_t duration_us,
                  std::string client_addr, std::string client_name, size_t max_len) {
  SlowLogEntry e;
  e.time = NowMs() / 1000;
  e.duration_us = duration_us;
  const size_t kept = std::min(args.size(), kMaxArgs);
  for (size_t i = 0; i < kept; ++i) {
    if (kept != args.size() && i == kept - 1) {
      e.args.push_back("... (" + std::to_string(args.size() - kept + 1) + " more arguments)");
    } else if (args[i].size() > kMaxArgBytes) {
      e.args.push_back(std::string(args[i].substr(0, kMaxArgBytes)) + "... (" +
                       std::to_string(args[i].size() - kMaxArgBytes) + " more bytes)");
    } else {
      e.args.emplace_back(args[i]);
    }
  }
  e.client_addr = std::move(client_addr);
  e.client_name = std::move(client_name);
  MutexLock l(&mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLogEntry> SlowLog::Get(int64_t count) const {
  MutexLock l(&mu_);
  const size_t n =
      count < 0 ? entries_.size() : std::min(entries_.size(), static_cast<size_t>(count));
  return std::vector<SlowLogEntry>(entries_.begin(), entries_.begin() + n);
}

size_t SlowLog::Len() const {
  MutexLock l(&mu_);
  return entries_.size();
}

void SlowLog::Reset() {
  MutexLock l(&mu_);
  entries_.clear();
}

}  // namespace tally
