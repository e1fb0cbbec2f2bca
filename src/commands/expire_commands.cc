// Expiry commands (Redis 7 expire.c): EXPIRE PEXPIRE EXPIREAT PEXPIREAT EXPIRETIME PEXPIRETIME
// PERSIST. (TTL and PTTL are with the keyspace commands.)
#include <limits>

#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// parseExtendedExpireArgumentsOrReply: NX XX GT LT, checked before the time argument.
bool ParseFlags(CommandContext& ctx, int* flags) {
  static constexpr std::pair<const char*, int> kNames[] = {{"nx", Keyspace::kExpireNx},
                                                           {"xx", Keyspace::kExpireXx},
                                                           {"gt", Keyspace::kExpireGt},
                                                           {"lt", Keyspace::kExpireLt}};
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    int flag = 0;
    for (auto [name, f] : kNames)
      if (EqualsIgnoreCase(ctx.args[j], name)) flag = f;
    if (flag == 0) {
      ctx.reply.Error(errors::Fill(errors::kUnsupportedOption, ctx.args[j]));
      return false;
    }
    *flags |= flag;
  }
  if ((*flags & Keyspace::kExpireNx) &&
      (*flags & (Keyspace::kExpireXx | Keyspace::kExpireGt | Keyspace::kExpireLt))) {
    ctx.reply.Error(errors::kExpireNxWithOthers);
    return false;
  }
  if ((*flags & Keyspace::kExpireGt) && (*flags & Keyspace::kExpireLt)) {
    ctx.reply.Error(errors::kExpireGtLt);
    return false;
  }
  return true;
}

void ExpireGeneric(CommandContext& ctx, bool seconds, bool relative, const char* name) {
  int flags = 0;
  if (!ParseFlags(ctx, &flags)) return;
  auto when = ParseInt64(ctx.args[2]);
  if (!when) return ctx.reply.Error(errors::kNotInteger);
  int64_t at = *when;
  auto invalid = [&] { ctx.reply.Error(errors::Fill(errors::kInvalidExpireTime, name)); };
  if (seconds) {
    if (at > std::numeric_limits<int64_t>::max() / 1000 ||
        at < std::numeric_limits<int64_t>::min() / 1000)
      return invalid();
    at *= 1000;
  }
  int64_t base = relative ? NowMs() : 0;
  if (at > std::numeric_limits<int64_t>::max() - base) return invalid();
  at += base;
  auto r = ctx.keyspace().Expire(ctx.db(), ctx.args[1], at, flags);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  // A time already past deletes the key (Redis: "del"), any other sets the TTL.
  if (r->value) Notify(ctx, kNotifyGeneric, at <= NowMs() ? "del" : "expire", ctx.args[1]);
  ctx.reply.Integer(r->value);
}

void ExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, true, true, "expire"); }
void PExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, false, true, "pexpire"); }
void ExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, true, false, "expireat"); }
void PExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, false, false, "pexpireat"); }

void ExpireTimeGeneric(CommandContext& ctx, bool ms) {
  auto r = ctx.keyspace().ExpireAt(ctx.db(), ctx.args[1]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  int64_t v = r->value;
  if (v == -2) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  ctx.reply.Integer(v < 0 || ms ? v : (v + 500) / 1000);
}
void ExpireTimeCommand(CommandContext& ctx) { ExpireTimeGeneric(ctx, false); }
void PExpireTimeCommand(CommandContext& ctx) { ExpireTimeGeneric(ctx, true); }

void PersistCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().Persist(ctx.db(), ctx.args[1]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (r->value) Notify(ctx, kNotifyGeneric, "persist", ctx.args[1]);
  ctx.reply.Integer(r->value);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since) {
  return MakeCommand(name, arity, flags, handler, "generic", summary, since, {1, 1, 1});
}

}  // namespace

void RegisterExpireCommands(CommandTable* t) {
  constexpr uint32_t kWF = kCmdWrite | kCmdFast;
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  t->Register(
      Cmd("expire", -3, kWF, ExpireCommand, "Set a key's time to live in seconds", "1.0.0"));
  t->Register(
      Cmd("pexpire", -3, kWF, PExpireCommand, "Set a key's time to live in milliseconds", "2.6.0"));
  t->Register(Cmd("expireat", -3, kWF, ExpireAtCommand,
                  "Set the expiration for a key as a UNIX timestamp", "1.2.0"));
  t->Register(Cmd("pexpireat", -3, kWF, PExpireAtCommand,
                  "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
                  "2.6.0"));
  t->Register(Cmd("expiretime", 2, kRF, ExpireTimeCommand,
                  "Get the expiration Unix timestamp for a key", "7.0.0"));
  t->Register(Cmd("pexpiretime", 2, kRF, PExpireTimeCommand,
                  "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0"));
  t->Register(Cmd("persist", 2, kWF, PersistCommand, "Remove the expiration from a key", "2.2.0"));
}

}  // namespace tally
