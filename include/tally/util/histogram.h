// Histogram: a fixed-bucket histogram for Prometheus (cumulative `le` buckets, _sum, _count),
// lock-free: Observe() is a few relaxed atomic adds, safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tally {

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending (the +Inf bucket is implied).
  explicit Histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
  }

  // Records `n` observations of `value`.
  void Observe(double value, uint64_t n = 1) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    counts_[i].fetch_add(n, std::memory_order_relaxed);
    count_.fetch_add(n, std::memory_order_relaxed);
    // The sum in millionths, so that it stays an atomic integer.
    sum_micro_.fetch_add(static_cast<uint64_t>(value * 1e6 * static_cast<double>(n)),
                         std::memory_order_relaxed);
  }

  // Records `n` observations (none if 0) of the seconds since `start`.
  void ObserveSince(std::chrono::steady_clock::time_point start, uint64_t n) {
    if (n == 0) return;
    Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), n);
  }

  // Appends the _bucket, _sum and _count lines of `name`, with `labels` ("a=\"b\"" or "")
  // inside each line's braces.
  void Render(std::string_view name, std::string_view labels, std::string* out) const {
    uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      std::string le = i < bounds_.size() ? FormatBound(bounds_[i]) : "+Inf";
      out->append(name).append("_bucket{").append(labels).append(sep);
      out->append("le=\"").append(le).append("\"} ").append(std::to_string(cumulative));
      out->push_back('\n');
    }
    std::string braces;
    if (!labels.empty()) braces.append("{").append(labels).append("}");
    char sum[64];
    snprintf(sum, sizeof(sum), "%.6f", static_cast<double>(sum_micro_.load()) / 1e6);
    out->append(name).append("_sum").append(braces).append(" ").append(sum).push_back('\n');
    out->append(name).append("_count").append(braces).append(" ");
    out->append(std::to_string(cumulative)).push_back('\n');
  }

  // Latency buckets in seconds, 50 µs to 5 s.
  static std::vector<double> LatencyBounds() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};
  }
  // Size buckets (records per group, ...): powers of two to 4096.
  static std::vector<double> SizeBounds() {
    return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
  }

 private:
  static std::string FormatBound(double b) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%g", b);
    return buf;
  }
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};
};

}  // namespace tally
