// CommandTable: the Redis commands Tally knows, each a handler plus its arity and flags, and the
// dispatch that checks a request in Redis's order (unknown command, arity, authentication)
// before running it. Families register themselves explicitly (RegisterStringCommands, ...)
// from BuildCommandTable(); a duplicate name aborts at start.
//
// Handlers are thin: they parse arguments, call the Keyspace and format the reply. Each raises
// the context's barrier to the LSN its reply depends on. Immutable after construction, so one
// table is shared by every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tally/commands/error_stats.h"
#include "tally/commands/server_context.h"
#include "tally/commands/session.h"
#include "tally/commands/slowlog.h"
#include "tally/protocol/reply_writer.h"
#include "tally/storage/types.h"
#include "tally/util/function_ref.h"
#include "tally/util/latency_histogram.h"
#include "tally/util/notify_flags.h"

namespace tally {

struct CommandContext {
  std::span<const std::string_view> args;  // args[0] is the command name as sent
  Session& session;
  ReplyWriter& reply;
  ServerContext& server;
  Lsn barrier = 0;  // the reply may not be sent before this LSN is acknowledged
  const class CommandTable* table = nullptr;  // set by Dispatch
  // With may_defer, Dispatch does not run a kCmdScript command: it sets `deferred` and returns,
  // and the caller dispatches it again (without may_defer) where it may block.
  bool may_defer = false;
  bool deferred = false;
  // A front end running commands back to back passes the time it last read the clock (set to
  // when the batch was read); Dispatch times the command from there and leaves its end time
  // here, so each command reads the clock once. Unset: Dispatch reads it twice.
  std::chrono::steady_clock::time_point clock{};

  void WaitFor(Lsn lsn) {
    if (lsn > barrier) barrier = lsn;
  }
  DbIndex db() const { return static_cast<DbIndex>(session.db.load(std::memory_order_relaxed)); }
  // The keyspace view the command runs in: a transaction's (EXEC, a script) or a CreatedKeys
  // scope's, set by whoever opened the scope; null: the server's keyspace.
  Keyspace* view = nullptr;

  Keyspace& keyspace() { return view != nullptr ? *view : server.keyspace(); }
};

// Runs the rest of a command atomically (DEL with notifications, a script): returns the view of
// the transaction the command is already in (EXEC, a script), or opens one in *scope (it commits
// when *scope ends, or at scope->Commit()) and returns that one's view. Transactions never nest.
Keyspace& AtomicKeyspace(CommandContext& ctx, std::optional<Keyspace::AtomicScope>* scope);

using CommandHandler = void (*)(CommandContext& ctx);

// Command flags, as COMMAND INFO lists them.
enum CommandFlag : uint32_t {
  kCmdWrite = 1 << 0,
  kCmdReadonly = 1 << 1,
  kCmdFast = 1 << 2,
  kCmdNoAuth = 1 << 3,  // allowed before AUTH
  kCmdAdmin = 1 << 4,
  kCmdDenyOom = 1 << 5,
  kCmdLoading = 1 << 6,
  kCmdStale = 1 << 7,
  kCmdNoQueue = 1 << 8,  // runs at once inside MULTI (MULTI EXEC DISCARD WATCH QUIT)
  // Tally's own: it lives on per-connection state (a transaction, the selected database, the
  // protocol), which an HTTP request does not have; POST /v1/command refuses it.
  kCmdNoHttp = 1 << 9,
  kCmdSkipSlowlog = 1 << 10,  // never in the slow log (EXEC: its commands are, one by one)
  kCmdPubSub = 1 << 11,       // allowed in RESP2 subscribed mode (the subscribe family, PING...)
  kCmdNoScript = 1 << 12,     // refused inside a script ("not allowed from script")
  kCmdAllowBusy = 1 << 13,    // runs while a script is busy (SCRIPT KILL, SHUTDOWN, ...)
  // Tally's own: runs a script. A connection runs it off its io thread, so that the thread
  // goes on serving others (SCRIPT KILL among them) while the script runs.
  kCmdScript = 1 << 14,
};

// A relaxed atomic counter that copies (specs are built by value before the table holds them).
struct StatCounter {
  std::atomic<uint64_t> n{0};
  StatCounter() = default;
  StatCounter(const StatCounter& o) : n(o.n.load()) {}
  StatCounter& operator=(const StatCounter& o) {
    n = o.n.load();
    return *this;
  }
  void Add(uint64_t k = 1) { n.fetch_add(k, std::memory_order_relaxed); }
  uint64_t value() const { return n.load(std::memory_order_relaxed); }
};

struct CommandSpec {
  std::string name;  // lower case; "config|get" for a subcommand
  int arity = 0;     // Redis's: N exactly, or -N at least N arguments (name included)
  uint32_t flags = 0;
  int first_key = 0, last_key = 0, step = 0;
  const char* group = "generic";  // COMMAND DOCS group
  const char* summary = "";
  const char* since = "1.0.0";
  CommandHandler handler = nullptr;
  std::vector<CommandSpec> subcommands;  // for containers such as CONFIG and CLIENT
  // Movable keys (LMPOP): the argument that says how many keys follow it; 0 for none.
  int numkeys_at = 0;
  // ACL: a dense id (a bit in AclUser::commands), the categories (AclCategoryMask) and the
  // access the first and the other keys need; set by Register from the ACL table.
  int id = -1;
  uint32_t acl_categories = 0;
  uint8_t acl_first_key = 0, acl_other_keys = 0;
  // Executions (queued in MULTI not counted until EXEC runs them), those that replied with an
  // error, those refused before running (arity, NOAUTH) and the microseconds spent running:
  // INFO commandstats and /metrics.
  mutable StatCounter calls, failed, rejected, usec;
  // Each execution's microseconds (INFO latencystats), shared by copies of the spec.
  std::shared_ptr<LatencyHistogram> latency = std::make_shared<LatencyHistogram>();
};

// Key positions as COMMAND INFO reports them ({0, 0, 0}: the command takes no key).
struct KeyPositions {
  int first = 0, last = 0, step = 0;
};

// Builds a table entry, so that each family's registration list reads one line per command.
CommandSpec MakeCommand(const char* name, int arity, uint32_t flags, CommandHandler handler,
                        const char* group, const char* summary, const char* since,
                        KeyPositions keys = {});

class CommandTable {
 public:
  // Adds a command. Aborts on a duplicate name, or a command (or subcommand) missing from the
  // ACL table (src/commands/acl/acl_table.cc).
  void Register(CommandSpec spec);
  // Commands and subcommands registered (ids run from 0 to this).
  size_t command_count() const { return next_id_; }
  // The command named `name` (any case), or nullptr.
  const CommandSpec* Find(std::string_view name) const;
  // The command `args` name, with the subcommand resolved for a container (nullptr if either
  // is unknown), as Redis's lookupCommand.
  const CommandSpec* Lookup(std::span<const std::string_view> args) const;
  // Whether `argc` arguments (the name included) fit the command's arity.
  static bool ArityOk(const CommandSpec& spec, size_t argc);
  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return commands_; }

