// Pub/sub (Redis 7 pubsub.c): the channels and patterns clients subscribe to, and each
// subscribed client's inbox.
//
// PUBLISH (any thread) finds the subscribers under one mutex and queues the message in each
// one's inbox, never waiting for a client: an inbox holds at most `limit` bytes
// (client-output-buffer-limit-pubsub-bytes) and a subscriber that falls further behind is
// marked overflowed, and its connection closes it. Messages of one publisher reach every
// subscriber in publish order. The connection takes the queued messages and writes them in
// its own protocol (RESP2 arrays or RESP3 pushes) between replies. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tally/util/thread_annotations.h"

namespace tally {

class ReplyWriter;

struct PubSubMessage {
  enum class Kind { kMessage, kPMessage, kSMessage };
  Kind kind = Kind::kMessage;
  std::string pattern;  // kPMessage only
  std::string channel;
  std::string payload;
};

// Writes a message as Redis does: "message"/"pmessage"/"smessage" arrays (RESP2) or pushes
// (RESP3).
void WritePubSubMessage(const PubSubMessage& m, ReplyWriter& reply, int protocol);

class Subscriber {
 public:
  explicit Subscriber(size_t limit) : limit_(limit) {}
  // The connection's wake-up: called (from the publishing thread) when the inbox stops being
  // empty or overflows. It must only post work to the connection's executor.
  void set_wake(std::function<void(bool overflowed)> wake);
  void Deliver(PubSubMessage message);
  // Takes the queued messages; *overflowed tells whether the limit was passed.
  std::vector<PubSubMessage> Take(bool* overflowed);

 private:
  const size_t limit_;
  Mutex mu_;
  std::function<void(bool)> wake_ GUARDED_BY(mu_);
  std::vector<PubSubMessage> inbox_ GUARDED_BY(mu_);
  size_t bytes_ GUARDED_BY(mu_) = 0;
  bool overflowed_ GUARDED_BY(mu_) = false;
};

class PubSub {
 public:
  // Channels live in two namespaces: SUBSCRIBE/PUBLISH and SSUBSCRIBE/SPUBLISH.
  enum Space { kGlobal = 0, kShard = 1 };

  // Each returns whether the subscription was new (false: already subscribed / not found).
  bool Subscribe(Space space, std::string_view channel, const std::shared_ptr<Subscriber>& s);
  bool Unsubscribe(Space space, std::string_view channel, const Subscriber* s);
  bool PSubscribe(std::string_view pattern, const std::shared_ptr<Subscriber>& s);
  bool PUnsubscribe(std::string_view pattern, const Subscriber* s);

  // Delivers to the channel's subscribers (and, in kGlobal, to every matching pattern's);
  // returns how many deliveries were made.
  size_t Publish(Space space, std::string_view channel, std::string_view payload);

  // PUBSUB CHANNELS / SHARDCHANNELS (channels with a subscriber matching `pattern`, "" for
  // all), NUMSUB / SHARDNUMSUB, NUMPAT.
  std::vector<std::string> Channels(Space space, std::string_view pattern) const;
  size_t NumSub(Space space, std::string_view channel) const;
  size_t NumPat() const;
  // Whether anyone subscribes to anything (a cheap check before formatting a message).
  bool active() const { return subscriptions_.load(std::memory_order_relaxed) > 0; }

 private:
  using Subscribers = std::vector<std::shared_ptr<Subscriber>>;
  mutable Mutex mu_;
  std::unordered_map<std::string, Subscribers> channels_[2] GUARDED_BY(mu_);
  std::unordered_map<std::string, Subscribers> patterns_ GUARDED_BY(mu_);
  std::atomic<size_t> subscriptions_{0};
};

}  // namespace tally
