// OBJECT, WAIT, COMMAND GETKEYS and CLIENT KILL NO-EVICT REPLY UNPAUSE, as Redis 7.0 has them
// (object.c, replication.c, server.c, networking.c).
#include "admin_commands.h"

#include "tally/commands/acl.h"
#include "tally/commands/client_pause.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// The value of the key, for OBJECT; replies null (and returns nullopt) if there is none.
std::optional<Keyspace::Value> ObjectValue(CommandContext& ctx) {
  auto r = ctx.keyspace().Read(ctx.db(), ctx.args[2]);
  if (!r.ok()) {
    ReplyError(ctx.reply, r.status());
    return std::nullopt;
  }
  ctx.WaitFor(r->lsn);
  if (!r->value) ctx.reply.Null();
  return r->value;
}

// tryObjectEncoding's result for a string (a list is never int-encoded): "int" when it reads back
// as a long of at most 20 characters, else "embstr" up to 44 bytes, else "raw". (Redis keeps "raw"
// for values APPEND or SETRANGE made; Tally does not track that.)
bool IsIntEncoded(const Keyspace::Value& value, int64_t* n) {
  const std::string& v = value.data;
  if (value.type != ValueType::kString) return false;
  auto parsed = v.size() <= 20 ? ParseInt64(v) : std::nullopt;
  if (!parsed || FormatInt64(*parsed) != v) return false;
  *n = *parsed;
  return true;
}

void ObjectEncodingCommand(CommandContext& ctx) {
  auto v = ObjectValue(ctx);
  if (!v) return;
  int64_t n = 0;
  if (v->type == ValueType::kList) return ctx.reply.Bulk("quicklist");  // Redis 7.0's only one
  ctx.reply.Bulk(IsIntEncoded(*v, &n) ? "int" : v->data.size() <= 44 ? "embstr" : "raw");
}

void ObjectRefcountCommand(CommandContext& ctx) {
  auto v = ObjectValue(ctx);
  if (!v) return;
  int64_t n = 0;  // Redis shares the integers 0..9999 (OBJ_SHARED_REFCOUNT)
  ctx.reply.Integer(IsIntEncoded(*v, &n) && n >= 0 && n < 10000 ? 2147483647 : 1);
}

void ObjectIdletimeCommand(CommandContext& ctx) {
  if (ObjectValue(ctx)) ctx.reply.Integer(0);  // Tally keeps no access clock
}

void ObjectFreqCommand(CommandContext& ctx) {
  if (ObjectValue(ctx)) ctx.reply.Error(errors::kNoLfuPolicy);
}

void ObjectHelpCommand(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ReplyHelp(ctx.reply, kLines);
}

// WAIT numreplicas timeout: Tally has no replicas yet, so no write is ever acknowledged by
// one: 0 at once (Redis would wait `timeout` for replicas that do not exist).
void WaitCommand(CommandContext& ctx) {
  if (!ParseInt64(ctx.args[1])) return ctx.reply.Error(errors::kNotInteger);
  auto timeout = ParseInt64(ctx.args[2]);
  if (!timeout) return ctx.reply.Error(errors::kTimeoutNotInteger);
  if (*timeout < 0) return ctx.reply.Error(errors::kTimeoutNegative);
  ctx.reply.Integer(0);
}

// How many keys a numkeys_at command names (LMPOP): nullopt unless at least one and all there.
std::optional<size_t> NumKeysAt(const CommandSpec& spec, std::span<const std::string_view> args) {
  const auto at = static_cast<size_t>(spec.numkeys_at);
  auto n = at < args.size() ? ParseInt64(args[at]) : std::nullopt;
  if (!n || *n <= 0 || static_cast<uint64_t>(*n) > args.size() - at - 1) return std::nullopt;
  return static_cast<size_t>(*n);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* group, const char* summary, const char* since, KeyPositions keys = {}) {
  return MakeCommand(name, arity, flags, handler, group, summary, since, keys);
}

}  // namespace

