// SLOWLOG GET/LEN/RESET/HELP, as Redis 7 has them.
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"

namespace tally {
namespace {

void SlowlogGetCommand(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.args.size() > 3) return ReplyArityError(ctx.reply, "slowlog|get");
  if (ctx.args.size() == 3) {
    auto n = ParseInt64(ctx.args[2]);
    // Redis answers a count that is not an integer with the same text.
    if (!n || *n < -1) return ctx.reply.Error(errors::kSlowlogCount);
    count = *n;
  }
  auto entries = ctx.table->slowlog().Get(count);
  ctx.reply.ArrayHeader(entries.size());
  for (const SlowLogEntry& e : entries) {
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.args.size());
    for (const std::string& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLenCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.table->slowlog().Len()));
}

void SlowlogResetCommand(CommandContext& ctx) {
  ctx.table->slowlog().Reset();
  ctx.reply.Ok();
}

void SlowlogHelpCommand(CommandContext& ctx) {
  static const char* kLines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
      "HELP",
      "    Prints this help."};
  ReplyHelp(ctx.reply, kLines);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary) {
  return MakeCommand(name, arity, flags, handler, "server", summary, "2.2.12");
}

}  // namespace

void RegisterSlowlogCommands(CommandTable* t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdLoading | kCmdStale;
  CommandSpec slowlog = Cmd("slowlog", -2, 0, nullptr, "A container for slow log commands");
  slowlog.subcommands = {
      Cmd("slowlog|get", -2, kAdmin, SlowlogGetCommand, "Get the slow log's entries"),
      Cmd("slowlog|len", 2, kAdmin, SlowlogLenCommand, "Get the slow log's length"),
      Cmd("slowlog|reset", 2, kAdmin, SlowlogResetCommand, "Clear all entries from the slow log"),
      Cmd("slowlog|help", 2, kCmdLoading | kCmdStale, SlowlogHelpCommand,
          "Show helpful text about the different subcommands"),
  };
  t->Register(std::move(slowlog));
}

}  // namespace tally
