// Functions (Redis 7.0 functions.c): FUNCTION LOAD DELETE FLUSH LIST STATS KILL HELP, and FCALL
// FCALL_RO. Libraries are durable: each is a record in the system database kFunctionDb
// (name -> code), loaded again at start (LoadFunctionLibraries).
#include <set>

#include "function_dump.h"
#include "tally/commands/command_table.h"
#include "tally/commands/scripting.h"
#include "tally/protocol/errors.h"
#include "tally/storage/store.h"
#include "tally/storage/value_codec.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// Writes (code) or deletes (nullopt) the libraries' records as one group.
StatusOr<Lsn> PersistLibraries(Keyspace& ks, std::span<const std::string> names,
                               const std::string* code) {
  std::vector<Keyspace::KeyRef> refs;
  for (const auto& n : names) refs.push_back({kFunctionDb, n});
  return ks.Update(refs, [&](auto, auto out) {
    for (auto& m : out) {
      m.op = code ? Keyspace::Mutation::Op::kPut : Keyspace::Mutation::Op::kDelete;
      if (code) m.data = *code;
    }
    return Status::OK();
  });
}

void FcallCommand(CommandContext& ctx) { RunScriptCall(ctx, false, true, false); }
void FcallRoCommand(CommandContext& ctx) { RunScriptCall(ctx, false, true, true); }

// Loads one library and writes its record. The library's name, or "" with Redis's error text.
std::string LoadAndPersist(CommandContext& ctx, const std::string& code, bool replace,
                           std::string* error) {
  return ctx.server.scripts()->LoadLibrary(
      code, replace,
      [&](const std::string& lib) -> Status {
        auto lsn = PersistLibraries(ctx.keyspace(), std::span(&lib, 1), &code);
        if (!lsn.ok()) return lsn.status();
        ctx.WaitFor(*lsn);
        return Status::OK();
      },
      error);
}

void FunctionLoadCommand(CommandContext& ctx) {
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < ctx.args.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.args[i], "replace"))
      return ctx.reply.Error(errors::Fill(errors::kFunctionLoadOption, ctx.args[i]));
    replace = true;
  }
  if (i >= ctx.args.size()) return ctx.reply.Error(errors::kFunctionCodeMissing);
  std::string error;
  std::string name = LoadAndPersist(ctx, std::string(ctx.args[i]), replace, &error);
  if (name.empty()) return ctx.reply.Error(error);
  ctx.reply.Bulk(name);
}

void FunctionDeleteCommand(CommandContext& ctx) {
  const std::string name(ctx.args[2]);
  if (!ctx.server.scripts()->DeleteLibrary(name)) return ctx.reply.Error(errors::kLibraryNotFound);
  auto lsn = PersistLibraries(ctx.keyspace(), std::span(&name, 1), nullptr);
  if (!lsn.ok()) return ReplyError(ctx.reply, lsn.status());
  ctx.WaitFor(*lsn);
  ctx.reply.Ok();
}

// Forgets every library and deletes their records.
Status FlushLibraries(CommandContext& ctx) {
  std::vector<std::string> names;
  for (const auto& lib : ctx.server.scripts()->Libraries()) names.push_back(lib.name);
  ctx.server.scripts()->FlushLibraries();
  if (names.empty()) return Status::OK();
  auto lsn = PersistLibraries(ctx.keyspace(), names, nullptr);
  if (!lsn.ok()) return lsn.status();
  ctx.WaitFor(*lsn);
  return Status::OK();
}

void FunctionFlushCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3 || (ctx.args.size() == 3 && !EqualsIgnoreCase(ctx.args[2], "sync") &&
                              !EqualsIgnoreCase(ctx.args[2], "async"))) {
    return ctx.reply.Error(errors::kFunctionFlushOption);
  }
  Status st = FlushLibraries(ctx);
  if (!st.ok()) return ReplyError(ctx.reply, st);
  ctx.reply.Ok();
}