void ForEachKey(const CommandSpec& spec, std::span<const std::string_view> args,
                FunctionRef<void(size_t, std::string_view)> fn) {
  if (spec.flags & kCmdScript) {  // EVAL and FCALL: numkeys, then the keys (maybe none)
    auto n = args.size() > 2 ? ParseInt64(args[2]) : std::nullopt;
    if (n && *n > 0 && static_cast<size_t>(*n) <= args.size() - 3)
      for (size_t i = 0; i < static_cast<size_t>(*n); ++i) fn(i, args[3 + i]);
    return;
  }
  if (spec.numkeys_at > 0) {
    if (auto n = NumKeysAt(spec, args))
      for (size_t i = 0; i < *n; ++i) fn(i, args[spec.numkeys_at + 1 + i]);
    return;
  }
  if (spec.first_key <= 0) return;
  const int argc = static_cast<int>(args.size());
  const int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  size_t k = 0;
  for (int i = spec.first_key; i <= last && i < argc; i += std::max(spec.step, 1)) fn(k++, args[i]);
}

void CommandGetKeysCommand(CommandContext& ctx) {
  std::span<const std::string_view> cmd = ctx.args.subspan(2);
  const CommandSpec* spec = ctx.table->Lookup(cmd);
  if (spec == nullptr) return ctx.reply.Error(errors::kGetkeysInvalidCommand);
  if (!CommandTable::ArityOk(*spec, cmd.size())) return ctx.reply.Error(errors::kGetkeysArity);
  if (spec->numkeys_at > 0 && !NumKeysAt(*spec, cmd))
    return ctx.reply.Error(errors::kGetkeysInvalidArgs);
  if (spec->first_key <= 0 && !(spec->flags & kCmdScript) && spec->numkeys_at == 0)
    return ctx.reply.Error(errors::kGetkeysNoKeys);
  std::vector<std::string_view> keys;
  ForEachKey(*spec, cmd, [&](size_t, std::string_view key) { keys.push_back(key); });
  ctx.reply.ArrayHeader(keys.size());
  for (auto k : keys) ctx.reply.Bulk(k);
}