  // Checks and runs one request: "host:"/"post" close silently; then unknown command or
  // subcommand, arity and NOAUTH errors as Redis words them; then the handler.
  void Dispatch(CommandContext& ctx) const;

  // The slow log Dispatch feeds (slowlog-log-slower-than, slowlog-max-len).
  SlowLog& slowlog() const { return slowlog_; }
  // Error replies by code (INFO errorstats); Dispatch points the reply writer at it.
  ErrorStats& error_stats() const { return error_stats_; }

 private:
  // Adds the command just run to the slow log if it took long enough.
  void MaybeLogSlow(const CommandContext& ctx, const CommandSpec& spec, int64_t usec) const;

  std::vector<std::unique_ptr<CommandSpec>> commands_;
  std::unordered_map<std::string, const CommandSpec*> by_name_;
  int next_id_ = 0;
  mutable SlowLog slowlog_;
  mutable ErrorStats error_stats_;
};

// The families (each in its own file).
void RegisterStringCommands(CommandTable* table);
void RegisterListCommands(CommandTable* table);  // LPUSH ... (list_commands.cc)
void RegisterKeyspaceCommands(CommandTable* table);
void RegisterConnectionCommands(CommandTable* table);
void RegisterServerCommands(CommandTable* table);
void RegisterExpireCommands(CommandTable* table);
void RegisterTransactionCommands(CommandTable* table);
void RegisterScanCommands(CommandTable* table);
void RegisterSlowlogCommands(CommandTable* table);
void RegisterPersistenceCommands(CommandTable* table);
void RegisterLatencyCommands(CommandTable* table);
void RegisterCounterCommands(CommandTable* table);  // INCREX, CL.THROTTLE, TALLY.HISTORY
void RegisterPubSubCommands(CommandTable* table);
void RegisterAlertCommands(CommandTable* table);     // TALLY.ALERT
void RegisterScriptCommands(CommandTable* table);    // EVAL, SCRIPT (script_commands.cc)
void RegisterFunctionCommands(CommandTable* table);  // FUNCTION, FCALL
void RegisterObjectCommands(CommandTable* table);    // OBJECT, WAIT (admin_commands.cc)
void RegisterAclCommands(CommandTable* table);       // ACL (acl/acl_commands.cc)
// EVAL/EVALSHA/FCALL and their _RO forms: "<name> <script|sha|function> numkeys key... arg...",
// numkeys checked with Redis's errors (FCALL's for a non-integer differs), then the engine runs it.
void RunScriptCall(CommandContext& ctx, bool by_sha, bool function, bool read_only);
// SCRIPT KILL and FUNCTION KILL (either stops the running script, as in Redis 7.0's eval.c).
void ScriptKillCommand(CommandContext& ctx);

