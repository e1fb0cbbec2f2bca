// String and counter commands (Redis 7 t_string.c): argument parsing and reply formatting over
// the Keyspace, which holds the semantics.
#include <limits>

#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {

// getExpireMillisecondsOrReply: turns an EX/PX/EXAT/PXAT argument into an absolute time in ms.
// Replies with the error and returns nullopt on a bad value.
std::optional<int64_t> ParseExpireTime(CommandContext& ctx, std::string_view arg, bool seconds,
                                       bool relative, std::string_view command) {
  auto v = ParseInt64(arg);
  if (!v) {
    ctx.reply.Error(errors::kNotInteger);
    return std::nullopt;
  }
  int64_t ms = *v;
  auto invalid = [&] {
    ctx.reply.Error(errors::Fill(errors::kInvalidExpireTime, command));
    return std::nullopt;
  };
  if (ms <= 0 || (seconds && ms > std::numeric_limits<int64_t>::max() / 1000)) return invalid();
  if (seconds) ms *= 1000;
  if (relative) {
    int64_t now = NowMs();
    if (ms > std::numeric_limits<int64_t>::max() - now) return invalid();
    ms += now;
  }
  if (ms <= 0) return invalid();
  return ms;
}

namespace {

// Replies with the value or the protocol's null.
void ReplyOptional(CommandContext& ctx, const std::optional<std::string>& v) {
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

// The expiry options shared by SET and GETEX (parseExtendedStringArgumentsOrReply).
struct ExpireArgs {
  enum Unit { kNone, kEx, kPx, kExat, kPxat } unit = kNone;
  std::string_view value;
  bool keep_ttl = false;
  bool persist = false;
};

// Parses one expiry token at args[*i] (advancing *i past its value). Returns false if the token
// is not an expiry option or conflicts with one already given.
bool ParseExpireToken(std::span<const std::string_view> args, size_t* i, ExpireArgs* e,
                      bool is_set) {
  std::string_view opt = args[*i];
  bool has_next = *i + 1 < args.size();
  bool has_expire = e->unit != ExpireArgs::kNone;
  static constexpr std::pair<const char*, ExpireArgs::Unit> kUnits[] = {
      {"ex", ExpireArgs::kEx},
      {"px", ExpireArgs::kPx},
      {"exat", ExpireArgs::kExat},
      {"pxat", ExpireArgs::kPxat}};
  for (auto [name, unit] : kUnits) {
    if (EqualsIgnoreCase(opt, name)) {
      // Repeating the same unit is allowed (the last wins); mixing units is not.
      if (e->keep_ttl || e->persist || (has_expire && e->unit != unit) || !has_next) return false;
      e->unit = unit;
      e->value = args[++*i];
      return true;
    }
  }
  if (is_set && EqualsIgnoreCase(opt, "keepttl") && !has_expire && !e->persist) {
    e->keep_ttl = true;
    return true;
  }
  if (!is_set && EqualsIgnoreCase(opt, "persist") && !has_expire && !e->keep_ttl) {
    e->persist = true;
    return true;
  }
  return false;
}

// Resolves parsed expiry args to an absolute time (0 if none). nullopt after an error reply.
std::optional<int64_t> ResolveExpire(CommandContext& ctx, const ExpireArgs& e,
                                     std::string_view command) {
  switch (e.unit) {
    case ExpireArgs::kNone:
      return 0;
    case ExpireArgs::kEx:
      return ParseExpireTime(ctx, e.value, true, true, command);
    case ExpireArgs::kPx:
      return ParseExpireTime(ctx, e.value, false, true, command);
    case ExpireArgs::kExat:
      return ParseExpireTime(ctx, e.value, true, false, command);
    case ExpireArgs::kPxat:
      return ParseExpireTime(ctx, e.value, false, false, command);
  }
  return 0;
}

// SET's notifications: "set", and "expire" when it set a TTL.
void NotifySet(CommandContext& ctx, std::string_view key, bool expire) {
  Notify(ctx, kNotifyString, "set", key);
  if (expire) Notify(ctx, kNotifyGeneric, "expire", key);
}

// The common tail of SET, SETNX, SETEX, PSETEX and GETSET.
template <typename OnDone>
void DoSet(CommandContext& ctx, std::string_view key, std::string_view value,
           const SetOptions& options, OnDone on_done) {
  auto r = ctx.keyspace().Set(ctx.db(), key, value, options);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  on_done(r->value);
}

void SetCommand(CommandContext& ctx) {
  SetOptions options;
  ExpireArgs e;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "nx") && options.cond != SetOptions::Cond::kXx) {
      options.cond = SetOptions::Cond::kNx;
    } else if (EqualsIgnoreCase(opt, "xx") && options.cond != SetOptions::Cond::kNx) {
      options.cond = SetOptions::Cond::kXx;
    } else if (EqualsIgnoreCase(opt, "get")) {
      options.get = true;
    } else if (!ParseExpireToken(ctx.args, &i, &e, /*is_set=*/true)) {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  auto expire = ResolveExpire(ctx, e, "set");
  if (!expire) return;
  options.expire_at_ms = *expire;
  options.keep_ttl = e.keep_ttl;
  DoSet(ctx, ctx.args[1], ctx.args[2], options, [&](const SetResult& r) {
    // With GET, Redis reads the key first: a missing one is a keymiss.
    if (options.get && !r.old) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
    if (r.written) NotifySet(ctx, ctx.args[1], options.expire_at_ms != 0);
    if (options.get) return ReplyOptional(ctx, r.old);
    if (r.written) return ctx.reply.Ok();
    ctx.reply.Null();
  });
}

void SetNxCommand(CommandContext& ctx) {
  SetOptions options;
  options.cond = SetOptions::Cond::kNx;
  DoSet(ctx, ctx.args[1], ctx.args[2], options, [&](const SetResult& r) {
    if (r.written) NotifySet(ctx, ctx.args[1], false);
    ctx.reply.Integer(r.written ? 1 : 0);
  });
}

void SetExGeneric(CommandContext& ctx, bool seconds, std::string_view command) {
  auto expire = ParseExpireTime(ctx, ctx.args[2], seconds, true, command);
  if (!expire) return;
  SetOptions options;
  options.expire_at_ms = *expire;
  DoSet(ctx, ctx.args[1], ctx.args[3], options, [&](const SetResult&) {
    NotifySet(ctx, ctx.args[1], true);
    ctx.reply.Ok();
  });
}
void SetExCommand(CommandContext& ctx) { SetExGeneric(ctx, true, "setex"); }
void PSetExCommand(CommandContext& ctx) { SetExGeneric(ctx, false, "psetex"); }

void GetSetCommand(CommandContext& ctx) {
  SetOptions options;
  options.get = true;
  DoSet(ctx, ctx.args[1], ctx.args[2], options, [&](const SetResult& r) {
    if (!r.old) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);  // Redis reads it first
    NotifySet(ctx, ctx.args[1], false);
    ReplyOptional(ctx, r.old);
  });
}

void GetCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().Get(ctx.db(), ctx.args[1]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (!r->value) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  ReplyOptional(ctx, r->value);
}

void GetDelCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().GetDel(ctx.db(), ctx.args[1]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (r->value) {
    Notify(ctx, kNotifyGeneric, "del", ctx.args[1]);
  } else {
    Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  }
  ReplyOptional(ctx, r->value);
}

void GetExCommand(CommandContext& ctx) {
  ExpireArgs e;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (!ParseExpireToken(ctx.args, &i, &e, /*is_set=*/false))
      return ctx.reply.Error(errors::kSyntax);
  }
  auto expire = ResolveExpire(ctx, e, "getex");
  if (!expire) return;
  ExpireChange change;
  if (e.persist) change.kind = ExpireChange::Kind::kPersist;
  if (*expire != 0) change = ExpireChange{ExpireChange::Kind::kAt, *expire};
  auto r = ctx.keyspace().GetEx(ctx.db(), ctx.args[1], change);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (!r->value) {
    Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  } else if (change.kind == ExpireChange::Kind::kAt) {
    Notify(ctx, kNotifyGeneric, change.at_ms <= NowMs() ? "del" : "expire", ctx.args[1]);
  } else if (change.kind == ExpireChange::Kind::kPersist) {
    Notify(ctx, kNotifyGeneric, "persist", ctx.args[1]);
  }
  ReplyOptional(ctx, r->value);
}

void MGetCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().MGet(ctx.db(), ctx.args.subspan(1));
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  ctx.reply.ArrayHeader(r->value.size());
  for (size_t i = 0; i < r->value.size(); ++i) {
    if (!r->value[i]) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[i + 1]);
    ReplyOptional(ctx, r->value[i]);
  }
}

void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.args.size() % 2 == 0) return ReplyArityError(ctx.reply, nx ? "msetnx" : "mset");
  auto r = ctx.keyspace().MSet(ctx.db(), ctx.args.subspan(1), nx);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (!nx || r->value) {
    for (size_t i = 1; i < ctx.args.size(); i += 2) Notify(ctx, kNotifyString, "set", ctx.args[i]);
  }
  if (nx) return ctx.reply.Integer(r->value ? 1 : 0);
  ctx.reply.Ok();
}
void MSetCommand(CommandContext& ctx) { MSetGeneric(ctx, false); }
void MSetNxCommand(CommandContext& ctx) { MSetGeneric(ctx, true); }

void AppendCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().Append(ctx.db(), ctx.args[1], ctx.args[2],
                                 ctx.server.config().Int(Opt::kProtoMaxBulkLen));
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  Notify(ctx, kNotifyString, "append", ctx.args[1]);
  ctx.reply.Integer(r->value);
}

void StrLenCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().StrLen(ctx.db(), ctx.args[1]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (r->value == 0) NotifyKeyMissIfAbsent(ctx, ctx.args[1]);
  ctx.reply.Integer(r->value);
}

void IncrByGeneric(CommandContext& ctx, int64_t delta) {
  auto r = ctx.keyspace().IncrBy(ctx.db(), ctx.args[1], delta);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  Notify(ctx, kNotifyString, "incrby", ctx.args[1]);
  ctx.reply.Integer(r->value);
}
void IncrCommand(CommandContext& ctx) { IncrByGeneric(ctx, 1); }
void DecrCommand(CommandContext& ctx) { IncrByGeneric(ctx, -1); }

void IncrByCommand(CommandContext& ctx) {
  auto delta = ParseInt64(ctx.args[2]);
  if (!delta) return ctx.reply.Error(errors::kNotInteger);
  IncrByGeneric(ctx, *delta);
}

void DecrByCommand(CommandContext& ctx) {
  auto delta = ParseInt64(ctx.args[2]);
  if (!delta) return ctx.reply.Error(errors::kNotInteger);
  if (*delta == std::numeric_limits<int64_t>::min())
    return ctx.reply.Error(errors::kDecrementOverflow);
  IncrByGeneric(ctx, -*delta);
}

void IncrByFloatCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().IncrByFloat(ctx.db(), ctx.args[1], ctx.args[2]);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  Notify(ctx, kNotifyString, "incrbyfloat", ctx.args[1]);
  ctx.reply.Bulk(r->value);
}

void SetRangeCommand(CommandContext& ctx) {
  auto offset = ParseInt64(ctx.args[2]);
  if (!offset) return ctx.reply.Error(errors::kNotInteger);
  if (*offset < 0) return ctx.reply.Error(errors::kOffsetOutOfRange);
  auto r = ctx.keyspace().SetRange(ctx.db(), ctx.args[1], *offset, ctx.args[3],
                                   ctx.server.config().Int(Opt::kProtoMaxBulkLen));
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (!ctx.args[3].empty()) Notify(ctx, kNotifyString, "setrange", ctx.args[1]);
  ctx.reply.Integer(r->value);
}

