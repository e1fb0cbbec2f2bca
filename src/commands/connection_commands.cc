// Connection commands (Redis 7 networking.c, acl.c): PING, ECHO, QUIT, AUTH, HELLO, CLIENT.
#include "admin_commands.h"
#include "tally/commands/acl.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

constexpr const char* kRedisVersion = "7.0.15";

// AUTH's and HELLO AUTH's check (acl.c ACLAuthenticateUser): logs the session in as the user,
// or logs the failure in ACL LOG. Without ACL users (the unit tests' server) only "default"
// with requirepass exists.
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view pass) {
  Acl* acl = ctx.server.acl();
  if (acl == nullptr) {
    std::string required = ctx.server.config().Str(Opt::kRequirepass);
    bool ok = user == "default" && (required.empty() || pass == required);
    if (ok) ctx.session.authenticated.store(true);
    return ok;
  }
  auto u = acl->Authenticate(user, pass);
  if (u == nullptr) {
    acl->Log(AclDenied::kAuth, AclContext(ctx.session), "AUTH", user,
             ClientLine(ctx.session, "auth"));
    return false;
  }
  SetSessionUser(*acl, ctx.session, std::move(u));
  return true;
}

// AUTH <password> alone is refused while the default user needs no password.
bool DefaultHasNoPassword(CommandContext& ctx) {
  Acl* acl = ctx.server.acl();
  if (acl == nullptr) return ctx.server.config().Str(Opt::kRequirepass).empty();
  auto u = acl->Find("default");
  return u != nullptr && u->nopass;
}

void PingCommand(CommandContext& ctx) {
  if (ctx.args.size() > 2) return ReplyArityError(ctx.reply, "ping");
  if (ctx.session.subscribed() && ctx.session.resp.load() == 2) {
    // Subscribed mode (RESP2): a "pong" message, as a subscriber can read nothing else.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    return ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : "");
  }
  if (ctx.args.size() == 2) return ctx.reply.Bulk(ctx.args[1]);
  ctx.reply.SimpleString("PONG");
}

void EchoCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

void QuitCommand(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.session.close_after_reply = true;
}

// RESET (clearClientConnectionState): out of MULTI and its WATCHes, out of every channel and
// pattern, database 0, RESP2, no name, and authenticated only if no password is required.
void ResetCommand(CommandContext& ctx) {
  Session& s = ctx.session;
  ResetTransaction(s, ctx.keyspace());
  if (s.subscriber) UnsubscribeAll(s, ctx.server.pubsub());
  s.db.store(0);
  s.resp.store(2);
  ctx.reply.set_protocol(2);
  {
    MutexLock l(&s.mu);
    s.name.clear();
    s.user_name = "default";
  }
  s.user = nullptr;  // looked up again by the next command
  Acl* acl = ctx.server.acl();
  s.authenticated.store(acl ? DefaultUserNeedsNoAuth(*acl)
                            : ctx.server.config().Str(Opt::kRequirepass).empty());
  ctx.reply.SimpleString("RESET");
}

void AuthCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  std::string_view user = "default";
  std::string_view pass = ctx.args[1];
  if (ctx.args.size() == 2) {
    if (DefaultHasNoPassword(ctx)) return ctx.reply.Error(errors::kAuthNoPassword);
  } else {
    user = ctx.args[1];
    pass = ctx.args[2];
  }
  if (!Authenticate(ctx, user, pass)) return ctx.reply.Error(errors::kWrongPass);
  ctx.reply.Ok();
}

// CLIENT SETNAME's rule: no characters outside '!'..'~'.
bool ValidName(std::string_view name) {
  for (char c : name)
    if (c < '!' || c > '~') return false;
  return true;
}

bool SetName(CommandContext& ctx, std::string_view name) {
  if (!ValidName(name)) {
    ctx.reply.Error(errors::kClientNameChars);
    return false;
  }
  MutexLock l(&ctx.session.mu);
  ctx.session.name.assign(name);
  return true;
}

