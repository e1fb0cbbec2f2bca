// ACL (SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT LOG DRYRUN GENPASS SAVE LOAD HELP), as
// Redis 7.0's acl.c replies them.
#include <openssl/rand.h>

#include "tally/commands/acl.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// ACL commands exist only where the server has an Acl (not in the unit tests' bare server).
Acl& TheAcl(CommandContext& ctx) { return *ctx.server.acl(); }

void AclSetUserCommand(CommandContext& ctx) {
  std::string error;
  if (!TheAcl(ctx).SetUser(ctx.args[2], ctx.args.subspan(3), &error)) return ctx.reply.Error(error);
  ctx.reply.Ok();
}

void AclGetUserCommand(CommandContext& ctx) {
  auto u = TheAcl(ctx).Find(ctx.args[2]);
  if (u == nullptr) return ctx.reply.Null();
  ReplyWriter& r = ctx.reply;
  r.MapHeader(6);
  r.Bulk("flags");
  auto flags = u->Flags();
  r.ArrayHeader(flags.size());
  for (const char* f : flags) r.Bulk(f);
  r.Bulk("passwords");
  r.ArrayHeader(u->passwords.size());
  for (const auto& p : u->passwords) r.Bulk(p);
  r.Bulk("commands");
  r.Bulk(u->CommandsText());
  r.Bulk("keys");
  r.Bulk(u->KeysText());
  r.Bulk("channels");
  r.Bulk(u->ChannelsText());
  r.Bulk("selectors");
  r.ArrayHeader(0);
}

void AclDelUserCommand(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.args.size(); ++i)
    if (ctx.args[i] == "default") return ctx.reply.Error(errors::kAclDeleteDefault);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view name = ctx.args[i];
    if (!TheAcl(ctx).DeleteUser(name)) continue;
    ++deleted;
    // As Redis: the user's connections go (this one after its reply).
    if (name == ctx.session.UserName()) ctx.session.close_after_reply = true;
    ctx.server.KillClients([&](const Session& s) {
      MutexLock l(&s.mu);
      return &s != &ctx.session && s.user_name == name;
    });
  }
  ctx.reply.Integer(deleted);
}

void AclListCommand(CommandContext& ctx) {
  auto users = TheAcl(ctx).Users();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk("user " + u->name + " " + u->Describe());
}

void AclUsersCommand(CommandContext& ctx) {
  auto users = TheAcl(ctx).Users();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk(u->name);
}

void AclWhoamiCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.session.UserName()); }

void AclCatCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    ctx.reply.ArrayHeader(std::size(kAclCategories));
    for (const char* c : kAclCategories) ctx.reply.Bulk(c);
    return;
  }
  if (ctx.args.size() > 3) return ReplyArityError(ctx.reply, "acl|cat");
  const uint32_t mask = AclCategoryMask("@" + std::string(ctx.args[2]));
  if (mask == 0) return ctx.reply.Error(errors::Fill(errors::kAclUnknownCategory, ctx.args[2]));
  std::vector<const std::string*> names;
  for (const auto& spec : ctx.table->all()) {
    if (spec->acl_categories & mask) names.push_back(&spec->name);
    for (const auto& sub : spec->subcommands)
      if (sub.acl_categories & mask) names.push_back(&sub.name);
  }
  ctx.reply.ArrayHeader(names.size());
  for (const auto* n : names) ctx.reply.Bulk(*n);
}

const char* ReasonName(AclDenied d) {
  switch (d) {
    case AclDenied::kCommand:
      return "command";
    case AclDenied::kKey:
      return "key";
    case AclDenied::kChannel:
      return "channel";
    case AclDenied::kAuth:
      return "auth";
    default:
      return "";
  }
}

void AclLogCommand(CommandContext& ctx) {
  size_t count = 10;
  if (ctx.args.size() > 3) return ReplyArityError(ctx.reply, "acl|log");
  if (ctx.args.size() == 3) {
    if (EqualsIgnoreCase(ctx.args[2], "reset")) {
      TheAcl(ctx).ResetLog();
      return ctx.reply.Ok();
    }
    auto n = ParseInt64(ctx.args[2]);
    if (!n || *n < 0) return ctx.reply.Error(errors::kNotInteger);
    count = static_cast<size_t>(*n);
  }
  const int64_t now = NowMs();
  auto entries = TheAcl(ctx).LogEntries(count);
  ctx.reply.ArrayHeader(entries.size());
  for (const auto& e : entries) {
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("count");
    ctx.reply.Integer(static_cast<int64_t>(e.count));
    ctx.reply.Bulk("reason");
    ctx.reply.Bulk(ReasonName(e.reason));
    ctx.reply.Bulk("context");
    ctx.reply.Bulk(e.context);
    ctx.reply.Bulk("object");
    ctx.reply.Bulk(e.object);
    ctx.reply.Bulk("username");
    ctx.reply.Bulk(e.username);
    ctx.reply.Bulk("age-seconds");
    ctx.reply.Double(static_cast<double>(now - e.created_ms) / 1000.0);
    ctx.reply.Bulk("client-info");
    ctx.reply.Bulk(e.client_info.substr(0, e.client_info.size() - 1));  // without its '\n'
  }
}

