// Server commands: INFO, CONFIG (GET SET RESETSTAT HELP), COMMAND (COUNT DOCS INFO LIST),
// SHUTDOWN.
#include <set>

#include "admin_commands.h"
#include "info.h"
#include "tally/commands/acl.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

void InfoCommand(CommandContext& ctx) {
  ctx.reply.Verbatim(BuildInfo(ctx.server, ctx.keyspace(), ctx.table, ctx.args.subspan(1)));
}

void ConfigGetCommand(CommandContext& ctx) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::set<std::string> seen;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    for (auto& p : ctx.server.config().Get(ctx.args[i]))
      if (seen.insert(p.first).second) pairs.push_back(std::move(p));
  }
  ctx.reply.MapHeader(pairs.size());
  for (const auto& [name, value] : pairs) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

void ConfigSetCommand(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 0) return ReplyArityError(ctx.reply, "config|set");
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    if (!Config::Known(ctx.args[i])) {
      return ctx.reply.Error(errors::Fill(errors::kConfigSetUnknown, ctx.args[i]));
    }
  }
  std::vector<Config::NameValue> pairs;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2)
    pairs.emplace_back(ctx.args[i], ctx.args[i + 1]);
  size_t failed = 0;
  Status st = ctx.server.config().SetAtRuntime(pairs, &failed);
  if (!st.ok()) {
    return ctx.reply.Error(
        errors::Fill(errors::kConfigSetFailed, pairs[failed].first, st.message()));
  }
  ctx.reply.Ok();
}

void ConfigResetStatCommand(CommandContext& ctx) {
  ctx.table->error_stats().Reset();
  // INFO commandstats starts over (the RESETSTAT itself is then counted, as in Redis).
  for (const auto& c : ctx.table->all()) {
    c->calls = c->failed = c->rejected = c->usec = StatCounter();
    c->latency->Reset();
    for (const auto& sub : c->subcommands) {
      sub.calls = sub.failed = sub.rejected = sub.usec = StatCounter();
      sub.latency->Reset();
    }
  }
  ctx.reply.Ok();
}

void ConfigRewriteCommand(CommandContext& ctx) {
  const std::string path = ctx.server.stats().config_file;
  if (path.empty()) return ctx.reply.Error(errors::kNoConfigFile);
  // Users are written as `user` lines unless they live in an ACL file (then old ones go).
  std::vector<Config::RewriteLine> users;
  Acl* acl = ctx.server.acl();
  if (acl != nullptr && ctx.server.config().Str(Opt::kAclfile).empty()) {
    for (const auto& u : acl->Users())
      users.push_back(Config::RewriteLine{"user", "user " + u->name + " " + u->Describe(), false});
  }
  if (users.empty()) users.push_back(Config::RewriteLine{"user", "", false});
  Status st = RewriteConfigFile(path, ctx.server.config(), users);
  if (!st.ok()) return ctx.reply.Error(std::string(errors::kRewriteFailed) + st.message());
  ctx.reply.Ok();
}

void ConfigHelpCommand(CommandContext& ctx) {
  static const char* kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

void ReplyCommandInfo(ReplyWriter& r, const CommandSpec& c) {
  static constexpr std::pair<uint32_t, const char*> kFlagNames[] = {
      {kCmdWrite, "write"},         {kCmdReadonly, "readonly"}, {kCmdDenyOom, "denyoom"},
      {kCmdAdmin, "admin"},         {kCmdNoScript, "noscript"}, {kCmdNoAuth, "no_auth"},
      {kCmdLoading, "loading"},     {kCmdStale, "stale"},       {kCmdFast, "fast"},
      {kCmdAllowBusy, "allow_busy"}};
  r.ArrayHeader(10);
  r.Bulk(c.name);
  r.Integer(c.arity);
  // Keys a count argument gives (EVAL, FCALL, LMPOP): "movablekeys", last as in Redis.
  const bool movable = c.numkeys_at > 0 || (c.flags & kCmdScript);
  size_t nflags = movable;
  for (auto [bit, name] : kFlagNames) nflags += (c.flags & bit) != 0;
  r.SetHeader(nflags);
  for (auto [bit, name] : kFlagNames)
    if (c.flags & bit) r.SimpleString(name);
  if (movable) r.SimpleString("movablekeys");
  r.Integer(c.first_key);
  r.Integer(c.last_key);
  r.Integer(c.step);
  size_t ncat = 0;
  for (size_t i = 0; i < std::size(kAclCategories); ++i) ncat += (c.acl_categories >> i) & 1;
  r.SetHeader(ncat);
  for (size_t i = 0; i < std::size(kAclCategories); ++i)
    if ((c.acl_categories >> i) & 1) r.SimpleString(std::string("@") + kAclCategories[i]);
  r.ArrayHeader(0);  // tips
  r.ArrayHeader(0);  // key specs
  r.ArrayHeader(c.subcommands.size());
  for (const auto& sub : c.subcommands) ReplyCommandInfo(r, sub);
}

void ReplyCommandDocs(ReplyWriter& r, const CommandSpec& c) {
  r.MapHeader(c.subcommands.empty() ? 5 : 6);
  r.Bulk("summary");
  r.Bulk(c.summary);
  r.Bulk("since");
  r.Bulk(c.since);
  r.Bulk("group");
  r.Bulk(c.group);
  r.Bulk("complexity");
  r.Bulk("O(1)");
  r.Bulk("arguments");
  r.ArrayHeader(0);
  if (!c.subcommands.empty()) {
    r.Bulk("subcommands");
    r.MapHeader(c.subcommands.size());
    for (const auto& sub : c.subcommands) {
      r.Bulk(sub.name);
      ReplyCommandDocs(r, sub);
    }
  }
}

void CommandCommand(CommandContext& ctx) {
  const auto& all = ctx.table->all();
  ctx.reply.ArrayHeader(all.size());
  for (const auto& c : all) ReplyCommandInfo(ctx.reply, *c);
}

void CommandCountCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.table->all().size()));
}

