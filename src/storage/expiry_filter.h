// A RocksDB compaction filter that drops values whose expiry is at or before a watermark: the
// time up to which active expiry has deleted every due key, durably. Such a value can only be an
// old version already shadowed by a delete (a live value never has an expiry at or before the
// watermark: active expiry deleted it, and a write with an expiry in the past is a delete), so
// dropping it frees space without changing any key or count. Used by store.cc only.
#pragma once

#include <rocksdb/compaction_filter.h>

#include <atomic>
#include <memory>

namespace tally {

class ExpiryFilter : public rocksdb::CompactionFilter {
 public:
  explicit ExpiryFilter(std::shared_ptr<std::atomic<int64_t>> expired_before)
      : expired_before_(std::move(expired_before)) {}
  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "tally.ExpiryFilter"; }

 private:
  std::shared_ptr<std::atomic<int64_t>> expired_before_;
};

class ExpiryFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  explicit ExpiryFilterFactory(std::shared_ptr<std::atomic<int64_t>> expired_before)
      : expired_before_(std::move(expired_before)) {}
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override {
    return std::make_unique<ExpiryFilter>(expired_before_);
  }
  const char* Name() const override { return "tally.ExpiryFilterFactory"; }

 private:
  std::shared_ptr<std::atomic<int64_t>> expired_before_;
};

}  // namespace tally
