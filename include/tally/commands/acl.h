// ACL users, as Redis 7.0's acl.c has them: who may log in with which password, and which
// commands, keys and channels each may use. The server keeps one Acl; every connection holds a
// snapshot of its user (a shared_ptr to an immutable AclUser) and refreshes it when the Acl's
// generation moves, so a check costs no lock and a change applies from the next command on.
//
// Thread-safety: Acl is safe from any thread. An AclUser is immutable once the Acl holds it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tally/util/config.h"
#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace tally {

class CommandTable;
struct CommandSpec;

// Redis's ACL categories, in ACL CAT's order; bit i of a category mask is kAclCategories[i].
inline constexpr const char* kAclCategories[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
// The category mask for "read @write ..." (names without '@' ignored). For the command table.
uint32_t AclCategoryMask(std::string_view names);
// The ACL facts of a command ("get", "config|set"): categories and the access its keys need
// (kAclRead/kAclWrite for the first key and for the others). False if the command is unknown
// to the ACL table (src/commands/acl/acl_table.cc).
bool AclCommandFacts(std::string_view name, uint32_t* categories, uint8_t* first_key,
                     uint8_t* other_keys);

enum AclAccess : uint8_t { kAclRead = 1, kAclWrite = 2 };

struct AclUser {
  struct KeyPattern {
    std::string pattern;
    uint8_t access = kAclRead | kAclWrite;
  };
  std::string name;
  bool enabled = false;
  bool nopass = false;
  std::vector<std::string> passwords;  // SHA-256, lower-case hex, in the order added
  std::vector<bool> commands;          // by CommandSpec::id; a container's bit is its own
  bool all_commands = false;           // +@all and nothing taken away since
  bool plus_all = false;  // the last +@all/-@all was +@all: "future commands" (ACL LIST's base)
  enum class Payload { kUnset, kSanitize, kSkip } payload = Payload::kUnset;  // RESTORE's flag
  std::string command_rules;  // the +/- rules since the last +@all/-@all (ACL LIST)
  std::vector<KeyPattern> keys;
  bool all_keys = false;
  std::vector<std::string> channels;
  bool all_channels = false;

  // Applies one ACL SETUSER rule ("on", ">pw", "~pat", "+@read", "-get", "reset", ...).
  // Returns nullptr, or Redis's reason for refusing it (errors.h), the user then maybe half
  // changed: apply rules to a copy.
  const char* Apply(std::string_view rule, const CommandTable& table);
  // The rules that rebuild this user, as ACL LIST and the ACL file write them.
  std::string Describe() const;
  // ACL GETUSER's "keys" ("~a %R~b", "~*"), "channels" ("&c", "&*") and "commands"
  // ("-@all +get") fields; Describe is made of them.
  std::string KeysText() const;
  std::string ChannelsText() const;
  std::string CommandsText() const;
  // ACL GETUSER's flags, in Redis's order: on/off, nopass, the payload flag.
  std::vector<const char*> Flags() const;
  bool PasswordMatches(std::string_view password) const;
  bool CanRun(const CommandSpec& spec) const;
  // May touch `key` with `access` (kAclRead | kAclWrite, or 0: any pattern that matches).
  bool CanTouchKey(std::string_view key, uint8_t access) const;
  // `literal`: PSUBSCRIBE's patterns must equal one of the user's, not match it.
  bool CanUseChannel(std::string_view channel, bool literal) const;
  // Everything allowed: the check can be skipped.
  bool unrestricted() const { return all_commands && all_keys && all_channels; }
};

// Why ACL refused a command (ACL LOG's "reason").
enum class AclDenied { kNone, kCommand, kKey, kChannel, kAuth };

struct AclVerdict {
  AclDenied denied = AclDenied::kNone;
  std::string object;  // the command ("get", "client|kill"), key or channel refused
};

// Checks a resolved command and its arguments against `user`: the command, then its keys (by
// the spec's key positions, EVAL/FCALL's numkeys), then the channels of the pub/sub commands.
AclVerdict AclCheck(const AclUser& user, const CommandSpec& spec,
                    std::span<const std::string_view> args);

class Acl {
 public:
  struct LogEntry {
    uint64_t count = 1;
    AclDenied reason = AclDenied::kNone;
    std::string context;  // "toplevel", "multi", "lua"
    std::string object, username;
    int64_t created_ms = 0, updated_ms = 0;
    std::string client_info;
  };

  // `table` outlives the Acl. Starts with the user "default": on, nopass, every command, key
  // and channel.
  explicit Acl(const CommandTable* table);

  std::shared_ptr<const AclUser> Find(std::string_view name) const LOCKS_EXCLUDED(mu_);
  // The user, if `password` is one of its passwords (or it has nopass) and it is on.
  std::shared_ptr<const AclUser> Authenticate(std::string_view name,
                                              std::string_view password) const LOCKS_EXCLUDED(mu_);
  // ACL SETUSER: the rules applied in order to a copy of the user (a new, off, no-permission
  // user if missing); all or nothing. On error, `error` is Redis's full text.
  bool SetUser(std::string_view name, std::span<const std::string_view> rules, std::string* error)
      LOCKS_EXCLUDED(mu_);
  // False if there was no such user. The default user cannot be removed (the caller checks).
  bool DeleteUser(std::string_view name) LOCKS_EXCLUDED(mu_);
  std::vector<std::shared_ptr<const AclUser>> Users() const LOCKS_EXCLUDED(mu_);  // by name
  // requirepass: "" gives the default user nopass, anything else that one password.
  void SetDefaultPassword(std::string_view password) LOCKS_EXCLUDED(mu_);
  // Moves on every change; a connection compares it with its snapshot's.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // ACL LOG: a refusal like the last one of the same reason, context, object and user (within
  // 60 s) counts up that entry instead of adding one, as in Redis. At most 128 entries.
  void Log(AclDenied reason, std::string_view context, std::string_view object,
           std::string_view username, std::string client_info) LOCKS_EXCLUDED(mu_);
  std::vector<LogEntry> LogEntries(size_t max) const LOCKS_EXCLUDED(mu_);  // newest first
  void ResetLog() LOCKS_EXCLUDED(mu_);

  // The ACL file (aclfile): "user <name> <rules...>" lines. Load replaces every user, all or
  // nothing (an error names the line). Save writes a temporary file, syncs it and renames it.
  Status LoadFile(const std::string& path) LOCKS_EXCLUDED(mu_);
  Status SaveFile(const std::string& path) const LOCKS_EXCLUDED(mu_);
  // The `user` lines of the config (Config::user_lines()), at start: they replace every user,
  // all or nothing; an error is the config's fatal error text naming the line.
  Status LoadDeclarations(const std::vector<Config::UserLine>& lines) LOCKS_EXCLUDED(mu_);

 private:
  // Why a list of declarations was refused: which one, the rule (empty for a duplicate user)
  // and Redis's reason.
  struct DeclError {
    size_t index;
    std::string rule;
    std::string reason;
  };
  // Replaces every user by those declared (each: name, rules...), plus a default user if none
  // is declared; all or nothing.
  std::optional<DeclError> ReplaceUsers(const std::vector<std::vector<std::string>>& decls)
      LOCKS_EXCLUDED(mu_);

  const CommandTable* table_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<const AclUser>, std::less<>> users_ GUARDED_BY(mu_);
  std::deque<LogEntry> log_ GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{1};
};

}  // namespace tally

namespace tally {

struct Session;

// The session's user, its snapshot refreshed if the ACL changed since. Null if the user is
// gone (ACL DELUSER, ACL LOAD): the connection is then closed.
const AclUser* SessionUser(Acl& acl, Session& session);
// Logs `session` in as `user` (AUTH, HELLO AUTH).
void SetSessionUser(Acl& acl, Session& session, std::shared_ptr<const AclUser> user);
// Whether a session starting now is authenticated: the default user is on and has nopass.
bool DefaultUserNeedsNoAuth(Acl& acl);

}  // namespace tally
