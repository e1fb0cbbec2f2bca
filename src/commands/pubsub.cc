#include "tally/commands/pubsub.h"

#include <algorithm>

#include "tally/protocol/reply_writer.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

constexpr size_t kMessageOverhead = 64;  // per queued message, for the inbox's limit

bool Add(std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>>& map,
         std::string_view name, const std::shared_ptr<Subscriber>& s) {
  auto& subs = map[std::string(name)];
  if (std::find(subs.begin(), subs.end(), s) != subs.end()) return false;
  subs.push_back(s);
  return true;
}

bool Remove(std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>>& map,
            std::string_view name, const Subscriber* s) {
  auto it = map.find(std::string(name));
  if (it == map.end()) return false;
  auto& subs = it->second;
  auto pos = std::find_if(subs.begin(), subs.end(), [&](const auto& p) { return p.get() == s; });
  if (pos == subs.end()) return false;
  subs.erase(pos);
  if (subs.empty()) map.erase(it);
  return true;
}

}  // namespace

void WritePubSubMessage(const PubSubMessage& m, ReplyWriter& reply, int protocol) {
  const bool pattern = m.kind == PubSubMessage::Kind::kPMessage;
  const size_t n = pattern ? 4 : 3;
  reply.set_protocol(protocol);
  reply.PushHeader(n);
  reply.Bulk(pattern                                    ? "pmessage"
             : m.kind == PubSubMessage::Kind::kSMessage ? "smessage"
                                                        : "message");
  if (pattern) reply.Bulk(m.pattern);
  reply.Bulk(m.channel);
  reply.Bulk(m.payload);
}

void Subscriber::set_wake(std::function<void(bool)> wake) {
  MutexLock l(&mu_);
  wake_ = std::move(wake);
}

void Subscriber::Deliver(PubSubMessage message) {
  const size_t size =
      message.pattern.size() + message.channel.size() + message.payload.size() + kMessageOverhead;
  MutexLock l(&mu_);
  if (overflowed_) return;
  const bool was_empty = inbox_.empty();
  if (bytes_ + size > limit_) {
    overflowed_ = true;
    inbox_.clear();
    bytes_ = 0;
    if (wake_) wake_(true);
    return;
  }
  bytes_ += size;
  inbox_.push_back(std::move(message));
  // Called under mu_ so that a wake-up is never lost to a concurrent set_wake(); it only posts.
  if (was_empty && wake_) wake_(false);
}

std::vector<PubSubMessage> Subscriber::Take(bool* overflowed) {
  MutexLock l(&mu_);
  *overflowed = overflowed_;
  std::vector<PubSubMessage> out;
  out.swap(inbox_);
  bytes_ = 0;
  return out;
}

bool PubSub::Subscribe(Space space, std::string_view channel,
                       const std::shared_ptr<Subscriber>& s) {
  MutexLock l(&mu_);
  if (!Add(channels_[space], channel, s)) return false;
  subscriptions_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool PubSub::Unsubscribe(Space space, std::string_view channel, const Subscriber* s) {
  MutexLock l(&mu_);
  if (!Remove(channels_[space], channel, s)) return false;
  subscriptions_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool PubSub::PSubscribe(std::string_view pattern, const std::shared_ptr<Subscriber>& s) {
  MutexLock l(&mu_);
  if (!Add(patterns_, pattern, s)) return false;
  subscriptions_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool PubSub::PUnsubscribe(std::string_view pattern, const Subscriber* s) {
  MutexLock l(&mu_);
  if (!Remove(patterns_, pattern, s)) return false;
  subscriptions_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

size_t PubSub::Publish(Space space, std::string_view channel, std::string_view payload) {
  if (!active()) return 0;
  const auto kind =
      space == kShard ? PubSubMessage::Kind::kSMessage : PubSubMessage::Kind::kMessage;
  size_t receivers = 0;
  MutexLock l(&mu_);
  if (auto it = channels_[space].find(std::string(channel)); it != channels_[space].end()) {
    for (const auto& s : it->second) {
      s->Deliver({kind, {}, std::string(channel), std::string(payload)});
      ++receivers;
    }
  }
  if (space == kShard) return receivers;
  for (const auto& [pattern, subs] : patterns_) {
    if (!GlobMatch(pattern, channel)) continue;
    for (const auto& s : subs) {
      s->Deliver(
          {PubSubMessage::Kind::kPMessage, pattern, std::string(channel), std::string(payload)});
      ++receivers;
    }
  }
  return receivers;
}

std::vector<std::string> PubSub::Channels(Space space, std::string_view pattern) const {
  MutexLock l(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, subs] : channels_[space])
    if (pattern.empty() || GlobMatch(pattern, name)) out.push_back(name);
  return out;
}

size_t PubSub::NumSub(Space space, std::string_view channel) const {
  MutexLock l(&mu_);
  auto it = channels_[space].find(std::string(channel));
  return it == channels_[space].end() ? 0 : it->second.size();
}

size_t PubSub::NumPat() const {
  MutexLock l(&mu_);
  return patterns_.size();
}

}  // namespace tally
