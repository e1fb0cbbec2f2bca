#include "tally/commands/error_stats.h"

#include <spdlog/spdlog.h>

namespace tally {

void ErrorStats::OnError(std::string_view code) {
  total_.fetch_add(1, std::memory_order_relaxed);
  MutexLock l(&mu_);
  auto it = counts_.find(code);
  if (it != counts_.end()) {
    ++it->second;
  } else if (counts_.size() < kMaxCodes) {
    counts_.emplace(std::string(code), 1);
  } else if (!warned_) {
    warned_ = true;
    spdlog::warn("Errors of more than {} kinds: INFO errorstats stops listing new ones", kMaxCodes);
  }
}

std::map<std::string, uint64_t> ErrorStats::counts() const {
  MutexLock l(&mu_);
  return {counts_.begin(), counts_.end()};
}

void ErrorStats::Reset() {
  total_.store(0, std::memory_order_relaxed);
  MutexLock l(&mu_);
  counts_.clear();
  warned_ = false;
}

}  // namespace tally
