// Scripting commands (Redis 7.0 eval.c): EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT. The engine
// is scripting.h.
#include "tally/commands/command_table.h"
#include "tally/commands/scripting.h"
#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {

void RunScriptCall(CommandContext& ctx, bool by_sha, bool function, bool read_only) {
  ScriptEngine* engine = ctx.server.scripts();
  if (engine == nullptr) return ctx.reply.Error(errors::kScriptingUnavailable);
  auto numkeys = ParseInt64(ctx.args[2]);
  if (!numkeys) return ctx.reply.Error(function ? errors::kBadNumberOfKeys : errors::kNotInteger);
  if (*numkeys < 0) return ctx.reply.Error(errors::kNegativeKeys);
  if (*numkeys > static_cast<int64_t>(ctx.args.size() - 3))
    return ctx.reply.Error(errors::kTooManyKeys);
  const size_t n = static_cast<size_t>(*numkeys);
  ScriptEngine::Call call{
      ctx.args[1], by_sha, function, read_only, ctx.args.subspan(3, n), ctx.args.subspan(3 + n)};
  engine->Run(ctx, call);
}

namespace {

void EvalCommand(CommandContext& ctx) { RunScriptCall(ctx, false, false, false); }
void EvalShaCommand(CommandContext& ctx) { RunScriptCall(ctx, true, false, false); }
void EvalRoCommand(CommandContext& ctx) { RunScriptCall(ctx, false, false, true); }
void EvalShaRoCommand(CommandContext& ctx) { RunScriptCall(ctx, true, false, true); }

void ScriptLoadCommand(CommandContext& ctx) {
  std::string error;
  std::string sha = ctx.server.scripts()->Load(ctx.args[2], &error);
  if (sha.empty()) return ctx.reply.Error(error);
  ctx.reply.Bulk(sha);
}

void ScriptExistsCommand(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i)
    ctx.reply.Integer(ctx.server.scripts()->Exists(ctx.args[i]) ? 1 : 0);
}

void ScriptFlushCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3 || (ctx.args.size() == 3 && !EqualsIgnoreCase(ctx.args[2], "sync") &&
                              !EqualsIgnoreCase(ctx.args[2], "async"))) {
    return ctx.reply.Error(errors::kScriptFlushOption);
  }
  ctx.server.scripts()->Flush();
  ctx.reply.Ok();
}

}  // namespace

void ScriptKillCommand(CommandContext& ctx) {
  switch (ctx.server.scripts()->Kill()) {
    case ScriptEngine::KillResult::kNotBusy:
      return ctx.reply.Error(errors::kNotBusy);
    case ScriptEngine::KillResult::kUnkillable:
      return ctx.reply.Error(errors::kUnkillable);
    case ScriptEngine::KillResult::kKilled:
      return ctx.reply.Ok();
  }
}

namespace {

void ScriptHelpCommand(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since) {
  return MakeCommand(name, arity, flags | kCmdNoScript, handler, "scripting", summary, since);
}

}  // namespace

void RegisterScriptCommands(CommandTable* t) {
  // A script may write; it runs off the io threads (kCmdScript) and keeps others out while it
  // runs.
  constexpr uint32_t kRun = kCmdScript | kCmdSkipSlowlog | kCmdStale;
  t->Register(Cmd("eval", -3, kRun, EvalCommand, "Execute a Lua script server side", "2.6.0"));
  t->Register(
      Cmd("evalsha", -3, kRun, EvalShaCommand, "Execute a Lua script server side", "2.6.0"));
  t->Register(Cmd("eval_ro", -3, kRun | kCmdReadonly, EvalRoCommand,
                  "Execute a read-only Lua script server side", "7.0.0"));
  t->Register(Cmd("evalsha_ro", -3, kRun | kCmdReadonly, EvalShaRoCommand,
                  "Execute a read-only Lua script server side", "7.0.0"));
  CommandSpec script =
      Cmd("script", -2, 0, nullptr, "A container for Lua scripts management commands", "2.6.0");
  script.subcommands = {
      Cmd("script|load", 3, kCmdStale, ScriptLoadCommand,
          "Load a script into the scripts cache, without executing it", "2.6.0"),
      Cmd("script|exists", -3, kCmdStale, ScriptExistsCommand,
          "Check existence of scripts in the script cache.", "2.6.0"),
      Cmd("script|flush", -2, kCmdStale, ScriptFlushCommand,
          "Remove all the scripts from the script cache.", "2.6.0"),
      Cmd("script|kill", 2, kCmdAllowBusy | kCmdStale, ScriptKillCommand,
          "Kill the script currently in execution.", "2.6.0"),
      Cmd("script|help", 2, kCmdStale, ScriptHelpCommand,
          "Show helpful text about the different subcommands", "5.0.0"),
  };
  t->Register(std::move(script));
}

}  // namespace tally
