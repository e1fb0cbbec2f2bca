// The server's end of the keyspace's change feed (storage/events.h): EventPublisher waits
// until a group's LSN is acknowledged, then publishes each alert on its pub/sub channel and
// gives every event to the EventHub, whose listeners are the HTTP event streams
// (GET /v1/events, Server-Sent Events). Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tally/commands/command_table.h"
#include "tally/commands/pubsub.h"
#include "tally/storage/commit_log.h"
#include "tally/storage/events.h"
#include "tally/util/config.h"
#include "tally/util/thread_annotations.h"

namespace tally {

// An event as JSON: {"db", "key", "value", "time"} and, for alerts, "threshold",
// "direction", "channel". Numbers that are integers or finite floats are JSON numbers.
std::string EventJson(const KeyEvent& e);

class EventHub {
 public:
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }
  // A listener: events of database `db` whose key matches the glob reach `inbox` as messages
  // whose channel is the event's name ("alert" or "change") and payload its JSON.
  void Add(std::shared_ptr<Subscriber> inbox, std::string pattern, int db);
  void Remove(const Subscriber* inbox);
  void Publish(const KeyEvent& e, const std::string& json);

 private:
  struct Listener {
    std::shared_ptr<Subscriber> inbox;
    std::string pattern;
    int db;
  };
  Mutex mu_;
  std::vector<Listener> listeners_ GUARDED_BY(mu_);
  std::atomic<size_t> count_{0};
};

class EventPublisher : public EventSink {
 public:
  // All four must outlive the publisher's pending callbacks (the commit log's). Expirations
  // become "expired" keyspace notifications when notify-keyspace-events asks for them.
  EventPublisher(CommitLog* log, PubSub* pubsub, EventHub* hub, const Config* config)
      : log_(log), pubsub_(pubsub), hub_(hub), config_(config) {}
  bool wants_changes() const override { return hub_->active(); }
  bool wants_expired() const override;
  void OnEvents(std::vector<KeyEvent> events, Lsn lsn) override;

 private:
  CommitLog* const log_;
  PubSub* const pubsub_;
  EventHub* const hub_;
  const Config* const config_;
};

}  // namespace tally
