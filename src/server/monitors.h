// Monitors: the connections in MONITOR mode and the lines fed to them. Feeding never blocks
// and never waits for a monitor: each has a pending buffer bounded by
// client-output-buffer-limit-bytes (monitors are normal clients to that limit, as in Redis); a
// monitor that falls that far behind is marked overflowed and disconnected by its connection.
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tally/util/thread_annotations.h"

namespace tally {

class MonitorSink {
 public:
  // `wake(overflowed)` is called (from the feeding thread) when the buffer stops being empty or
  // overflows; it must only post work to the monitor's own executor.
  MonitorSink(size_t limit, std::function<void(bool)> wake)
      : limit_(limit), wake_(std::move(wake)) {}

  void Append(const std::string& line);
  // Takes what is pending; `overflowed` tells whether the limit was passed.
  std::string Take(bool* overflowed);

 private:
  const size_t limit_;
  const std::function<void(bool)> wake_;
  Mutex mu_;
  std::string pending_ GUARDED_BY(mu_);
  bool overflowed_ GUARDED_BY(mu_) = false;
};

class Monitors {
 public:
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }
  void Add(std::shared_ptr<MonitorSink> sink);
  void Remove(const MonitorSink* sink);
  void Feed(const std::string& line);

 private:
  std::atomic<size_t> count_{0};
  mutable Mutex mu_;
  std::vector<std::shared_ptr<MonitorSink>> sinks_ GUARDED_BY(mu_);
};

}  // namespace tally