// Loads the FUNCTION libraries kept in the store into `scripts` (at start, after recovery).
Status LoadFunctionLibraries(class Store& store, class ScriptEngine& scripts);

// Drops a connection's subscriptions (on disconnect and RESET).
void UnsubscribeAll(Session& session, PubSub& pubsub);

// Drops a connection's transaction state and WATCHes (on disconnect).
void ResetTransaction(Session& session, Keyspace& keyspace);

// A MONITOR line as Redis writes it: +<seconds>.<micros> [<db> <addr>] "arg" "arg"...,
// each argument quoted and escaped as Redis's sdscatrepr does.
std::string FormatMonitorLine(int64_t now_us, int db, std::string_view addr,
                              std::span<const std::string_view> args);

// The full table.
std::unique_ptr<CommandTable> BuildCommandTable();

// Where SAVE and BGSAVE put backups: backup-dir, or <dir>/backups when it is empty.
std::string BackupRoot(Config& config);

// Calls fn(i, key) for each key `args` (a resolved command, its name first) names, in order
// (i counts from 0): the spec's key positions, EVAL/FCALL's numkeys keys, or the numkeys keys
// after spec.numkeys_at (none if that count is not a valid one). COMMAND GETKEYS and the ACL
// check both walk keys through it.
void ForEachKey(const CommandSpec& spec, std::span<const std::string_view> args,
                FunctionRef<void(size_t, std::string_view)> fn);

// The ACL check of a resolved command (after AUTH, before it runs): false, with -NOPERM replied
// and an ACL LOG entry, if the session's user may not run it on these keys and channels.
bool AclAllows(CommandContext& ctx, const CommandSpec& spec);
// ACL LOG's context for a refusal in this session: "toplevel", "multi" or "lua".
const char* AclContext(const Session& session);

// Replies with the Redis error for a failed keyspace call.
void ReplyError(ReplyWriter& reply, const Status& status);
// getExpireMillisecondsOrReply: an EX/PX/EXAT/PXAT argument as an absolute time in ms
// (`seconds`: EX/EXAT; `relative`: EX/PX). Replies with Redis's error ("invalid expire time in
// '<command>' command") and returns nullopt on a bad value.
std::optional<int64_t> ParseExpireTime(CommandContext& ctx, std::string_view arg, bool seconds,
                                       bool relative, std::string_view command);

// The usual tail of a handler: a failed keyspace call replies its error; otherwise the reply
// waits for the LSN and `reply(value)` writes it.
template <typename T, typename ReplyFn>
void ReplyWritten(CommandContext& ctx, StatusOr<Written<T>>&& result, ReplyFn&& reply) {
  if (!result.ok()) return ReplyError(ctx.reply, result.status());
  ctx.WaitFor(result->lsn);
  reply(result->value);
}

// Keyspace notifications (notify-keyspace-events): records `event` of `type` (a NotifyFlag)
// for `key` in `db` (default: the session's) in the session, if the option asks for it. The
// front end publishes the session's notifications once the replies' writes are acknowledged
// (a RESP connection per batch, in order; the HTTP API per request).
void Notify(CommandContext& ctx, uint32_t type, const char* event, std::string_view key);
// A "keymiss" event for `key` if keymiss events are asked for and the key does not exist (for
// reads whose reply cannot tell a missing key from an empty one: STRLEN, GETRANGE, EXISTS).
// The `new` event of `key` if this command created it (Dispatch collects the keys a write
// command creates while `n` events are on) and it was not announced yet. Notify() calls it
// first.
void NotifyIfCreated(CommandContext& ctx, std::string_view key, DbIndex db);
// The `new` event of `key`, whether or not it existed: RENAME, COPY and MOVE announce their
// destination first, as Redis deletes it and adds it again.
void NotifyNew(CommandContext& ctx, std::string_view key, DbIndex db);
void NotifyKeyMissIfAbsent(CommandContext& ctx, std::string_view key);
// Whether notify-keyspace-events asks for events of `type`.
bool Notifying(const CommandContext& ctx, uint32_t type);
void Notify(CommandContext& ctx, uint32_t type, const char* event, std::string_view key,
            DbIndex db);
// Publishes the session's notifications now (the caller has waited for their writes), or once
// `lsn` is acknowledged.
void PublishNotifications(ServerContext& server, Session& session);
void PublishNotificationsWhenAcked(ServerContext& server, Session& session, Lsn lsn);
// The channel and message pairs of a notification, as Redis's notifyKeyspaceEvent sends them.
std::vector<std::pair<std::string, std::string>> NotificationMessages(uint32_t flags,
                                                                      const KeyNotification& n);

// A HELP subcommand's reply: the lines as simple strings.
void ReplyHelp(ReplyWriter& reply, std::span<const char* const> lines);
// "wrong number of arguments for '<name>' command".
void ReplyArityError(ReplyWriter& reply, std::string_view full_name);

}  // namespace tally
