#include "tally/util/latency_monitor.h"

#include "tally/util/clock.h"

namespace tally {

void LatencyMonitor::Record(const char* event, int64_t ms) {
  const int64_t threshold = threshold_ms_.load(std::memory_order_relaxed);
  if (threshold > 0 && ms >= threshold) Record(event, ms, NowMs() / 1000);
}

void LatencyMonitor::Record(const char* event, int64_t ms, int64_t now_s) {
  const int64_t threshold = threshold_ms_.load(std::memory_order_relaxed);
  if (threshold <= 0 || ms < threshold) return;
  const auto v = static_cast<uint32_t>(ms);
  MutexLock l(&mu_);
  Series& s = series_[event];
  if (v > s.max_ms) s.max_ms = v;
  if (s.count > 0) {
    Sample& last = s.ring[(s.next + kSamples - 1) % kSamples];
    if (last.time_s == now_s) {  // one sample per second: the highest
      if (v > last.ms) last.ms = v;
      return;
    }
  }
  s.ring[s.next] = {now_s, v};
  s.next = (s.next + 1) % kSamples;
  if (s.count < kSamples) ++s.count;
}

std::vector<LatencyMonitor::Event> LatencyMonitor::Events() const {
  MutexLock l(&mu_);
  std::vector<Event> out;
  for (const auto& [name, s] : series_) {
    Event e{name, {}, s.max_ms};
    for (size_t i = 0; i < s.count; ++i)
      e.samples.push_back(s.ring[(s.next + kSamples - s.count + i) % kSamples]);
    out.push_back(std::move(e));
  }
  return out;
}

int LatencyMonitor::Reset(const std::vector<std::string>& names) {
  MutexLock l(&mu_);
  if (names.empty()) {
    const int n = static_cast<int>(series_.size());
    series_.clear();
    return n;
  }
  int n = 0;
  for (const auto& name : names) n += static_cast<int>(series_.erase(name));
  return n;
}

}  // namespace tally
