// LatencyMonitor: Redis's latency monitor (LATENCY LATEST / HISTORY / RESET). Events whose
// latency reaches latency-monitor-threshold milliseconds (0: off) are recorded per event name:
// at most one sample per second (the highest of that second), the last 160 samples, and the
// highest latency seen. Tally records "fsync" (one fdatasync of the log) and "commit" (one
// group written to the log, with its fsync under appendfsync always).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tally/util/thread_annotations.h"

namespace tally {

class LatencyMonitor {
 public:
  static constexpr size_t kSamples = 160;  // Redis's LATENCY_TS_LEN

  struct Sample {
    int64_t time_s = 0;
    uint32_t ms = 0;
  };
  struct Event {
    std::string name;
    std::vector<Sample> samples;  // oldest first
    uint32_t max_ms = 0;
  };

  void set_threshold_ms(int64_t ms) { threshold_ms_.store(ms, std::memory_order_relaxed); }
  // Records `ms` for `event` now if it reaches the threshold (the clock is read only then).
  void Record(const char* event, int64_t ms);
  // The same at wall-clock second `now_s` (tests).
  void Record(const char* event, int64_t ms, int64_t now_s);
  // Every event with samples, by name.
  std::vector<Event> Events() const;
  // Forgets the named events (all of them if `names` is empty); returns how many there were.
  int Reset(const std::vector<std::string>& names);

 private:
  struct Series {
    Sample ring[kSamples];
    size_t next = 0;   // where the next sample goes
    size_t count = 0;  // samples held
    uint32_t max_ms = 0;
  };
  std::atomic<int64_t> threshold_ms_{0};
  mutable Mutex mu_;
  std::map<std::string, Series> series_ GUARDED_BY(mu_);
};

}  // namespace tally
