#include "monitors.h"

#include <algorithm>

namespace tally {

void MonitorSink::Append(const std::string& line) {
  bool wake = false, overflowed = false;
  {
    MutexLock l(&mu_);
    if (overflowed_) return;
    if (pending_.size() + line.size() > limit_) {
      overflowed_ = overflowed = wake = true;
      pending_.clear();
    } else {
      wake = pending_.empty();
      pending_ += line;
    }
  }
  if (wake) wake_(overflowed);
}

std::string MonitorSink::Take(bool* overflowed) {
  MutexLock l(&mu_);
  *overflowed = overflowed_;
  std::string out;
  out.swap(pending_);
  return out;
}

void Monitors::Add(std::shared_ptr<MonitorSink> sink) {
  MutexLock l(&mu_);
  sinks_.push_back(std::move(sink));
  count_.store(sinks_.size(), std::memory_order_relaxed);
}

void Monitors::Remove(const MonitorSink* sink) {
  MutexLock l(&mu_);
  std::erase_if(sinks_, [&](const auto& s) { return s.get() == sink; });
  count_.store(sinks_.size(), std::memory_order_relaxed);
}

void Monitors::Feed(const std::string& line) {
  MutexLock l(&mu_);
  for (const auto& s : sinks_) s->Append(line);
}

}  // namespace tally