void CommandListCommand(CommandContext& ctx) {
  const auto& all = ctx.table->all();
  ctx.reply.ArrayHeader(all.size());
  for (const auto& c : all) ctx.reply.Bulk(c->name);
}

void CommandInfoCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) return CommandCommand(ctx);
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    // "container|sub" names a subcommand, as in Redis's lookupCommandBySds.
    std::string_view name = ctx.args[i];
    const size_t bar = name.find('|');
    std::string_view parts[] = {name.substr(0, bar),
                                bar == std::string_view::npos ? "" : name.substr(bar + 1)};
    const CommandSpec* c =
        ctx.table->Lookup(std::span(parts, bar == std::string_view::npos ? 1 : 2));
    if (c != nullptr && bar != std::string_view::npos && c->name.find('|') == std::string::npos)
      c = nullptr;  // "get|x": a plain command has no subcommands
    if (c == nullptr) {
      ctx.reply.NullArray();
    } else {
      ReplyCommandInfo(ctx.reply, *c);
    }
  }
}

void CommandDocsCommand(CommandContext& ctx) {
  std::vector<const CommandSpec*> specs;
  if (ctx.args.size() == 2) {
    for (const auto& c : ctx.table->all()) specs.push_back(c.get());
  } else {
    for (size_t i = 2; i < ctx.args.size(); ++i)
      if (const CommandSpec* c = ctx.table->Find(ctx.args[i])) specs.push_back(c);
  }
  ctx.reply.MapHeader(specs.size());
  for (const CommandSpec* c : specs) {
    ctx.reply.Bulk(c->name);
    ReplyCommandDocs(ctx.reply, *c);
  }
}

void ShutdownCommand(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "abort")) return ctx.reply.Error(errors::kNoShutdown);
    if (!EqualsIgnoreCase(a, "nosave") && !EqualsIgnoreCase(a, "save") &&
        !EqualsIgnoreCase(a, "now") && !EqualsIgnoreCase(a, "force")) {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  // As in Redis, a successful SHUTDOWN sends no reply: the connection just closes. Every write
  // acknowledged before it is committed and synced before the process exits.
  ctx.server.RequestShutdown();
  ctx.session.close_now = true;
}

void TimeCommand(CommandContext& ctx) {
  const int64_t us = NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(FormatInt64(us / 1000000));
  ctx.reply.Bulk(FormatInt64(us % 1000000));
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* group, const char* summary, const char* since) {
  return MakeCommand(name, arity, flags, handler, group, summary, since);
}

}  // namespace

void RegisterServerCommands(CommandTable* t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdLoading | kCmdStale;
  t->Register(Cmd("time", 1, kCmdLoading | kCmdStale | kCmdFast, TimeCommand, "server",
                  "Return the current server time", "2.6.0"));
  t->Register(Cmd("info", -1, kCmdLoading | kCmdStale, InfoCommand, "server",
                  "Get information and statistics about the server", "1.0.0"));
  t->Register(Cmd("shutdown", -1, kAdmin | kCmdNoAuth, ShutdownCommand, "server",
                  "Synchronously save the dataset to disk and then shut down the server", "1.0.0"));
  CommandSpec config = Cmd("config", -2, 0, nullptr, "server",
                           "A container for server configuration commands", "2.0.0");
  config.subcommands = {
      Cmd("config|get", -3, kAdmin, ConfigGetCommand, "server",
          "Get the values of configuration parameters", "2.0.0"),
      Cmd("config|set", -4, kAdmin, ConfigSetCommand, "server",
          "Set configuration parameters to the given values", "2.0.0"),
      Cmd("config|resetstat", 2, kAdmin, ConfigResetStatCommand, "server",
          "Reset the stats returned by INFO", "2.0.0"),
      Cmd("config|rewrite", 2, kAdmin, ConfigRewriteCommand, "server",
          "Rewrite the configuration file with the in memory configuration", "2.8.0"),
      Cmd("config|help", 2, kCmdLoading | kCmdStale, ConfigHelpCommand, "server",
          "Show helpful text about the different subcommands", "5.0.0"),
  };
  t->Register(std::move(config));
  CommandSpec command = Cmd("command", -1, kCmdLoading | kCmdStale, CommandCommand, "server",
                            "Get array of Redis command details", "2.8.13");
  command.subcommands = {
      Cmd("command|count", 2, kCmdLoading | kCmdStale, CommandCountCommand, "server",
          "Get total number of Redis commands", "2.8.13"),
      Cmd("command|docs", -2, kCmdLoading | kCmdStale, CommandDocsCommand, "server",
          "Get array of specific Redis command documentation", "7.0.0"),
      Cmd("command|info", -2, kCmdLoading | kCmdStale, CommandInfoCommand, "server",
          "Get array of specific Redis command details, or all when no argument is given.",
          "2.8.13"),
      Cmd("command|getkeys", -4, kCmdLoading | kCmdStale, CommandGetKeysCommand, "server",
          "Extract keys given a full Redis command", "2.8.13"),
      Cmd("command|list", -2, kCmdLoading | kCmdStale, CommandListCommand, "server",
          "Get an array of Redis command names", "7.0.0"),
  };
  t->Register(std::move(command));
}

}  // namespace tally
