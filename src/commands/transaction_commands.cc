// Transactions (Redis 7 multi.c): MULTI EXEC DISCARD WATCH UNWATCH. Queued commands run inside
// a Keyspace::AtomicScope: no other client sees a partial result, and their writes become one
// group of records (one atomic RocksDB batch, one durability wait).
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"

namespace tally {
namespace {

void UnwatchAll(Session& s, Keyspace& ks) {
  for (const auto& w : s.watches) ks.Unwatch(w);
  s.watches.clear();
}

void Discard(Session& s, Keyspace& ks) {
  s.in_multi = false;
  s.multi_aborted = false;
  s.queued.clear();
  UnwatchAll(s, ks);
}

void MultiCommand(CommandContext& ctx) {
  if (ctx.session.in_multi) return ctx.reply.Error(errors::kMultiNested);
  ctx.session.in_multi = true;
  ctx.reply.Ok();
}

void DiscardCommand(CommandContext& ctx) {
  if (!ctx.session.in_multi) return ctx.reply.Error(errors::kDiscardWithoutMulti);
  Discard(ctx.session, ctx.keyspace());
  ctx.reply.Ok();
}

void WatchCommand(CommandContext& ctx) {
  if (ctx.session.in_multi) return ctx.reply.Error(errors::kWatchInMulti);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    auto token = ctx.keyspace().Watch(ctx.db(), ctx.args[i]);
    if (!token.ok()) return ReplyError(ctx.reply, token.status());
    ctx.session.watches.push_back(std::move(*token));
  }
  ctx.reply.Ok();
}

void UnwatchCommand(CommandContext& ctx) {
  UnwatchAll(ctx.session, ctx.keyspace());
  ctx.reply.Ok();
}

void ExecCommand(CommandContext& ctx) {
  Session& s = ctx.session;
  if (!s.in_multi) return ctx.reply.Error(errors::kExecWithoutMulti);
  if (s.multi_aborted) {
    Discard(s, ctx.keyspace());
    return ctx.reply.Error(errors::kExecAbort);
  }
  std::vector<std::vector<std::string>> queued = std::move(s.queued);
  std::vector<Keyspace::WatchToken> watches = std::move(s.watches);
  Discard(s, ctx.keyspace());

  Keyspace::AtomicScope scope(&ctx.keyspace());
  Keyspace& txn = scope.keyspace();
  bool changed = false;
  for (const auto& w : watches) changed |= txn.Changed(w);
  for (const auto& w : watches) txn.Unwatch(w);
  if (changed) {
    ctx.WaitFor(scope.Commit());
    return ctx.reply.NullArray();
  }
  ctx.reply.ArrayHeader(queued.size());
  std::vector<std::string_view> args;
  for (const auto& cmd : queued) {
    args.assign(cmd.begin(), cmd.end());
    CommandContext sub{args, s, ctx.reply, ctx.server};
    sub.view = &txn;
    ctx.table->Dispatch(sub);
    ctx.WaitFor(sub.barrier);
  }
  ctx.WaitFor(scope.Commit());
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since) {
  KeyPositions keys = std::string_view(name) == "watch" ? KeyPositions{1, -1, 1} : KeyPositions{};
  return MakeCommand(name, arity, flags | kCmdFast | kCmdLoading | kCmdStale, handler,
                     "transactions", summary, since, keys);
}

}  // namespace

void ResetTransaction(Session& session, Keyspace& keyspace) { Discard(session, keyspace); }

void RegisterTransactionCommands(CommandTable* t) {
  t->Register(Cmd("multi", 1, kCmdNoHttp | kCmdNoQueue, MultiCommand,
                  "Mark the start of a transaction block", "1.2.0"));
  t->Register(Cmd("exec", 1, kCmdNoHttp | kCmdNoQueue | kCmdSkipSlowlog, ExecCommand,
                  "Execute all commands issued after MULTI", "1.2.0"));
  t->Register(Cmd("discard", 1, kCmdNoHttp | kCmdNoQueue, DiscardCommand,
                  "Discard all commands issued after MULTI", "2.0.0"));
  t->Register(Cmd("watch", -2, kCmdNoHttp | kCmdNoQueue, WatchCommand,
                  "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0"));
  t->Register(
      Cmd("unwatch", 1, kCmdNoHttp, UnwatchCommand, "Forget about all watched keys", "2.2.0"));
}

}  // namespace tally
