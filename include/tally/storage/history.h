// History: the keys whose every change of value is also kept as a sample (TALLY.HISTORY), and
// how: one sample per `resolution_ms` interval (the last value written in it), each kept for
// `retention_ms`, in the system database kHistoryDb and in the same group of records as the
// change itself, so history is as durable as the value.
//
// The policy is set at start and by CONFIG SET (history-keys, history-resolution,
// history-retention, history-keep-on-delete) while writers read it: Thread-safe. With no
// pattern a write pays one relaxed atomic load.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tally/storage/types.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct HistorySettings {
  std::vector<std::string> patterns;  // Redis globs; empty: no history
  int64_t resolution_ms = 1000;
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  bool keep_on_delete = true;  // false: TALLY.HISTORY shows nothing before the last delete
};

class HistoryPolicy {
 public:
  void Set(HistorySettings settings);
  // The settings if `key` keeps history, else nullptr.
  std::shared_ptr<const HistorySettings> For(std::string_view key) const;
  // The settings in force (for TALLY.HISTORY's reads).
  std::shared_ptr<const HistorySettings> Current() const;

 private:
  std::atomic<bool> enabled_{false};
  mutable Mutex mu_;
  std::shared_ptr<const HistorySettings> settings_ GUARDED_BY(mu_) =
      std::make_shared<HistorySettings>();
};

// A sample's key in kHistoryDb: [db][key length, 4 bytes big-endian][key][time, 8 bytes
// big-endian], so that one key's samples sort together by time. (IDMP ids use the same prefix.)
std::string HistoryPrefix(DbIndex db, std::string_view key);
std::string HistoryKey(DbIndex db, std::string_view key, int64_t at_ms);
// The time of a sample from the part of its key after HistoryPrefix.
int64_t HistoryTime(std::string_view suffix);
// A sample's payload: "v" + the value, or "d" for a delete.
std::string HistorySample(const std::string* value);
// The value of a sample (nullopt for a delete).
std::optional<std::string_view> HistoryValue(std::string_view payload);

}  // namespace tally
