#include "tally/commands/command_table.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "tally/commands/acl.h"
#include "tally/commands/scripting.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/config.h"
#include "tally/util/notify_flags.h"
#include "tally/util/strings.h"

namespace tally {
namespace {
std::vector<std::string_view> Redacted(const CommandContext& ctx, const CommandSpec& spec);
}  // namespace
namespace {

// A C string view of an argument, as Redis's "%s" formatting sees it: cut at the first NUL.
std::string_view AsCString(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

void ReplyUnknownCommand(CommandContext& ctx) {
  // server.c: "unknown command '%.128s', with args beginning with: " then "'%.*s' " per
  // argument while fewer than 128 characters of arguments have been written.
  std::string args;
  for (size_t i = 1; i < ctx.args.size() && args.size() < 128; ++i) {
    std::string_view a = AsCString(ctx.args[i]).substr(0, 128 - args.size());
    args += "'";
    args += a;
    args += "' ";
  }
  std::string msg = "unknown command '";
  msg += AsCString(ctx.args[0]).substr(0, 128);
  msg += "', with args beginning with: ";
  msg += args;
  ctx.reply.Error(msg);
}

// Redis 7.0's noscript and allow_busy flags, by name, as COMMAND INFO of redis-server 7.0
// lists them (a container's subcommands each carry their own).
constexpr std::string_view kNoScript[] = {"auth",
                                          "bgsave",
                                          "client|getname",
                                          "client|id",
                                          "client|info",
                                          "client|kill",
                                          "client|list",
                                          "client|no-evict",
                                          "client|pause",
                                          "client|reply",
                                          "client|setname",
                                          "client|unpause",
                                          "client|setinfo",
                                          "config|get",
                                          "config|resetstat",
                                          "config|rewrite",
                                          "config|set",
                                          "debug",
                                          "discard",
                                          "exec",
                                          "hello",
                                          "latency|doctor",
                                          "latency|graph",
                                          "latency|histogram",
                                          "latency|history",
                                          "latency|latest",
                                          "latency|reset",
                                          "monitor",
                                          "multi",
                                          "psubscribe",
                                          "punsubscribe",
                                          "quit",
                                          "reset",
                                          "save",
                                          "shutdown",
                                          "ssubscribe",
                                          "subscribe",
                                          "sunsubscribe",
                                          "unsubscribe",
                                          "unwatch",
                                          "wait",
                                          "watch"};
constexpr std::string_view kAllowBusy[] = {"auth",  "discard",  "hello",   "multi", "quit",
                                           "reset", "shutdown", "unwatch", "watch"};

bool Listed(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void AddListedFlags(CommandSpec* spec) {
  if (Listed(kNoScript, spec->name)) spec->flags |= kCmdNoScript;
  if (Listed(kAllowBusy, spec->name)) spec->flags |= kCmdAllowBusy;
  for (auto& sub : spec->subcommands) AddListedFlags(&sub);
}

}  // namespace

bool CommandTable::ArityOk(const CommandSpec& spec, size_t argc) {
  return spec.arity > 0 ? argc == static_cast<size_t>(spec.arity)
                        : argc >= static_cast<size_t>(-spec.arity);
}

const CommandSpec* CommandTable::Lookup(std::span<const std::string_view> args) const {
  const CommandSpec* spec = args.empty() ? nullptr : Find(args[0]);
  if (spec == nullptr || spec->subcommands.empty() || args.size() < 2) return spec;
  for (const auto& s : spec->subcommands)
    if (EqualsIgnoreCase(s.name.substr(spec->name.size() + 1), args[1])) return &s;
  return nullptr;
}

void ReplyArityError(ReplyWriter& reply, std::string_view full_name) {
  std::string msg = "wrong number of arguments for '";
  msg += full_name;
  msg += "' command";
  reply.Error(msg);
}

void ReplyHelp(ReplyWriter& reply, std::span<const char* const> lines) {
  reply.ArrayHeader(lines.size());
  for (const char* l : lines) reply.SimpleString(l);
}

void ReplyError(ReplyWriter& reply, const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotInteger:
      reply.Error(errors::kNotInteger);
      return;
    case Status::Code::kNotFloat:
      reply.Error(errors::kNotFloat);
      return;
    case Status::Code::kOverflow:
      reply.Error(errors::kOverflow);
      return;
    case Status::Code::kNanOrInfinity:
      reply.Error(errors::kNanOrInfinity);
      return;
    case Status::Code::kWrongType:
      reply.Error(errors::kWrongType);
      return;
    case Status::Code::kValueInfinity:
      reply.Error(errors::kValueInfinity);
      return;
    case Status::Code::kAppliedOverflow:
      reply.Error(errors::kAppliedOverflow);
      return;
    case Status::Code::kAppliedInfinity:
      reply.Error(errors::kAppliedInfinity);
      return;
    case Status::Code::kIdsFull:
      reply.Error(errors::kIdsFull);
      return;
    case Status::Code::kTooLarge:
      reply.Error(errors::kListTooLong);
      return;
    case Status::Code::kInvalidArgument:
      reply.Error(status.message());
      return;
    case Status::Code::kLogFailed:
      reply.Error(errors::Fill(errors::kLogFailedMisconf, status.message()));
      return;
    default:
      spdlog::error("Storage error: {}", status.ToString());
      reply.Error(errors::Fill(errors::kStorageError, status.ToString()));
      return;
  }
}

CommandSpec MakeCommand(const char* name, int arity, uint32_t flags, CommandHandler handler,
                        const char* group, const char* summary, const char* since,
                        KeyPositions keys) {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.handler = handler;
  s.group = group;
  s.summary = summary;
  s.since = since;
  s.first_key = keys.first;
  s.last_key = keys.last;
  s.step = keys.step;
  return s;
}

namespace {

void AssignAcl(CommandSpec* spec, int* next_id) {
  if (!AclCommandFacts(spec->name, &spec->acl_categories, &spec->acl_first_key,
                       &spec->acl_other_keys)) {
    spdlog::critical("Command '{}' has no line in the ACL table (acl_table.cc)", spec->name);
    std::abort();
  }
  spec->id = (*next_id)++;
}

}  // namespace

void CommandTable::Register(CommandSpec spec) {
  if (by_name_.count(spec.name)) {
    spdlog::critical("Command '{}' registered twice", spec.name);
    std::abort();
  }
  AddListedFlags(&spec);
  AssignAcl(&spec, &next_id_);
  for (auto& sub : spec.subcommands) AssignAcl(&sub, &next_id_);
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  by_name_[owned->name] = owned.get();
  commands_.push_back(std::move(owned));
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.size() > 32) return nullptr;
  char buf[32];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  auto it = by_name_.find(std::string(buf, name.size()));
  return it == by_name_.end() ? nullptr : it->second;
}

Keyspace& AtomicKeyspace(CommandContext& ctx, std::optional<Keyspace::AtomicScope>* scope) {
  if (ctx.keyspace().InAtomicScope()) return ctx.keyspace();
  return scope->emplace(&ctx.keyspace()).keyspace();
}

void CommandTable::Dispatch(CommandContext& ctx) const {
  ctx.table = this;
  ctx.reply.set_error_sink(&error_stats_);
  // Inside MULTI, a command rejected here makes EXEC fail with EXECABORT (flagTransaction).
  struct FlagOnReject {
    Session& s;
    bool ok = false;
    ~FlagOnReject() {
      if (!ok && s.in_multi) s.multi_aborted = true;
    }
  } flag{ctx.session};
  std::string_view name = ctx.args[0];
  if (EqualsIgnoreCase(name, "host:") || EqualsIgnoreCase(name, "post")) {
    spdlog::warn(
        "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: "
        "commands to tallyd ({}). Connection aborted.",
        ctx.session.addr);
    ctx.session.close_now = true;
    return;
  }
  const CommandSpec* spec = Find(name);
  if (spec == nullptr) {
    ReplyUnknownCommand(ctx);
    return;
  }
  if (!spec->subcommands.empty() && ctx.args.size() >= 2) {
    const CommandSpec* sub = nullptr;
    for (const auto& s : spec->subcommands) {
      if (EqualsIgnoreCase(s.name.substr(spec->name.size() + 1), ctx.args[1])) sub = &s;
    }
    if (sub == nullptr) {
      std::string upper(spec->name);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ctx.reply.Error(
          errors::Fill(errors::kUnknownSubcommand, AsCString(ctx.args[1]).substr(0, 128), upper));
      return;
    }
    spec = sub;
  }
  if (!ArityOk(*spec, ctx.args.size())) {
    spec->rejected.Add();
    ReplyArityError(ctx.reply, spec->name);
    return;
  }
  if (!(spec->flags & kCmdNoAuth) && !ctx.session.authenticated.load(std::memory_order_relaxed)) {
    spec->rejected.Add();
    ctx.reply.Error(errors::kNoAuth);
    return;
  }
  if (!AclAllows(ctx, *spec)) {
    spec->rejected.Add();
    return;
  }
  if (ctx.session.subscribed() && !(spec->flags & kCmdPubSub) &&
      ctx.session.resp.load(std::memory_order_relaxed) == 2) {
    spec->rejected.Add();
    ctx.reply.Error(errors::Fill(errors::kCantExecute, spec->name) + errors::kSubscribedMode);
    return;
  }
  if (ScriptEngine* scripts = ctx.server.scripts();
      scripts != nullptr && !ctx.session.script_client && !(spec->flags & kCmdAllowBusy) &&
      scripts->busy(ctx.server.config().Int(Opt::kBusyReplyThreshold))) {
    spec->rejected.Add();
    ctx.reply.Error(scripts->running_function() ? errors::kBusyFunction : errors::kBusyScript);
    return;
  }
  flag.ok = true;
  ctx.session.last_command.store(spec->name.c_str(), std::memory_order_relaxed);
  if (ctx.session.in_multi && !(spec->flags & kCmdNoQueue)) {
    ctx.session.queued.emplace_back(ctx.args.begin(), ctx.args.end());
    ctx.reply.SimpleString("QUEUED");
    return;
  }
  if ((spec->flags & kCmdScript) && ctx.may_defer) {
    ctx.deferred = true;
    return;
  }
  const size_t before = ctx.reply.buffer()->size();
  const auto start = ctx.clock != std::chrono::steady_clock::time_point{}
                         ? ctx.clock
                         : std::chrono::steady_clock::now();
  // `new` events need to know which keys a write creates (notify.cc).
  std::optional<Keyspace::CreatedKeys> created;
  Keyspace* const view = ctx.view;
  if ((spec->flags & kCmdWrite) && Notifying(ctx, kNotifyNew)) {
    created.emplace(ctx.keyspace());
    ctx.view = &created->keyspace();
  }
  spec->handler(ctx);
  ctx.view = view;
  created.reset();
  ctx.clock = std::chrono::steady_clock::now();
  const int64_t usec =
      std::chrono::duration_cast<std::chrono::microseconds>(ctx.clock - start).count();
  spec->usec.Add(static_cast<uint64_t>(usec));
  spec->calls.Add();
  if (ctx.server.config().Int(Opt::kLatencyTracking)) spec->latency->Record(usec);
  // As Redis feeds monitors after the call; administrative commands are never shown.
  if (ctx.server.has_monitors() && !(spec->flags & kCmdAdmin)) {
    auto args = Redacted(ctx, *spec);
    ctx.server.FeedMonitors(FormatMonitorLine(NowUs(), ctx.db(), ctx.session.addr, args));
  }
  MaybeLogSlow(ctx, *spec, usec);
  const std::string& out = *ctx.reply.buffer();
  if (out.size() > before && out[before] == '-') spec->failed.Add();
}

namespace {

// The arguments with AUTH's and HELLO ... AUTH's credentials as "(redacted)": what the slow log
// and MONITOR show, as in Redis 7.
std::vector<std::string_view> Redacted(const CommandContext& ctx, const CommandSpec& spec) {
  std::vector<std::string_view> args(ctx.args.begin(), ctx.args.end());
  const bool auth = spec.name == "auth";
  for (size_t i = 1; i < args.size(); ++i) {
    if (auth || (spec.name == "hello" && i >= 2 && EqualsIgnoreCase(args[i - 1], "auth")))
      args[i] = "(redacted)";
    if (spec.name == "hello" && i >= 3 && EqualsIgnoreCase(args[i - 2], "auth"))
      args[i] = "(redacted)";
  }
  return args;
}

}  // namespace

std::string FormatMonitorLine(int64_t now_us, int db, std::string_view addr,
                              std::span<const std::string_view> args) {
  char head[96];
  snprintf(head, sizeof(head), "+%lld.%06lld [%d ", static_cast<long long>(now_us / 1000000),
           static_cast<long long>(now_us % 1000000), db);
  std::string line = head;
  line.append(addr).push_back(']');
  for (std::string_view a : args) {
    line.append(" \"");
    for (unsigned char ch : a) {
      switch (ch) {
        case '\\':
          line += "\\\\";
          break;
        case '"':
          line += "\\\"";
          break;
        case '\n':
          line += "\\n";
          break;
        case '\r':
          line += "\\r";
          break;
        case '\t':
          line += "\\t";
          break;
        case '\a':
          line += "\\a";
          break;
        case '\b':
          line += "\\b";
          break;
        default:
          if (std::isprint(ch)) {
            line.push_back(static_cast<char>(ch));
          } else {
            char hex[8];
            snprintf(hex, sizeof(hex), "\\x%02x", ch);
            line += hex;
          }
      }
    }
    line.push_back('"');
  }
  return line + "\r\n";
}

void CommandTable::MaybeLogSlow(const CommandContext& ctx, const CommandSpec& spec,
                                int64_t usec) const {
  const int64_t threshold = ctx.server.config().Int(Opt::kSlowlogLogSlowerThan);
  if (threshold < 0 || usec < threshold || (spec.flags & kCmdSkipSlowlog)) return;
  std::string name;
  {
    MutexLock l(&ctx.session.mu);
    name = ctx.session.name;
  }
  slowlog_.Add(Redacted(ctx, spec), usec, ctx.session.addr, std::move(name),
               static_cast<size_t>(ctx.server.config().Int(Opt::kSlowlogMaxLen)));
}

std::unique_ptr<CommandTable> BuildCommandTable() {
  auto table = std::make_unique<CommandTable>();
  RegisterStringCommands(table.get());
  RegisterListCommands(table.get());
  RegisterKeyspaceCommands(table.get());
  RegisterConnectionCommands(table.get());
  RegisterServerCommands(table.get());
  RegisterExpireCommands(table.get());
  RegisterTransactionCommands(table.get());
  RegisterScanCommands(table.get());
  RegisterSlowlogCommands(table.get());
  RegisterPersistenceCommands(table.get());
  RegisterLatencyCommands(table.get());
  RegisterCounterCommands(table.get());
  RegisterPubSubCommands(table.get());
  RegisterAlertCommands(table.get());
  RegisterScriptCommands(table.get());
  RegisterFunctionCommands(table.get());
  RegisterObjectCommands(table.get());
  RegisterAclCommands(table.get());
  return table;
}

}  // namespace tally