void GetRangeCommand(CommandContext& ctx) {
  auto start = ParseInt64(ctx.args[2]);
  auto end = ParseInt64(ctx.args[3]);
  if (!start || !end) return ctx.reply.Error(errors::kNotInteger);
  auto r = ctx.keyspace().GetRange(ctx.db(), ctx.args[1], *start, *end);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (r->value.empty()) NotifyKeyMissIfAbsent(ctx, ctx.args[1]);
  ctx.reply.Bulk(r->value);
}

CommandSpec Cmd(const char* name, int arity, uint32_t flags, int first, int last, int step,
                CommandHandler handler, const char* summary, const char* since = "1.0.0") {
  return MakeCommand(name, arity, flags, handler, "string", summary, since, {first, last, step});
}

}  // namespace

void RegisterStringCommands(CommandTable* t) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kWF = kW | kCmdFast;
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  t->Register(Cmd("get", 2, kRF, 1, 1, 1, GetCommand, "Get the value of a key"));
  t->Register(Cmd("setrange", 4, kW, 1, 1, 1, SetRangeCommand,
                  "Overwrite part of a string at key starting at the specified offset", "2.2.0"));
  t->Register(Cmd("getrange", 4, kCmdReadonly, 1, 1, 1, GetRangeCommand,
                  "Get a substring of the string stored at a key", "2.4.0"));
  t->Register(Cmd("substr", 4, kCmdReadonly, 1, 1, 1, GetRangeCommand,
                  "Get a substring of the string stored at a key", "1.0.0"));
  t->Register(Cmd("set", -3, kW, 1, 1, 1, SetCommand, "Set the string value of a key"));
  t->Register(Cmd("setnx", 3, kWF, 1, 1, 1, SetNxCommand,
                  "Set the value of a key, only if the key does not exist"));
  t->Register(
      Cmd("setex", 4, kW, 1, 1, 1, SetExCommand, "Set the value and expiration of a key", "2.0.0"));
  t->Register(Cmd("psetex", 4, kW, 1, 1, 1, PSetExCommand,
                  "Set the value and expiration in milliseconds of a key", "2.6.0"));
  t->Register(Cmd("getset", 3, kWF, 1, 1, 1, GetSetCommand,
                  "Set the string value of a key and return its old value"));
  t->Register(Cmd("getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, GetDelCommand,
                  "Get the value of a key and delete the key", "6.2.0"));
  t->Register(Cmd("getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, GetExCommand,
                  "Get the value of a key and optionally set its expiration", "6.2.0"));
  t->Register(Cmd("mget", -2, kRF, 1, -1, 1, MGetCommand, "Get the values of all the given keys"));
  t->Register(
      Cmd("mset", -3, kW, 1, -1, 2, MSetCommand, "Set multiple keys to multiple values", "1.0.1"));
  t->Register(Cmd("msetnx", -3, kW, 1, -1, 2, MSetNxCommand,
                  "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1"));
  t->Register(Cmd("append", 3, kWF, 1, 1, 1, AppendCommand, "Append a value to a key", "2.0.0"));
  t->Register(Cmd("strlen", 2, kRF, 1, 1, 1, StrLenCommand,
                  "Get the length of the value stored in a key", "2.2.0"));
  t->Register(
      Cmd("incr", 2, kWF, 1, 1, 1, IncrCommand, "Increment the integer value of a key by one"));
  t->Register(
      Cmd("decr", 2, kWF, 1, 1, 1, DecrCommand, "Decrement the integer value of a key by one"));
  t->Register(Cmd("incrby", 3, kWF, 1, 1, 1, IncrByCommand,
                  "Increment the integer value of a key by the given amount"));
  t->Register(Cmd("decrby", 3, kWF, 1, 1, 1, DecrByCommand,
                  "Decrement the integer value of a key by the given number"));
  t->Register(Cmd("incrbyfloat", 3, kWF, 1, 1, 1, IncrByFloatCommand,
                  "Increment the float value of a key by the given amount", "2.6.0"));
}

}  // namespace tally
