// LatencyHistogram: a command's latencies in microseconds for INFO latencystats, in log-linear
// buckets: exact below 16 µs, then 16 buckets per power of two (within 6.25 %, close to the
// two significant digits of Redis's HdrHistogram). Record() is one relaxed atomic add, safe
// from any thread.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>

namespace tally {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 4;                                   // 16 per power of two
  static constexpr size_t kBuckets = (64 - kSubBits + 1) << kSubBits;  // every uint64_t

  void Record(uint64_t usec) {
    counts_[Bucket(usec)].fetch_add(1, std::memory_order_relaxed);
    total_.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t count() const { return total_.load(std::memory_order_relaxed); }
  // The latency at percentile `p` (0 to 100): the highest value of the bucket that holds it,
  // as HdrHistogram reports it. 0 when empty.
  uint64_t ValueAt(double p) const {
    const uint64_t n = count();
    if (n == 0) return 0;
    auto rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(n) + 0.5);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      seen += counts_[b].load(std::memory_order_relaxed);
      if (seen >= rank) return HighestIn(b);
    }
    return HighestIn(kBuckets - 1);
  }
  void Reset() {
    for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
    total_.store(0, std::memory_order_relaxed);
  }

  static size_t Bucket(uint64_t v) {
    if (v < (1u << kSubBits)) return static_cast<size_t>(v);
    const int shift = std::bit_width(v) - 1 - kSubBits;  // v >> shift is in [16, 32)
    return (static_cast<size_t>(shift + 1) << kSubBits) + ((v >> shift) & ((1u << kSubBits) - 1));
  }
  static uint64_t HighestIn(size_t b) {
    if (b < (1u << kSubBits)) return b;
    const int shift = static_cast<int>(b >> kSubBits) - 1;
    const uint64_t mantissa = (1u << kSubBits) + (b & ((1u << kSubBits) - 1));
    return ((mantissa + 1) << shift) - 1;
  }

 private:
  std::atomic<uint64_t> counts_[kBuckets] = {};
  std::atomic<uint64_t> total_{0};
};

}  // namespace tally
