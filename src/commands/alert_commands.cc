// TALLY.ALERT SET/DEL/LIST/HELP: threshold alerts on counters (storage/events.h). A crossing
// is published on the rule's channel (default "tally:alerts") and on GET /v1/events.
#include <cmath>

#include "tally/commands/arg_parser.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

constexpr const char* kDefaultChannel = "tally:alerts";

// ABOVE n | BELOW n, at args[0..1] of `p`. Fails `p` if absent or not a finite number.
AlertRule ParseRule(ArgParser& p) {
  AlertRule r;
  if (p.Check("ABOVE")) {
    r.above = true;
  } else if (p.Check("BELOW")) {
    r.above = false;
  } else {
    p.Fail();
    return r;
  }
  r.threshold.assign(p.Next());
  auto v = ParseLongDouble(r.threshold);
  if (p.ok() && (!v || !std::isfinite(static_cast<double>(*v)))) p.Fail(errors::kNotFloat);
  r.value = v.value_or(0);
  return r;
}

bool SameThreshold(const AlertRule& a, const AlertRule& b) {
  return a.above == b.above && a.value == b.value;
}

// TALLY.ALERT SET key ABOVE|BELOW n [CHANNEL ch]
void AlertSet(CommandContext& ctx) {
  ArgParser p(ctx.args.subspan(3));
  AlertRule rule = ParseRule(p);
  rule.channel = kDefaultChannel;
  std::string_view channel;
  if (p.Check("CHANNEL", &channel)) rule.channel.assign(channel);
  if (p.HasNext()) p.Fail();
  if (!p.ok()) return ctx.reply.Error(p.error());
  ReplyWritten(ctx,
               ctx.keyspace().EditAlerts(ctx.db(), ctx.args[2],
                                         [&](std::vector<AlertRule>* rules) -> int64_t {
                                           std::erase_if(*rules, [&](const AlertRule& r) {
                                             return SameThreshold(r, rule);
                                           });
                                           rules->push_back(rule);
                                           return 1;
                                         }),
               [&](int64_t) { ctx.reply.Ok(); });
}

// TALLY.ALERT DEL key [ABOVE|BELOW n] -> how many rules were removed
void AlertDel(CommandContext& ctx) {
  ArgParser p(ctx.args.subspan(3));
  std::optional<AlertRule> only;
  if (p.HasNext()) only = ParseRule(p);
  if (p.HasNext()) p.Fail();
  if (!p.ok()) return ctx.reply.Error(p.error());
  ReplyWritten(ctx,
               ctx.keyspace().EditAlerts(ctx.db(), ctx.args[2],
                                         [&](std::vector<AlertRule>* rules) -> int64_t {
                                           return static_cast<int64_t>(
                                               std::erase_if(*rules, [&](const AlertRule& r) {
                                                 return !only || SameThreshold(r, *only);
                                               }));
                                         }),
               [&](int64_t n) { ctx.reply.Integer(n); });
}

// TALLY.ALERT LIST [pattern] -> [[key, "above"|"below", threshold, channel], ...] of this db
void AlertList(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  const std::string_view pattern = ctx.args.size() == 3 ? ctx.args[2] : "*";
  std::vector<AlertRules::Entry> rules;
  for (auto& e : ctx.keyspace().ListAlerts())
    if (e.db == ctx.db() && GlobMatch(pattern, e.key)) rules.push_back(std::move(e));
  ctx.reply.ArrayHeader(rules.size());
  for (const auto& e : rules) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(e.key);
    ctx.reply.Bulk(e.rule.above ? "above" : "below");
    ctx.reply.Bulk(e.rule.threshold);
    ctx.reply.Bulk(e.rule.channel);
  }
}

void AlertHelp(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "TALLY.ALERT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "SET <key> ABOVE|BELOW <n> [CHANNEL <channel>]",
      "    Publish a message when a write moves the counter across <n> (once per crossing),",
      "    on <channel> (default: tally:alerts) and on GET /v1/events.",
      "DEL <key> [ABOVE|BELOW <n>]",
      "    Remove the key's alerts (or the one given); returns how many were removed.",
      "LIST [<pattern>]",
      "    The alerts of this database's keys matching <pattern> (default: '*').",
      "HELP",
      "    Prints this help."};
  ReplyHelp(ctx.reply, kLines);
}

}  // namespace

void RegisterAlertCommands(CommandTable* t) {
  CommandSpec alert = MakeCommand("tally.alert", -2, 0, nullptr, "string",
                                  "A container for threshold alerts", "0.1.0");
  alert.subcommands = {
      MakeCommand("tally.alert|set", -5, kCmdWrite | kCmdDenyOom, AlertSet, "string",
                  "Sets a threshold alert on a counter.", "0.1.0", {2, 2, 1}),
      MakeCommand("tally.alert|del", -3, kCmdWrite, AlertDel, "string", "Removes threshold alerts.",
                  "0.1.0", {2, 2, 1}),
      MakeCommand("tally.alert|list", -2, kCmdReadonly, AlertList, "string",
                  "Lists threshold alerts.", "0.1.0"),
      MakeCommand("tally.alert|help", 2, kCmdReadonly, AlertHelp, "string",
                  "Returns helpful text about the subcommands.", "0.1.0"),
  };
  t->Register(std::move(alert));
}

}  // namespace tally