void AclDryrunCommand(CommandContext& ctx) {
  auto u = TheAcl(ctx).Find(ctx.args[2]);
  if (u == nullptr) return ctx.reply.Error(errors::Fill(errors::kAclUserNotFound, ctx.args[2]));
  std::span<const std::string_view> cmd = ctx.args.subspan(3);
  const CommandSpec* spec = ctx.table->Lookup(cmd);
  if (spec == nullptr) return ctx.reply.Error(errors::Fill(errors::kAclCommandNotFound, cmd[0]));
  if (!CommandTable::ArityOk(*spec, cmd.size()))
    return ctx.reply.Error(errors::Fill(errors::kAclDryrunArity, spec->name));
  AclVerdict v = AclCheck(*u, *spec, cmd);
  switch (v.denied) {
    case AclDenied::kNone:
      return ctx.reply.Ok();
    case AclDenied::kCommand:
      return ctx.reply.Bulk(errors::Fill(errors::kAclDryrunCommand, spec->name));
    case AclDenied::kKey:
      return ctx.reply.Bulk(errors::Fill(errors::kAclDryrunKey, v.object));
    default:
      return ctx.reply.Bulk(errors::Fill(errors::kAclDryrunChannel, v.object));
  }
}

void AclGenpassCommand(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.args.size() > 3) return ReplyArityError(ctx.reply, "acl|genpass");
  if (ctx.args.size() == 3) {
    auto n = ParseInt64(ctx.args[2]);
    if (!n) return ctx.reply.Error(errors::kNotInteger);
    if (*n <= 0 || *n > 4096) return ctx.reply.Error(errors::kAclGenpassBits);
    bits = *n;
  }
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::vector<unsigned char> random((chars + 1) / 2);
  RAND_bytes(random.data(), static_cast<int>(random.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : random) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  out.resize(chars);
  ctx.reply.Bulk(out);
}

void AclSaveCommand(CommandContext& ctx) {
  const std::string path = ctx.server.config().Str(Opt::kAclfile);
  if (path.empty()) return ctx.reply.Error(errors::kAclNoFile);
  Status st = TheAcl(ctx).SaveFile(path);
  if (!st.ok()) return ctx.reply.Error(st.message());
  ctx.reply.Ok();
}

void AclLoadCommand(CommandContext& ctx) {
  const std::string path = ctx.server.config().Str(Opt::kAclfile);
  if (path.empty()) return ctx.reply.Error(errors::kAclNoFile);
  Status st = TheAcl(ctx).LoadFile(path);
  if (!st.ok()) return ctx.reply.Error(errors::Fill(errors::kAclLoadFailed, st.message()));
  ctx.reply.Ok();
}

void AclHelpCommand(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      ("    Returns whether the user can execute the given command without executing the "
       "command."),
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help."};
  ReplyHelp(ctx.reply, kLines);
}

CommandSpec Sub(const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since = "6.0.0") {
  return MakeCommand(name, arity, flags | kCmdLoading | kCmdStale, handler, "server", summary,
                     since);
}

}  // namespace

void RegisterAclCommands(CommandTable* t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript;
  CommandSpec acl = MakeCommand("acl", -2, 0, nullptr, "server",
                                "A container for Access List Control commands", "6.0.0");
  acl.subcommands = {
      Sub("acl|cat", -2, kCmdNoScript, AclCatCommand,
          "List the ACL categories or the commands inside a category"),
      Sub("acl|deluser", -3, kAdmin, AclDelUserCommand,
          "Remove the specified ACL users and the associated rules"),
      Sub("acl|dryrun", -4, kAdmin, AclDryrunCommand,
          "Returns whether the user can execute the given command without executing the command.",
          "7.0.0"),
      Sub("acl|genpass", -2, kCmdNoScript, AclGenpassCommand,
          "Generate a pseudorandom secure password to use for ACL users"),
      Sub("acl|getuser", 3, kAdmin, AclGetUserCommand, "Get the rules for a specific ACL user"),
      Sub("acl|help", 2, 0, AclHelpCommand, "Show helpful text about the different subcommands"),
      Sub("acl|list", 2, kAdmin, AclListCommand,
          "List the current ACL rules in ACL config file format"),
      Sub("acl|load", 2, kAdmin, AclLoadCommand, "Reload the ACLs from the configured ACL file"),
      Sub("acl|log", -2, kAdmin, AclLogCommand,
          "List latest events denied because of ACLs in place"),
      Sub("acl|save", 2, kAdmin, AclSaveCommand,
          "Save the current ACL rules in the configured ACL file"),
      Sub("acl|setuser", -3, kAdmin, AclSetUserCommand,
          "Modify or create the rules for a specific ACL user"),
      Sub("acl|users", 2, kAdmin, AclUsersCommand,
          "List the username of all the configured ACL rules"),
      Sub("acl|whoami", 2, kCmdNoScript, AclWhoamiCommand,
          "Return the name of the user associated to the current connection"),
  };
  t->Register(std::move(acl));
}

}  // namespace tally
