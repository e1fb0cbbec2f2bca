// LatencyHistogram (INFO latencystats) and LatencyMonitor (LATENCY LATEST/HISTORY/RESET).
#include <gtest/gtest.h>

#include "tally/util/latency_histogram.h"
#include "tally/util/latency_monitor.h"

namespace tally {
namespace {

TEST(LatencyHistogram, BucketsKeepValuesWithinOneSixteenth) {
  for (uint64_t v :
       {0ull, 1ull, 15ull, 16ull, 17ull, 100ull, 1000ull, 123456ull, 1ull << 40, ~0ull}) {
    const uint64_t high = LatencyHistogram::HighestIn(LatencyHistogram::Bucket(v));
    EXPECT_GE(high, v);
    EXPECT_LE(high - v, v / 16) << v;
  }
  for (size_t b = 1; b < LatencyHistogram::kBuckets; ++b)  // buckets are ordered, no gaps
    EXPECT_EQ(LatencyHistogram::Bucket(LatencyHistogram::HighestIn(b - 1) + 1), b);
}

TEST(LatencyHistogram, Percentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.ValueAt(50), 0u);
  for (uint64_t v = 1; v <= 1000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(static_cast<double>(h.ValueAt(50)), 500, 500 / 16.0);
  EXPECT_NEAR(static_cast<double>(h.ValueAt(99)), 990, 990 / 16.0);
  EXPECT_GE(h.ValueAt(100), 1000u);
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
}

TEST(LatencyMonitor, OneSamplePerSecondTheHighestAndBounded) {
  LatencyMonitor m;
  m.Record("fsync", 50, 100);  // off until a threshold is set
  EXPECT_TRUE(m.Events().empty());
  m.set_threshold_ms(10);
  m.Record("fsync", 5, 100);  // below the threshold
  m.Record("fsync", 20, 100);
  m.Record("fsync", 30, 100);  // same second: the highest stays
  m.Record("fsync", 15, 100);
  m.Record("commit", 12, 101);
  auto events = m.Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].name, "fsync");
  ASSERT_EQ(events[1].samples.size(), 1u);
  EXPECT_EQ(events[1].samples[0].ms, 30u);
  for (int64_t s = 0; s < 500; ++s) m.Record("fsync", 10 + s, 200 + s);
  events = m.Events();
  ASSERT_EQ(events[1].samples.size(), LatencyMonitor::kSamples);
  EXPECT_EQ(events[1].samples.back().time_s, 699);
  EXPECT_EQ(events[1].samples.front().time_s, 700 - 160);
  EXPECT_EQ(events[1].max_ms, 509u);
  EXPECT_EQ(m.Reset({"nosuch", "commit"}), 1);
  EXPECT_EQ(m.Reset({}), 1);
  EXPECT_TRUE(m.Events().empty());
}

}  // namespace
}  // namespace tally