// CLIENT KILL addr:port | CLIENT KILL [ID id] [TYPE type] [USER name] [ADDR ip:port]
// [LADDR ip:port] [SKIPME yes|no] ...
void ClientKillCommand(CommandContext& ctx) {
  if (ctx.args.size() == 3) {  // the old form: one address, an error if nobody has it
    std::string_view addr = ctx.args[2];
    size_t n = ctx.server.KillClients([&](const Session& s) { return s.addr == addr; });
    if (n == 0) return ctx.reply.Error(errors::kNoSuchClient);
    return ctx.reply.Ok();
  }
  if (ctx.args.size() % 2 != 0) return ctx.reply.Error(errors::kSyntax);
  std::optional<uint64_t> id;
  std::optional<std::string_view> addr, laddr, user;
  bool skipme = true, pubsub_only = false, none = false;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    std::string_view opt = ctx.args[i], value = ctx.args[i + 1];
    if (EqualsIgnoreCase(opt, "id")) {
      auto v = ParseInt64(value);
      if (!v || *v <= 0) return ctx.reply.Error(errors::kClientIdPositive);
      id = static_cast<uint64_t>(*v);
    } else if (EqualsIgnoreCase(opt, "type")) {
      if (EqualsIgnoreCase(value, "pubsub")) {
        pubsub_only = true;
      } else if (EqualsIgnoreCase(value, "master") || EqualsIgnoreCase(value, "replica") ||
                 EqualsIgnoreCase(value, "slave")) {
        none = true;  // Tally has no replication links
      } else if (!EqualsIgnoreCase(value, "normal")) {
        return ctx.reply.Error(errors::Fill(errors::kUnknownClientType, value));
      }
    } else if (EqualsIgnoreCase(opt, "user")) {
      const bool known =
          ctx.server.acl() ? ctx.server.acl()->Find(value) != nullptr : value == "default";
      if (!known) return ctx.reply.Error(errors::Fill(errors::kNoSuchUser, value));
      user = value;
    } else if (EqualsIgnoreCase(opt, "addr")) {
      addr = value;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      laddr = value;
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (!EqualsIgnoreCase(value, "yes") && !EqualsIgnoreCase(value, "no"))
        return ctx.reply.Error(errors::kSyntax);
      skipme = EqualsIgnoreCase(value, "yes");
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  const uint64_t me = ctx.session.id;
  bool killed_me = false;
  size_t n = none ? 0 : ctx.server.KillClients([&](const Session& s) {
    if ((id && s.id != *id) || (addr && s.addr != *addr) || (laddr && s.laddr != *laddr))
      return false;
    if (user && s.UserName() != *user) return false;
    if (skipme && s.id == me) return false;
    // Subscribers are "pubsub"; everyone else "normal" (subscriptions are the owner's state,
    // read here only for a client being matched by its own thread's session flag).
    if (pubsub_only && !s.is_subscriber.load(std::memory_order_relaxed)) return false;
    killed_me |= s.id == me;
    return true;
  });
  if (killed_me) ctx.session.close_after_reply = true;
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void ClientNoEvictCommand(CommandContext& ctx) {
  if (!EqualsIgnoreCase(ctx.args[2], "on") && !EqualsIgnoreCase(ctx.args[2], "off"))
    return ctx.reply.Error(errors::kSyntax);
  ctx.reply.Ok();  // no client is ever evicted for memory: nothing to exempt
}

void ClientReplyCommand(CommandContext& ctx) {
  std::string_view mode = ctx.args[2];
  if (EqualsIgnoreCase(mode, "on")) {
    ctx.session.reply_mode = Session::ReplyMode::kOn;
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(mode, "off")) {
    ctx.session.reply_mode = Session::ReplyMode::kOff;
  } else if (EqualsIgnoreCase(mode, "skip")) {
    ctx.session.reply_mode = Session::ReplyMode::kSkipThis;
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
}

// CLIENT PAUSE timeout [WRITE|ALL] (networking.c clientCommand).
void ClientPauseCommand(CommandContext& ctx) {
  if (ctx.args.size() > 4)
    return ctx.reply.Error(errors::Fill(errors::kSubcommandSyntax, ctx.args[1], "CLIENT"));
  auto timeout = ParseInt64(ctx.args[2]);
  if (!timeout) return ctx.reply.Error(errors::kTimeoutNotInteger);
  if (*timeout < 0) return ctx.reply.Error(errors::kTimeoutNegative);
  bool all = true;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "write")) {
      all = false;
    } else if (!EqualsIgnoreCase(ctx.args[3], "all")) {
      return ctx.reply.Error(errors::kPauseMode);
    }
  }
  if (ClientPause* pause = ctx.server.client_pause()) {
    const int64_t now = NowMs();
    pause->Pause(now, now + *timeout, all);
  }
  ctx.reply.Ok();
}

void ClientUnpauseCommand(CommandContext& ctx) {
  if (ClientPause* pause = ctx.server.client_pause()) pause->Unpause();
  ctx.reply.Ok();
}

void RegisterObjectCommands(CommandTable* t) {
  constexpr uint32_t kRo = kCmdReadonly;
  CommandSpec object = Cmd("object", -2, 0, nullptr, "generic",
                           "A container for object introspection commands", "2.2.3");
  object.subcommands = {
      Cmd("object|encoding", 3, kRo, ObjectEncodingCommand, "generic",
          "Inspect the internal encoding of a Redis object", "2.2.3", {2, 2, 1}),
      Cmd("object|freq", 3, kRo, ObjectFreqCommand, "generic",
          "Get the logarithmic access frequency counter of a Redis object", "4.0.0", {2, 2, 1}),
      Cmd("object|idletime", 3, kRo, ObjectIdletimeCommand, "generic",
          "Get the time since a Redis object was last accessed", "2.2.3", {2, 2, 1}),
      Cmd("object|refcount", 3, kRo, ObjectRefcountCommand, "generic",
          "Get the number of references to the value of the key", "2.2.3", {2, 2, 1}),
      Cmd("object|help", 2, kCmdLoading | kCmdStale, ObjectHelpCommand, "generic",
          "Show helpful text about the different subcommands", "6.2.0"),
  };
  t->Register(std::move(object));
  t->Register(Cmd("wait", 3, 0, WaitCommand, "generic",
                  "Wait for the synchronous replication of all the write commands sent in the "
                  "context of the current connection",
                  "3.0.0"));
}

}  // namespace tally
