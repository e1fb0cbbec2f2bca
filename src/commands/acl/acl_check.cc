// The ACL check in Dispatch and the session's user snapshot.
#include "../admin_commands.h"
#include "tally/commands/acl.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"

namespace tally {

const AclUser* SessionUser(Acl& acl, Session& session) {
  const uint64_t generation = acl.generation();
  if (session.user == nullptr || session.user_generation != generation) {
    std::string name;
    {
      MutexLock l(&session.mu);
      name = session.user_name;
    }
    session.user = acl.Find(name);
    session.user_generation = generation;
  }
  return session.user.get();
}

void SetSessionUser(Acl& acl, Session& session, std::shared_ptr<const AclUser> user) {
  {
    MutexLock l(&session.mu);
    session.user_name = user->name;
  }
  session.user = std::move(user);
  session.user_generation = acl.generation();
  session.authenticated.store(true);
}

bool DefaultUserNeedsNoAuth(Acl& acl) {
  auto u = acl.Find("default");
  return u != nullptr && u->enabled && u->nopass;
}

const char* AclContext(const Session& s) {
  return s.script_client ? "lua" : s.in_multi ? "multi" : "toplevel";
}

bool AclAllows(CommandContext& ctx, const CommandSpec& spec) {
  Acl* acl = ctx.server.acl();
  if (acl == nullptr) return true;
  const AclUser* user = SessionUser(*acl, ctx.session);
  if (user == nullptr) {  // deleted under a live connection: Redis closes it
    ctx.session.close_now = true;
    return false;
  }
  // AUTH and HELLO (no_auth) are always allowed, as in Redis.
  if (user->unrestricted() || (spec.flags & kCmdNoAuth)) return true;
  AclVerdict v = AclCheck(*user, spec, ctx.args);
  if (v.denied == AclDenied::kNone) return true;
  acl->Log(v.denied, AclContext(ctx.session), v.object, user->name,
           ClientLine(ctx.session, spec.name.c_str()));
  std::string error = v.denied == AclDenied::kCommand
                          ? errors::Fill(errors::kNoPermCommand, spec.name)
                      : v.denied == AclDenied::kKey ? errors::kNoPermKey
                                                    : errors::kNoPermChannel;
  if (spec.name == "exec") {  // rejectCommand: execCommandAbort, in MULTI or not
    ResetTransaction(ctx.session, ctx.keyspace());
    ctx.reply.Error(errors::Fill(errors::kExecAbortBecause, std::string_view(error).substr(1)));
    return false;
  }
  ctx.reply.Error(error);
  return false;
}

}  // namespace tally
