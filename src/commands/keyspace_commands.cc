// Keyspace commands (Redis 7 db.c and expire.c): DEL, UNLINK, EXISTS, TYPE, DBSIZE, FLUSHDB,
// FLUSHALL, SELECT, TTL, PTTL.
#include <climits>
#include <optional>

#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

void DelCommand(CommandContext& ctx) {
  if (!Notifying(ctx, kNotifyGeneric)) {
    auto r = ctx.keyspace().Del(ctx.db(), ctx.args.subspan(1));
    if (!r.ok()) return ReplyError(ctx.reply, r.status());
    ctx.WaitFor(r->lsn);
    return ctx.reply.Integer(r->value);
  }
  // Notifications name each key deleted: one key at a time, still atomic and one group.
  std::optional<Keyspace::AtomicScope> scope;
  Keyspace& ks = AtomicKeyspace(ctx, &scope);
  int64_t deleted = 0;
  for (std::string_view key : ctx.args.subspan(1)) {
    auto r = ks.Del(ctx.db(), std::span<const std::string_view>(&key, 1));
    if (!r.ok()) return ReplyError(ctx.reply, r.status());
    ctx.WaitFor(r->lsn);
    if (r->value) Notify(ctx, kNotifyGeneric, "del", key);
    deleted += r->value;
  }
  if (scope) ctx.WaitFor(scope->Commit());
  ctx.reply.Integer(deleted);
}

void ExistsCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().Exists(ctx.db(), ctx.args.subspan(1));
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (static_cast<size_t>(r->value) < ctx.args.size() - 1)  // some are missing
    for (std::string_view key : ctx.args.subspan(1)) NotifyKeyMissIfAbsent(ctx, key);
  ctx.reply.Integer(r->value);
}

void TypeCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().Read(ctx.db(), ctx.args[1]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (!r->value) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  ctx.reply.SimpleString(r->value ? TypeName(r->value->type) : "none");
}

void TtlGeneric(CommandContext& ctx, bool ms) {
  auto r = ctx.keyspace().PTtl(ctx.db(), ctx.args[1]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  int64_t ttl = r->value;
  if (ttl == -2) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  ctx.reply.Integer(ttl < 0 || ms ? ttl : (ttl + 500) / 1000);
}
void TtlCommand(CommandContext& ctx) { TtlGeneric(ctx, false); }
void PTtlCommand(CommandContext& ctx) { TtlGeneric(ctx, true); }

void DbSizeCommand(CommandContext& ctx) {
  // The count includes writes that may not be durable yet: wait for all of them.
  ctx.WaitFor(ctx.keyspace().last_lsn());
  ctx.reply.Integer(ctx.keyspace().Counts(ctx.db()).keys);
}

// FLUSHDB/FLUSHALL [ASYNC|SYNC]: both run synchronously here (a flush is one range delete).
bool FlushArgsOk(CommandContext& ctx) {
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "async") &&
                              !EqualsIgnoreCase(ctx.args[1], "sync"))) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

void FlushDbCommand(CommandContext& ctx) {
  if (!FlushArgsOk(ctx)) return;
  auto r = ctx.keyspace().FlushDb(ctx.db());
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(*r);
  ctx.reply.Ok();
}

void FlushAllCommand(CommandContext& ctx) {
  if (!FlushArgsOk(ctx)) return;
  auto r = ctx.keyspace().FlushAll();
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(*r);
  ctx.reply.Ok();
}

// Parses a database number as SELECT does (getIntFromObjectOrReply, then the range).
std::optional<DbIndex> ParseDb(CommandContext& ctx, std::string_view arg) {
  auto id = ParseInt64(arg);
  if (!id || *id < INT_MIN || *id > INT_MAX) {
    ctx.reply.Error(errors::kNotInteger);
    return std::nullopt;
  }
  if (*id < 0 || *id >= ctx.keyspace().databases()) {
    ctx.reply.Error(errors::kDbIndexOutOfRange);
    return std::nullopt;
  }
  return static_cast<DbIndex>(*id);
}

constexpr const char* kSameObject = "source and destination objects are the same";

void RenameGeneric(CommandContext& ctx, bool nx) {
  auto r = ctx.keyspace().Rename(ctx.db(), ctx.args[1], ctx.args[2], nx);
  if (!r.ok()) {
    if (r.status().code() == Status::Code::kNoSuchKey) return ctx.reply.Error(errors::kNoSuchKey);
    return ReplyError(ctx.reply, r.status());
  }
  ctx.WaitFor(r->lsn);
  if (r->value && ctx.args[1] != ctx.args[2]) {
    NotifyNew(ctx, ctx.args[2], ctx.db());
    Notify(ctx, kNotifyGeneric, "rename_from", ctx.args[1]);
    Notify(ctx, kNotifyGeneric, "rename_to", ctx.args[2]);
  }
  if (nx) return ctx.reply.Integer(r->value ? 1 : 0);
  ctx.reply.Ok();
}
void RenameCommand(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNxCommand(CommandContext& ctx) { RenameGeneric(ctx, true); }

void CopyCommand(CommandContext& ctx) {
  DbIndex to_db = ctx.db();
  bool replace = false;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "db") && j + 1 < ctx.args.size()) {
      auto id = ParseInt64(ctx.args[j + 1]);
      if (!id) return ctx.reply.Error(errors::kNotInteger);
      if (*id < 0 || *id >= ctx.keyspace().databases())
        return ctx.reply.Error(errors::kDbIndexOutOfRange);
      to_db = static_cast<DbIndex>(*id);
      ++j;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (to_db == ctx.db() && ctx.args[1] == ctx.args[2]) return ctx.reply.Error(kSameObject);
  auto r = ctx.keyspace().Copy(ctx.db(), ctx.args[1], to_db, ctx.args[2], replace);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (r->value) {
    NotifyNew(ctx, ctx.args[2], to_db);
    Notify(ctx, kNotifyGeneric, "copy_to", ctx.args[2], to_db);
  } else {
    NotifyKeyMissIfAbsent(ctx, ctx.args[1]);  // Redis looks the source up first
  }
  ctx.reply.Integer(r->value ? 1 : 0);
}

