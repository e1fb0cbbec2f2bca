#include "expiry_filter.h"

#include "tally/storage/value_codec.h"

namespace tally {

bool ExpiryFilter::Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
                          std::string* new_value, bool* value_changed) const {
  auto decoded = DecodeValue(std::string_view(value.data(), value.size()));
  // A value that does not decode is kept: corruption is reported on read, never hidden.
  if (!decoded.ok() || decoded->expire_at_ms == 0) return false;
  return decoded->expire_at_ms <= expired_before_->load(std::memory_order_acquire);
}

}  // namespace tally