void HelloCommand(CommandContext& ctx) {
  int64_t version = 0;
  size_t next = 1;
  if (ctx.args.size() >= 2) {
    auto v = ParseInt64(ctx.args[next++]);
    if (!v) return ctx.reply.Error(errors::kProtoNotInteger);
    if (*v < 2 || *v > 3) return ctx.reply.Error(errors::kNoProto);
    version = *v;
  }
  std::optional<std::string_view> user, pass, name;
  for (size_t j = next; j < ctx.args.size(); ++j) {
    size_t more = ctx.args.size() - 1 - j;
    if (EqualsIgnoreCase(ctx.args[j], "auth") && more >= 2) {
      user = ctx.args[j + 1];
      pass = ctx.args[j + 2];
      j += 2;
    } else if (EqualsIgnoreCase(ctx.args[j], "setname") && more >= 1) {
      name = ctx.args[++j];
    } else {
      return ctx.reply.Error(errors::Fill(errors::kHelloOption, ctx.args[j]));
    }
  }
  if (user && !Authenticate(ctx, *user, *pass)) return ctx.reply.Error(errors::kWrongPass);
  if (!ctx.session.authenticated.load()) return ctx.reply.Error(errors::kHelloNoAuth);
  if (name && !SetName(ctx, *name)) return;
  if (version != 0) {
    ctx.session.resp.store(static_cast<int>(version));
    ctx.reply.set_protocol(static_cast<int>(version));
  }
  ReplyWriter& r = ctx.reply;
  r.MapHeader(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisVersion);
  r.Bulk("proto");
  r.Integer(ctx.session.resp.load());
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(ctx.session.id));
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk("master");
  r.Bulk("modules");
  r.ArrayHeader(0);
}

void ClientIdCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.id));
}

