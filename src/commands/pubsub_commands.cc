// Pub/sub commands (Redis 7 pubsub.c): SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH,
// the sharded SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB. The registry is pubsub.h.
#include <algorithm>

#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// One family of subscriptions: its reply words, its set in the session, and the registry calls.
struct Family {
  const char* subscribe;
  const char* unsubscribe;
  std::set<std::string> Session::*names;
  bool pattern;
  PubSub::Space space;
};
constexpr Family kChannels{"subscribe", "unsubscribe", &Session::channels, false, PubSub::kGlobal};
constexpr Family kPatterns{"psubscribe", "punsubscribe", &Session::patterns, true, PubSub::kGlobal};
constexpr Family kShard{"ssubscribe", "sunsubscribe", &Session::shard_channels, false,
                        PubSub::kShard};

// The count a (un)subscribe reply carries: channels and patterns, or shard channels.
size_t Count(const Session& s, const Family& f) {
  return f.space == PubSub::kShard ? s.shard_channels.size() : s.subscriptions();
}

void ReplyEvent(CommandContext& ctx, const Family& f, const char* word, const std::string* name) {
  ctx.reply.PushHeader(3);
  ctx.reply.Bulk(word);
  if (name != nullptr) {
    ctx.reply.Bulk(*name);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(static_cast<int64_t>(Count(ctx.session, f)));
}

void Subscribe(CommandContext& ctx, const Family& f) {
  Session& s = ctx.session;
  if (!s.subscriber) {
    s.subscriber = std::make_shared<Subscriber>(
        static_cast<size_t>(ctx.server.config().Int(Opt::kClientOutputBufferLimitPubsub)));
  }
  PubSub& pubsub = ctx.server.pubsub();
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string name(ctx.args[i]);
    if ((s.*f.names).insert(name).second) {
      if (f.pattern) {
        pubsub.PSubscribe(name, s.subscriber);
      } else {
        pubsub.Subscribe(f.space, name, s.subscriber);
      }
    }
    ReplyEvent(ctx, f, f.subscribe, &name);
  }
}

void RemoveOne(Session& s, PubSub& pubsub, const Family& f, const std::string& name) {
  if ((s.*f.names).erase(name) == 0) return;
  if (f.pattern) {
    pubsub.PUnsubscribe(name, s.subscriber.get());
  } else {
    pubsub.Unsubscribe(f.space, name, s.subscriber.get());
  }
}

void Unsubscribe(CommandContext& ctx, const Family& f) {
  Session& s = ctx.session;
  PubSub& pubsub = ctx.server.pubsub();
  if (ctx.args.size() == 1) {
    if ((s.*f.names).empty()) return ReplyEvent(ctx, f, f.unsubscribe, nullptr);
    const std::set<std::string> all = s.*f.names;
    for (const std::string& name : all) {
      RemoveOne(s, pubsub, f, name);
      ReplyEvent(ctx, f, f.unsubscribe, &name);
    }
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string name(ctx.args[i]);
    RemoveOne(s, pubsub, f, name);
    ReplyEvent(ctx, f, f.unsubscribe, &name);
  }
}

// Runs a (un)subscription and publishes whether the client now subscribes (CLIENT KILL TYPE).
template <void (*Change)(CommandContext&, const Family&), const Family& F>
void Subscription(CommandContext& ctx) {
  Change(ctx, F);
  ctx.session.is_subscriber.store(ctx.session.subscribed(), std::memory_order_relaxed);
}
constexpr auto SubscribeCommand = Subscription<Subscribe, kChannels>;
constexpr auto PSubscribeCommand = Subscription<Subscribe, kPatterns>;
constexpr auto SSubscribeCommand = Subscription<Subscribe, kShard>;
constexpr auto UnsubscribeCommand = Subscription<Unsubscribe, kChannels>;
constexpr auto PUnsubscribeCommand = Subscription<Unsubscribe, kPatterns>;
constexpr auto SUnsubscribeCommand = Subscription<Unsubscribe, kShard>;

void PublishCommand(CommandContext& ctx) {
  ctx.reply.Integer(
      static_cast<int64_t>(ctx.server.pubsub().Publish(PubSub::kGlobal, ctx.args[1], ctx.args[2])));
}

void SPublishCommand(CommandContext& ctx) {
  ctx.reply.Integer(
      static_cast<int64_t>(ctx.server.pubsub().Publish(PubSub::kShard, ctx.args[1], ctx.args[2])));
}

