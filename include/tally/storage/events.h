// The keyspace's change feed: threshold alerts (TALLY.ALERT) and, while someone listens (the
// HTTP event stream), every change of a key's value.
//
// An alert fires when a write moves a counter across its threshold: ABOVE n when the value
// goes from <= n to > n, BELOW n from >= n to < n (a missing or non-numeric value counts as
// 0). Comparing the value before and after each write makes alerts edge-triggered without any
// state: once per crossing, never per increment. Rules are kept in the system database
// kAlertDb (durable like any write) and in memory (AlertRules) for the write path.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tally/storage/types.h"
#include "tally/util/thread_annotations.h"

namespace tally {

struct AlertRule {
  bool above = true;      // ABOVE; else BELOW
  std::string threshold;  // as given (a number)
  long double value = 0;  // its value
  std::string channel;    // where PUBLISH sends the message
  bool operator==(const AlertRule& o) const {
    return above == o.above && value == o.value && channel == o.channel;
  }
};

struct KeyEvent {
  // kExpired: the key was deleted because its TTL passed (lazily or by active expiry).
  enum class Kind { kChange, kAlert, kExpired };
  Kind kind = Kind::kChange;
  DbIndex db = 0;
  std::string key;
  std::optional<std::string> value;  // after the write; nullopt: deleted
  AlertRule rule;                    // kAlert
  int64_t time_ms = 0;
};

// Where the keyspace sends each group's events, with the group's LSN: the receiver publishes
// them once that LSN is acknowledged (an event never reveals a write before its reply could).
// Called on the writing thread with shard locks held: must not block or call the keyspace.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual bool wants_changes() const = 0;
  // Whether to send kExpired events (keyspace notifications ask for them).
  virtual bool wants_expired() const { return false; }
  virtual void OnEvents(std::vector<KeyEvent> events, Lsn lsn) = 0;
};

// The alert rules of every key. Thread-safe; empty() is one relaxed atomic load.
class AlertRules {
 public:
  bool empty() const { return count_.load(std::memory_order_relaxed) == 0; }
  std::vector<AlertRule> For(DbIndex db, std::string_view key) const;
  // Sets a key's rules (none: removes the key).
  void Replace(DbIndex db, std::string_view key, std::vector<AlertRule> rules);
  struct Entry {
    DbIndex db;
    std::string key;
    AlertRule rule;
  };
  std::vector<Entry> All() const;

 private:
  mutable Mutex mu_;
  std::map<std::pair<DbIndex, std::string>, std::vector<AlertRule>, std::less<>> rules_
      GUARDED_BY(mu_);
  std::atomic<size_t> count_{0};
};

// The event of a key deleted for its TTL.
inline KeyEvent ExpiredEvent(DbIndex db, std::string_view key, int64_t now_ms) {
  KeyEvent e;
  e.kind = KeyEvent::Kind::kExpired;
  e.db = db;
  e.key = key;
  e.time_ms = now_ms;
  return e;
}

// The events of one write: alerts whose threshold lies between `before` and the new value,
// and a change event if `changes`.
void CollectEvents(const AlertRules& rules, bool changes, DbIndex db, std::string_view key,
                   const std::string* before, const std::string* after, int64_t now_ms,
                   std::vector<KeyEvent>* out);

// A rule list as stored in kAlertDb under AlertKey(db, key), and back.
std::string AlertKey(DbIndex db, std::string_view key);
std::string EncodeAlertRules(const std::vector<AlertRule>& rules);
std::optional<std::vector<AlertRule>> DecodeAlertRules(std::string_view bytes);

}  // namespace tally
