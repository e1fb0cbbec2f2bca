#include "events.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

using nlohmann::json;

json NumberOrText(const std::string& text) {
  if (auto n = ParseInt64(text)) return *n;
  if (auto d = ParseLongDouble(text); d && std::isfinite(static_cast<double>(*d)))
    return static_cast<double>(*d);
  return text;
}

}  // namespace

std::string EventJson(const KeyEvent& e) {
  json j = {{"db", e.db},
            {"key", e.key},
            {"value", e.value ? NumberOrText(*e.value) : json(nullptr)},
            {"time", e.time_ms}};
  if (e.kind == KeyEvent::Kind::kAlert) {
    j["threshold"] = NumberOrText(e.rule.threshold);
    j["direction"] = e.rule.above ? "above" : "below";
    j["channel"] = e.rule.channel;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void EventHub::Add(std::shared_ptr<Subscriber> inbox, std::string pattern, int db) {
  MutexLock l(&mu_);
  listeners_.push_back({std::move(inbox), std::move(pattern), db});
  count_.store(listeners_.size(), std::memory_order_relaxed);
}

void EventHub::Remove(const Subscriber* inbox) {
  MutexLock l(&mu_);
  std::erase_if(listeners_, [&](const Listener& x) { return x.inbox.get() == inbox; });
  count_.store(listeners_.size(), std::memory_order_relaxed);
}

void EventHub::Publish(const KeyEvent& e, const std::string& json) {
  const char* name = e.kind == KeyEvent::Kind::kAlert ? "alert" : "change";
  MutexLock l(&mu_);
  for (const Listener& x : listeners_) {
    if (x.db != e.db || !GlobMatch(x.pattern, e.key)) continue;
    x.inbox->Deliver({PubSubMessage::Kind::kMessage, {}, name, json});
  }
}

bool EventPublisher::wants_expired() const {
  const auto flags = static_cast<uint32_t>(config_->Int(Opt::kNotifyKeyspaceEvents));
  return (flags & kNotifyExpired) && (flags & (kNotifyKeyspace | kNotifyKeyevent));
}

void EventPublisher::OnEvents(std::vector<KeyEvent> events, Lsn lsn) {
  log_->WhenAcked(lsn, [this, events = std::move(events)](Status st) {
    if (!st.ok()) return;  // never acknowledged: never announced
    const auto flags = static_cast<uint32_t>(config_->Int(Opt::kNotifyKeyspaceEvents));
    for (const KeyEvent& e : events) {
      if (e.kind == KeyEvent::Kind::kExpired) {
        if (!(flags & kNotifyExpired)) continue;
        for (const auto& [channel, message] :
             NotificationMessages(flags, KeyNotification{kNotifyExpired, "expired", e.db, e.key}))
          pubsub_->Publish(PubSub::kGlobal, channel, message);
        continue;
      }
      const std::string json = EventJson(e);
      if (e.kind == KeyEvent::Kind::kAlert) pubsub_->Publish(PubSub::kGlobal, e.rule.channel, json);
      if (hub_->active()) hub_->Publish(e, json);
    }
  });
}

}  // namespace tally