void ReplyChannels(CommandContext& ctx, PubSub::Space space) {
  if (ctx.args.size() > 3) {
    return ctx.reply.Error(errors::Fill(errors::kSubcommandSyntax, ctx.args[1], "PUBSUB"));
  }
  auto names = ctx.server.pubsub().Channels(space, ctx.args.size() == 3 ? ctx.args[2] : "");
  ctx.reply.ArrayHeader(names.size());
  for (const auto& n : names) ctx.reply.Bulk(n);
}

void ReplyNumSub(CommandContext& ctx, PubSub::Space space) {
  ctx.reply.ArrayHeader((ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().NumSub(space, ctx.args[i])));
  }
}

void PubsubChannels(CommandContext& ctx) { ReplyChannels(ctx, PubSub::kGlobal); }
void PubsubShardChannels(CommandContext& ctx) { ReplyChannels(ctx, PubSub::kShard); }
void PubsubNumSub(CommandContext& ctx) { ReplyNumSub(ctx, PubSub::kGlobal); }
void PubsubShardNumSub(CommandContext& ctx) { ReplyNumSub(ctx, PubSub::kShard); }
void PubsubNumPat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().NumPat()));
}

void PubsubHelp(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help."};
  ReplyHelp(ctx.reply, kLines);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since, KeyPositions keys = {}) {
  return MakeCommand(name, arity, flags, handler, "pubsub", summary, since, keys);
}

}  // namespace

void UnsubscribeAll(Session& session, PubSub& pubsub) {
  for (const Family* f : {&kChannels, &kPatterns, &kShard}) {
    const std::set<std::string> all = session.*f->names;
    for (const std::string& name : all) RemoveOne(session, pubsub, *f, name);
  }
}

void RegisterPubSubCommands(CommandTable* t) {
  constexpr uint32_t kSub = kCmdPubSub | kCmdNoHttp | kCmdNoQueue | kCmdLoading | kCmdStale;
  t->Register(Cmd("subscribe", -2, kSub, SubscribeCommand,
                  "Listens for messages published to channels.", "2.0.0"));
  t->Register(Cmd("unsubscribe", -1, kSub, UnsubscribeCommand,
                  "Stops listening to messages posted to channels.", "2.0.0"));
  t->Register(Cmd("psubscribe", -2, kSub, PSubscribeCommand,
                  "Listens for messages published to channels that match one or more patterns.",
                  "2.0.0"));
  t->Register(Cmd("punsubscribe", -1, kSub, PUnsubscribeCommand,
                  "Stops listening to messages published to channels that match one or more "
                  "patterns.",
                  "2.0.0"));
  t->Register(Cmd("ssubscribe", -2, kSub, SSubscribeCommand,
                  "Listens for messages published to shard channels.", "7.0.0", {1, -1, 1}));
  t->Register(Cmd("sunsubscribe", -1, kSub, SUnsubscribeCommand,
                  "Stops listening to messages posted to shard channels.", "7.0.0", {1, -1, 1}));
  const uint32_t kPub = kCmdLoading | kCmdStale | kCmdFast;
  t->Register(Cmd("publish", 3, kPub, PublishCommand, "Posts a message to a channel.", "2.0.0"));
  t->Register(Cmd("spublish", 3, kPub, SPublishCommand, "Post a message to a shard channel",
                  "7.0.0", {1, 1, 1}));
  CommandSpec pubsub = Cmd("pubsub", -2, 0, nullptr, "A container for Pub/Sub commands.", "2.8.0");
  const uint32_t kInfo = kCmdLoading | kCmdStale;
  pubsub.subcommands = {
      Cmd("pubsub|channels", -2, kInfo, PubsubChannels, "Returns the active channels.", "2.8.0"),
      Cmd("pubsub|numsub", -2, kInfo, PubsubNumSub, "Returns a count of subscribers to channels.",
          "2.8.0"),
      Cmd("pubsub|numpat", 2, kInfo, PubsubNumPat,
          "Returns a count of unique pattern subscriptions.", "2.8.0"),
      Cmd("pubsub|shardchannels", -2, kInfo, PubsubShardChannels,
          "Returns the active shard channels.", "7.0.0"),
      Cmd("pubsub|shardnumsub", -2, kInfo, PubsubShardNumSub,
          "Returns the count of subscribers of shard channels.", "7.0.0"),
      Cmd("pubsub|help", 2, kInfo, PubsubHelp,
          "Returns helpful text about the different subcommands.", "6.2.0"),
  };
  t->Register(std::move(pubsub));
}

}  // namespace tally