void MoveCommand(CommandContext& ctx) {
  auto to_db = ParseDb(ctx, ctx.args[2]);
  if (!to_db) return;
  if (*to_db == ctx.db()) return ctx.reply.Error(kSameObject);
  auto r = ctx.keyspace().Move(ctx.db(), ctx.args[1], *to_db);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (r->value) {
    NotifyNew(ctx, ctx.args[1], *to_db);
    Notify(ctx, kNotifyGeneric, "move_from", ctx.args[1]);
    Notify(ctx, kNotifyGeneric, "move_to", ctx.args[1], *to_db);
  }
  ctx.reply.Integer(r->value ? 1 : 0);
}

void SelectCommand(CommandContext& ctx) {
  auto db = ParseDb(ctx, ctx.args[1]);
  if (!db) return;
  ctx.session.db.store(*db, std::memory_order_relaxed);
  ctx.reply.Ok();
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last,
                CommandHandler handler, const char* group, const char* summary,
                const char* since = "1.0.0") {
  return MakeCommand(name, arity, flags, handler, group, summary, since,
                     {first, last, first ? 1 : 0});
}

// MEMORY USAGE key [SAMPLES n]: an estimate of the bytes the key takes in tallyd's in-memory
// table (key, value and the entry's own overhead); nil if it does not exist. SAMPLES is
// checked as Redis checks it and has nothing to sample for a string.
void MemoryUsageCommand(CommandContext& ctx) {
  constexpr int64_t kEntryOverhead = 56;  // table entry, hash slot and value header
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    if (!EqualsIgnoreCase(ctx.args[j], "samples") || j + 1 >= ctx.args.size())
      return ctx.reply.Error(errors::kSyntax);
    auto samples = ParseInt64(ctx.args[++j]);
    if (!samples) return ctx.reply.Error(errors::kNotInteger);
    if (*samples < 0) return ctx.reply.Error(errors::kSyntax);
  }
  auto r = ctx.keyspace().Read(ctx.db(), ctx.args[2]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (!r->value) return ctx.reply.Null();
  ctx.reply.Integer(static_cast<int64_t>(ctx.args[2].size() + r->value->data.size()) +
                    kEntryOverhead);
}

void MemoryHelpCommand(CommandContext& ctx) {
  static const char* kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace

void RegisterKeyspaceCommands(CommandTable* t) {
  CommandSpec memory = MakeCommand("memory", -2, 0, nullptr, "server",
                                   "A container for memory diagnostics commands", "4.0.0");
  memory.subcommands = {
      MakeCommand("memory|usage", -3, kCmdReadonly, MemoryUsageCommand, "server",
                  "Estimate the memory usage of a key", "4.0.0", {2, 2, 1}),
      MakeCommand("memory|help", 2, kCmdLoading | kCmdStale, MemoryHelpCommand, "server",
                  "Show helpful text about the different subcommands", "4.0.0"),
  };
  t->Register(std::move(memory));
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  t->Register(Cmd("del", -2, kCmdWrite, 1, -1, DelCommand, "generic", "Delete a key"));
  t->Register(Cmd("unlink", -2, kCmdWrite | kCmdFast, 1, -1, DelCommand, "generic",
                  "Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
                  "but non blocking.",
                  "4.0.0"));
  t->Register(Cmd("exists", -2, kRF, 1, -1, ExistsCommand, "generic", "Determine if a key exists"));
  t->Register(
      Cmd("type", 2, kRF, 1, 1, TypeCommand, "generic", "Determine the type stored at key"));
  t->Register(
      Cmd("ttl", 2, kRF, 1, 1, TtlCommand, "generic", "Get the time to live for a key in seconds"));
  t->Register(Cmd("pttl", 2, kRF, 1, 1, PTtlCommand, "generic",
                  "Get the time to live for a key in milliseconds", "2.6.0"));
  t->Register(Cmd("dbsize", 1, kRF, 0, 0, DbSizeCommand, "server",
                  "Return the number of keys in the selected database"));
  t->Register(Cmd("flushdb", -1, kCmdWrite, 0, 0, FlushDbCommand, "server",
                  "Remove all keys from the current database"));
  t->Register(Cmd("flushall", -1, kCmdWrite, 0, 0, FlushAllCommand, "server",
                  "Remove all keys from all databases"));
  t->Register(Cmd("rename", 3, kCmdWrite, 1, 2, RenameCommand, "generic", "Rename a key"));
  t->Register(Cmd("renamenx", 3, kCmdWrite | kCmdFast, 1, 2, RenameNxCommand, "generic",
                  "Rename a key, only if the new key does not exist"));
  t->Register(Cmd("copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, CopyCommand, "generic", "Copy a key",
                  "6.2.0"));
  t->Register(Cmd("move", 3, kCmdWrite | kCmdFast, 1, 1, MoveCommand, "generic",
                  "Move a key to another database"));
  t->Register(Cmd("select", 2, kCmdNoHttp | kCmdFast | kCmdLoading | kCmdStale, 0, 0, SelectCommand,
                  "connection", "Change the selected database for the current connection"));
}

}  // namespace tally
