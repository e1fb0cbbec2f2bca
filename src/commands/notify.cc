// Keyspace notifications (Redis 7.0's notify.c): commands record them in the session, Dispatch
// publishes them once the command's writes are acknowledged.
#include "tally/commands/command_table.h"
#include "tally/util/notify_flags.h"

namespace tally {

bool Notifying(const CommandContext& ctx, uint32_t type) {
  const auto flags = static_cast<uint32_t>(ctx.server.config().Int(Opt::kNotifyKeyspaceEvents));
  return (flags & type) && (flags & (kNotifyKeyspace | kNotifyKeyevent));
}

void NotifyKeyMissIfAbsent(CommandContext& ctx, std::string_view key) {
  if (!Notifying(ctx, kNotifyKeyMiss)) return;
  std::string_view keys[] = {key};
  auto r = ctx.keyspace().Exists(ctx.db(), keys);
  if (r.ok() && r->value == 0) Notify(ctx, kNotifyKeyMiss, "keymiss", key);
}

void Notify(CommandContext& ctx, uint32_t type, const char* event, std::string_view key) {
  Notify(ctx, type, event, key, ctx.db());
}

namespace {
// Takes `key` out of the keys the command's CreatedKeys scope noted; true if it was there.
bool TakeCreated(CommandContext& ctx, std::string_view key, DbIndex db) {
  Keyspace::CreatedKeys* created = ctx.keyspace().created_keys();
  return created != nullptr && created->Take(db, key);
}
void PushNew(CommandContext& ctx, std::string_view key, DbIndex db) {
  ctx.session.notifications.push_back(KeyNotification{kNotifyNew, "new", db, std::string(key)});
}
}  // namespace

// A scope exists only while `n` events are on (Dispatch), so a taken key is announced.
void NotifyIfCreated(CommandContext& ctx, std::string_view key, DbIndex db) {
  if (TakeCreated(ctx, key, db)) PushNew(ctx, key, db);
}

void NotifyNew(CommandContext& ctx, std::string_view key, DbIndex db) {
  TakeCreated(ctx, key, db);
  if (Notifying(ctx, kNotifyNew)) PushNew(ctx, key, db);
}

void Notify(CommandContext& ctx, uint32_t type, const char* event, std::string_view key,
            DbIndex db) {
  // Redis announces a key's creation when it is added, before the command's own event (a
  // keymiss comes from the read before).
  if (type != kNotifyKeyMiss) NotifyIfCreated(ctx, key, db);
  if (!Notifying(ctx, type)) return;
  ctx.session.notifications.push_back(KeyNotification{type, event, db, std::string(key)});
}

std::vector<std::pair<std::string, std::string>> NotificationMessages(uint32_t flags,
                                                                      const KeyNotification& n) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string db = std::to_string(n.db);
  if (flags & kNotifyKeyspace) out.emplace_back("__keyspace@" + db + "__:" + n.key, n.event);
  if (flags & kNotifyKeyevent)
    out.emplace_back("__keyevent@" + db + "__:" + std::string(n.event), n.key);
  return out;
}

namespace {

std::vector<std::pair<std::string, std::string>> TakeMessages(ServerContext& server,
                                                              Session& session) {
  const auto flags = static_cast<uint32_t>(server.config().Int(Opt::kNotifyKeyspaceEvents));
  std::vector<std::pair<std::string, std::string>> messages;
  for (const KeyNotification& n : session.notifications)
    for (auto& m : NotificationMessages(flags, n)) messages.push_back(std::move(m));
  session.notifications.clear();
  return messages;
}

}  // namespace

void PublishNotifications(ServerContext& server, Session& session) {
  for (const auto& [channel, message] : TakeMessages(server, session))
    server.pubsub().Publish(PubSub::kGlobal, channel, message);
}

void PublishNotificationsWhenAcked(ServerContext& server, Session& session, Lsn lsn) {
  PubSub* pubsub = &server.pubsub();
  server.commit_log().WhenAcked(lsn, [pubsub, messages = TakeMessages(server, session)](Status st) {
    if (!st.ok()) return;  // never acknowledged: never announced
    for (const auto& [channel, message] : messages)
      pubsub->Publish(PubSub::kGlobal, channel, message);
  });
}

}  // namespace tally
