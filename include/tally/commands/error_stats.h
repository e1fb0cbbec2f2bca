// ErrorStats: error replies counted by code, for INFO errorstats (errorstat_<CODE>:count=N)
// and INFO stats' total_error_replies, as Redis 7 keeps them: at most 128 distinct codes (past
// that, new codes are only counted in the total, and a warning is logged once).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tally/protocol/reply_writer.h"
#include "tally/util/thread_annotations.h"

namespace tally {

class ErrorStats : public ErrorSink {
 public:
  static constexpr size_t kMaxCodes = 128;  // Redis's ERROR_STATS_NUMBER

  void OnError(std::string_view code) override;
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  // The counts by code, in byte order of the codes (as Redis's radix tree lists them).
  std::map<std::string, uint64_t> counts() const;
  void Reset();  // CONFIG RESETSTAT

 private:
  std::atomic<uint64_t> total_{0};
  mutable Mutex mu_;
  std::map<std::string, uint64_t, std::less<>> counts_ GUARDED_BY(mu_);
  bool warned_ GUARDED_BY(mu_) = false;
};

}  // namespace tally