void ClientGetNameCommand(CommandContext& ctx) {
  MutexLock l(&ctx.session.mu);
  if (ctx.session.name.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(ctx.session.name);
}

void ClientSetNameCommand(CommandContext& ctx) {
  if (SetName(ctx, ctx.args[2])) ctx.reply.Ok();
}

void ClientSetInfoCommand(CommandContext& ctx) {
  std::string_view attr = ctx.args[2];
  std::string_view value = ctx.args[3];
  bool is_name = EqualsIgnoreCase(attr, "lib-name");
  if (!is_name && !EqualsIgnoreCase(attr, "lib-ver"))
    return ctx.reply.Error(errors::Fill(errors::kUnrecognizedOption, attr));
  if (!ValidName(value))
    return ctx.reply.Error(std::string(attr) +
                           " cannot contain spaces, newlines or special characters.");
  MutexLock l(&ctx.session.mu);
  (is_name ? ctx.session.lib_name : ctx.session.lib_ver).assign(value);
  ctx.reply.Ok();
}

void ClientInfoCommand(CommandContext& ctx) {
  ctx.reply.Verbatim(ClientLine(ctx.session, "client|info"));
}

void ClientListCommand(CommandContext& ctx) {
  if (ctx.args.size() != 2 && !(ctx.args.size() == 4 && EqualsIgnoreCase(ctx.args[2], "type") &&
                                EqualsIgnoreCase(ctx.args[3], "normal"))) {
    return ctx.reply.Error(errors::kSyntax);
  }
  std::string out;
  ctx.server.ForEachSession([&](const Session& s) {
    out += ClientLine(s, &s == &ctx.session ? "client|list" : nullptr);
  });
  ctx.reply.Verbatim(out);
}

void ClientHelpCommand(CommandContext& ctx) {
  static const char* kLines[] = {"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 "GETNAME",
                                 "    Return the name of the current connection.",
                                 "ID",
                                 "    Return the ID of the current connection.",
                                 "INFO",
                                 "    Return information about the current client connection.",
                                 "LIST [TYPE normal]",
                                 "    Return information about client connections.",
                                 "SETINFO <option> <value>",
                                 "    Set client meta attr (LIB-NAME or LIB-VER).",
                                 "SETNAME <name>",
                                 "    Assign the name <name> to the current connection.",
                                 "HELP",
                                 "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since = "1.0.0") {
  return MakeCommand(name, arity, flags, handler, "connection", summary, since);
}

// MONITOR: +OK, then the connection streams every command the server runs (FormatMonitorLine).
// A second MONITOR on the same connection gets no reply, as in Redis.
void MonitorCommand(CommandContext& ctx) {
  if (ctx.session.monitor) return;
  ctx.session.monitor = true;
  ctx.reply.Ok();
}

}  // namespace

// One line of CLIENT LIST / CLIENT INFO, in Redis 7's field order.
std::string ClientLine(const Session& s, const char* current_command) {
  int64_t now = NowMs();
  std::string name, lib_name, lib_ver, user;
  {
    MutexLock l(&s.mu);
    name = s.name;
    user = s.user_name;
    lib_name = s.lib_name;
    lib_ver = s.lib_ver;
  }
  uint64_t qbuf = s.query_buffer_bytes.load();
  uint64_t omem = s.output_buffer_bytes.load();
  const char* cmd = current_command ? current_command : s.last_command.load();
  std::string line = "id=" + std::to_string(s.id) + " addr=" + s.addr + " laddr=" + s.laddr +
                     " fd=" + std::to_string(s.fd) + " name=" + name +
                     " age=" + std::to_string((now - s.created_ms) / 1000) +
                     " idle=" + std::to_string((now - s.last_interaction_ms.load()) / 1000) +
                     " flags=N db=" + std::to_string(s.db.load()) +
                     " sub=0 psub=0 ssub=0 multi=-1 qbuf=" + std::to_string(qbuf) +
                     " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=" +
                     std::to_string(omem) + " tot-mem=" + std::to_string(qbuf + omem + 20000) +
                     " events=r cmd=" + cmd + " user=" + user +
                     " redir=-1 resp=" + std::to_string(s.resp.load()) + " lib-name=" + lib_name +
                     " lib-ver=" + lib_ver + "\n";
  return line;
}

void RegisterConnectionCommands(CommandTable* t) {
  constexpr uint32_t kAnyTime = kCmdFast | kCmdLoading | kCmdStale;
  t->Register(Cmd("ping", -1, kCmdFast | kCmdPubSub, PingCommand, "Ping the server"));
  t->Register(Cmd("echo", 2, kCmdFast, EchoCommand, "Echo the given string"));
  t->Register(MakeCommand("monitor", 1, kCmdAdmin | kCmdNoHttp | kCmdLoading | kCmdStale,
                          MonitorCommand, "server",
                          "Listen for all requests received by the server in real time", "1.0.0"));
  t->Register(Cmd("quit", -1, kCmdNoHttp | kAnyTime | kCmdNoAuth | kCmdNoQueue | kCmdPubSub,
                  QuitCommand, "Close the connection"));
  t->Register(Cmd("reset", 1, kCmdNoHttp | kAnyTime | kCmdNoAuth | kCmdNoQueue | kCmdPubSub,
                  ResetCommand, "Reset the connection", "6.2.0"));
  t->Register(Cmd("auth", -2, kCmdNoHttp | kAnyTime | kCmdNoAuth, AuthCommand,
                  "Authenticate to the server"));
  t->Register(Cmd("hello", -1, kCmdNoHttp | kAnyTime | kCmdNoAuth, HelloCommand,
                  "Handshake with Redis", "6.0.0"));
  CommandSpec client =
      Cmd("client", -2, 0, nullptr, "A container for client connection commands", "2.4.0");
  client.subcommands = {
      Cmd("client|id", 2, kAnyTime, ClientIdCommand,
          "Returns the client ID for the current connection", "5.0.0"),
      Cmd("client|getname", 2, kAnyTime, ClientGetNameCommand, "Get the current connection name",
          "2.6.9"),
      Cmd("client|setname", 3, kAnyTime, ClientSetNameCommand, "Set the current connection name",
          "2.6.9"),
      Cmd("client|setinfo", 4, kAnyTime, ClientSetInfoCommand,
          "Set client or connection specific info", "7.2.0"),
      Cmd("client|info", 2, kAnyTime, ClientInfoCommand,
          "Returns information about the current client connection.", "6.2.0"),
      Cmd("client|list", -2, kCmdAdmin | kCmdLoading | kCmdStale, ClientListCommand,
          "Get the list of client connections", "2.4.0"),
      Cmd("client|kill", -3, kCmdAdmin | kCmdLoading | kCmdStale, ClientKillCommand,
          "Kill the connection of a client", "2.4.0"),
      Cmd("client|no-evict", 3, kAnyTime, ClientNoEvictCommand,
          "Set client eviction mode for the current connection", "7.0.0"),
      Cmd("client|reply", 3, kAnyTime, ClientReplyCommand,
          "Instruct the server whether to reply to commands", "3.2.0"),
      Cmd("client|pause", -3, kCmdAdmin | kCmdLoading | kCmdStale, ClientPauseCommand,
          "Stop processing commands from clients for some time", "3.0.0"),
      Cmd("client|unpause", 2, kCmdAdmin | kCmdLoading | kCmdStale, ClientUnpauseCommand,
          "Resume processing of clients that were paused", "6.2.0"),
      Cmd("client|help", 2, kAnyTime, ClientHelpCommand,
          "Show helpful text about the different subcommands", "5.0.0"),
  };
  t->Register(std::move(client));
}

}  // namespace tally