void FunctionDumpCommand(CommandContext& ctx) {
  std::vector<std::string> codes;
  for (auto& lib : ctx.server.scripts()->Libraries()) codes.push_back(std::move(lib.code));
  ctx.reply.Bulk(DumpFunctionLibraries(codes));
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] (default APPEND: no library may exist yet).
void FunctionRestoreCommand(CommandContext& ctx) {
  if (ctx.args.size() > 4)
    return ctx.reply.Error(errors::Fill(errors::kSubcommandSyntax, ctx.args[1], "FUNCTION"));
  std::string_view policy = ctx.args.size() == 4 ? ctx.args[3] : "append";
  const bool flush = EqualsIgnoreCase(policy, "flush");
  const bool append = EqualsIgnoreCase(policy, "append");
  if (!flush && !append && !EqualsIgnoreCase(policy, "replace"))
    return ctx.reply.Error(
        "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
  std::vector<std::string> codes;
  std::string error;
  if (!ParseFunctionDump(ctx.args[2], &codes, &error)) return ctx.reply.Error(error);
  ScriptEngine& scripts = *ctx.server.scripts();
  if (append) {
    std::set<std::string> names;
    for (const auto& lib : scripts.Libraries()) names.insert(lib.name);
    for (const auto& code : codes) {
      auto name = ScriptEngine::LibraryNameOf(code);
      if (name && names.count(*name))
        return ctx.reply.Error(errors::Fill(errors::kRestoreLibraryExists, *name));
    }
  }
  if (flush) {
    Status st = FlushLibraries(ctx);
    if (!st.ok()) return ReplyError(ctx.reply, st);
  }
  for (const auto& code : codes)
    if (LoadAndPersist(ctx, code, !append, &error).empty()) return ctx.reply.Error(error);
  ctx.reply.Ok();
}

void ReplyFunction(ReplyWriter& r, const ScriptEngine::FunctionInfo& f) {
  r.MapHeader(3);
  r.Bulk("name");
  r.Bulk(f.name);
  r.Bulk("description");
  if (f.description) {
    r.Bulk(*f.description);
  } else {
    r.Null();
  }
  r.Bulk("flags");
  r.SetHeader(f.no_writes ? 1 : 0);
  if (f.no_writes) r.SimpleString("no-writes");
}

void FunctionListCommand(CommandContext& ctx) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (!with_code && EqualsIgnoreCase(ctx.args[i], "withcode")) {
      with_code = true;
    } else if (!pattern && EqualsIgnoreCase(ctx.args[i], "libraryname")) {
      if (i + 1 >= ctx.args.size()) return ctx.reply.Error(errors::kLibraryNameArgMissing);
      pattern = ctx.args[++i];
    } else {
      return ctx.reply.Error(errors::Fill(errors::kFunctionListArg, ctx.args[i]));
    }
  }
  auto libraries = ctx.server.scripts()->Libraries();
  std::erase_if(libraries, [&](const auto& lib) {
    return pattern && !GlobMatch(*pattern, lib.name, /*nocase=*/true);
  });
  ctx.reply.ArrayHeader(libraries.size());
  for (const auto& lib : libraries) {
    ctx.reply.MapHeader(with_code ? 4 : 3);
    ctx.reply.Bulk("library_name");
    ctx.reply.Bulk(lib.name);
    ctx.reply.Bulk("engine");
    ctx.reply.Bulk("LUA");
    ctx.reply.Bulk("functions");
    ctx.reply.ArrayHeader(lib.functions.size());
    for (const auto& f : lib.functions) ReplyFunction(ctx.reply, f);
    if (with_code) {
      ctx.reply.Bulk("library_code");
      ctx.reply.Bulk(lib.code);
    }
  }
}

void FunctionStatsCommand(CommandContext& ctx) {
  const ScriptEngine::Stats s = ctx.server.scripts()->stats();
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("running_script");
  if (!s.running) {
    ctx.reply.Null();
  } else {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(s.name);
    ctx.reply.Bulk("command");
    ctx.reply.ArrayHeader(s.command.size());
    for (const auto& a : s.command) ctx.reply.Bulk(a);
    ctx.reply.Bulk("duration_ms");
    ctx.reply.Integer(s.duration_ms);
  }
  ctx.reply.Bulk("engines");
  ctx.reply.MapHeader(1);
  ctx.reply.Bulk("LUA");
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("libraries_count");
  ctx.reply.Integer(static_cast<int64_t>(s.libraries));
  ctx.reply.Bulk("functions_count");
  ctx.reply.Integer(static_cast<int64_t>(s.functions));
}

void FunctionHelpCommand(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored "
      "using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since = "7.0.0") {
  return MakeCommand(name, arity, flags | kCmdNoScript, handler, "scripting", summary, since);
}

}  // namespace

void RegisterFunctionCommands(CommandTable* t) {
  constexpr uint32_t kRun = kCmdScript | kCmdSkipSlowlog | kCmdStale;
  t->Register(Cmd("fcall", -3, kRun, FcallCommand, "Invoke a function"));
  t->Register(
      Cmd("fcall_ro", -3, kRun | kCmdReadonly, FcallRoCommand, "Invoke a read-only function"));
  CommandSpec function = Cmd("function", -2, 0, nullptr, "A container for function commands");
  function.subcommands = {
      Cmd("function|load", -3, kCmdWrite | kCmdDenyOom, FunctionLoadCommand,
          "Create a function with the given arguments (name, code, description)"),
      Cmd("function|delete", 3, kCmdWrite, FunctionDeleteCommand, "Delete a function by name"),
      Cmd("function|flush", -2, kCmdWrite, FunctionFlushCommand, "Deleting all functions"),
      Cmd("function|list", -2, 0, FunctionListCommand, "List information about all the functions"),
      Cmd("function|stats", 2, kCmdAllowBusy, FunctionStatsCommand,
          "Return information about the function currently running (name, description, "
          "duration)"),
      Cmd("function|kill", 2, kCmdAllowBusy, ScriptKillCommand,
          "Kill the function currently in execution."),
      Cmd("function|dump", 2, 0, FunctionDumpCommand,
          "Dump all functions into a serialized binary payload"),
      Cmd("function|restore", -3, kCmdWrite | kCmdDenyOom, FunctionRestoreCommand,
          "Restore all the functions on the given payload"),
      Cmd("function|help", 2, kCmdLoading | kCmdStale, FunctionHelpCommand,
          "Show helpful text about the different subcommands", "5.0.0"),
  };
  t->Register(std::move(function));
}

Status LoadFunctionLibraries(Store& store, ScriptEngine& scripts) {
  Status bad;
  TALLY_RETURN_IF_ERROR(store.ForEach(kFunctionDb, "", [&](std::string_view k, std::string_view v) {
    auto value = DecodeValue(v);
    std::string error;
    if (!value.ok() ||
        scripts
            .LoadLibrary(
                value->payload, true, [](const std::string&) { return Status::OK(); }, &error)
            .empty()) {
      bad = Status::Corruption("function library '" + std::string(k) + "' does not load: " +
                               (value.ok() ? error : value.status().ToString()));
      return false;
    }
    return true;
  }));
  return bad;
}

}  // namespace tally
