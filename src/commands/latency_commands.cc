// LATENCY LATEST / HISTORY / RESET / HELP: Redis's latency monitor over the events the commit
// log reports ("fsync", "commit") once latency-monitor-threshold is set.
#include <vector>

#include "tally/commands/command_table.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

void LatencyLatestCommand(CommandContext& ctx) {
  auto events = ctx.server.latency_monitor().Events();
  ctx.reply.ArrayHeader(events.size());
  for (const auto& e : events) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(e.name);
    ctx.reply.Integer(e.samples.back().time_s);
    ctx.reply.Integer(e.samples.back().ms);
    ctx.reply.Integer(e.max_ms);
  }
}

void LatencyHistoryCommand(CommandContext& ctx) {
  for (const auto& e : ctx.server.latency_monitor().Events()) {
    if (e.name != ctx.args[2]) continue;
    ctx.reply.ArrayHeader(e.samples.size());
    for (const auto& s : e.samples) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Integer(s.time_s);
      ctx.reply.Integer(s.ms);
    }
    return;
  }
  ctx.reply.ArrayHeader(0);
}

void LatencyResetCommand(CommandContext& ctx) {
  std::vector<std::string> names(ctx.args.begin() + 2, ctx.args.end());
  ctx.reply.Integer(ctx.server.latency_monitor().Reset(names));
}

void LatencyHelpCommand(CommandContext& ctx) {
  static const char* kLines[] = {"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 "HISTORY <event>",
                                 "    Return time-latency samples for the <event> class.",
                                 "LATEST",
                                 "    Return the latest latency samples for all events.",
                                 "RESET [<event> ...]",
                                 "    Reset latency data of one or more <event> classes.",
                                 "    (default: reset all data for all event classes)",
                                 "HELP",
                                 "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace

void RegisterLatencyCommands(CommandTable* t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdLoading | kCmdStale;
  CommandSpec latency = MakeCommand("latency", -2, 0, nullptr, "server",
                                    "A container for latency diagnostics commands", "2.8.13");
  latency.subcommands = {
      MakeCommand("latency|latest", 2, kAdmin, LatencyLatestCommand, "server",
                  "Return the latest latency samples for all events.", "2.8.13"),
      MakeCommand("latency|history", 3, kAdmin, LatencyHistoryCommand, "server",
                  "Return timestamp-latency samples for an event.", "2.8.13"),
      MakeCommand("latency|reset", -2, kAdmin, LatencyResetCommand, "server",
                  "Reset the latency data for one or more events.", "2.8.13"),
      MakeCommand("latency|help", 2, kCmdLoading | kCmdStale, LatencyHelpCommand, "server",
                  "Show helpful text about the different subcommands.", "2.8.13"),
  };
  t->Register(std::move(latency));
}

}  // namespace tally
