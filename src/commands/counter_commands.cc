// Tally's counter commands: INCREX (Redis 8.8's bounded increment, with Tally's IDMP request
// ids) and CL.THROTTLE (redis-cell). Arguments are parsed here; the Keyspace holds the semantics.
#include <cfloat>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include "tally/commands/arg_parser.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/config.h"
#include "tally/util/numbers.h"

namespace tally {
namespace {

// INCREX's arguments as written, before their values are parsed (the bounds' type depends on
// BYINT/BYFLOAT, which may come after them).
struct IncrExArgs {
  std::string_view by_int, by_float, lbound, ubound, expire, idmp;
  bool has_by_int = false, has_by_float = false, has_lbound = false, has_ubound = false;
  bool saturate = false, enx = false, persist = false, has_idmp = false;
  const char* unit = nullptr;  // "EX", "PX", "EXAT" or "PXAT"
};

IncrExArgs ScanIncrExArgs(ArgParser& p) {
  IncrExArgs a;
  bool has_expire = false;
  while (p.HasNext()) {
    bool unit = false;
    for (const char* u : {"EX", "PX", "EXAT", "PXAT"}) {
      if (p.Check(u, &a.expire, &has_expire)) {
        unit = true;
        a.unit = u;
        break;
      }
    }
    if (unit) {
      if (a.persist) p.Fail();
    } else if (p.Check("PERSIST", &a.persist)) {
      if (has_expire || a.enx) p.Fail();
    } else if (p.Check("ENX", &a.enx)) {
      if (a.persist) p.Fail();
    } else if (p.Check("BYINT", &a.by_int, &a.has_by_int) ||
               p.Check("BYFLOAT", &a.by_float, &a.has_by_float)) {
      if (a.has_by_int && a.has_by_float) p.Fail();
    } else if (!p.Check("LBOUND", &a.lbound, &a.has_lbound) &&
               !p.Check("UBOUND", &a.ubound, &a.has_ubound) && !p.Check("SATURATE", &a.saturate) &&
               !p.Check("IDMP", &a.idmp, &a.has_idmp)) {
      p.Fail();
    }
  }
  return a;
}

// Parses a bound in the increment's type into *out.
template <typename T>
void ParseBound(ArgParser& p, bool given, std::string_view text, bool is_float,
                const char* not_integer, const char* not_float, std::optional<T>* out) {
  if (!given || !p.ok()) return;
  if constexpr (std::is_same_v<T, int64_t>) {
    *out = ParseInt64Or(p, text, not_integer);
  } else {
    auto v = ParseLongDouble(text);
    if (!v) return p.Fail(not_float);
    *out = *v;
  }
}

// Turns the scanned arguments into options; replies with the error and returns false if any is
// bad.
bool ResolveIncrEx(CommandContext& ctx, ArgParser& p, const IncrExArgs& a, IncrExOptions* o) {
  o->is_float = a.has_by_float;
  o->saturate = a.saturate;
  o->enx = a.enx;
  if (p.ok() && a.has_by_int)
    o->by_int = ParseInt64Or(p, a.by_int, errors::kIncrementNotInteger).value_or(0);
  if (p.ok() && a.has_by_float) {
    auto v = ParseLongDouble(a.by_float);
    if (!v)
      p.Fail(errors::kIncrementNotFloat);
    else if (std::isinf(*v))
      p.Fail(errors::kIncrementInfinity);
    else
      o->by_float = *v;
  }
  if (o->is_float) {
    ParseBound(p, a.has_lbound, a.lbound, true, nullptr, errors::kLboundNotFloat, &o->lo_float);
    ParseBound(p, a.has_ubound, a.ubound, true, nullptr, errors::kUboundNotFloat, &o->hi_float);
    if (p.ok() && o->lo_float.value_or(-LDBL_MAX) > o->hi_float.value_or(LDBL_MAX))
      p.Fail(errors::kBoundsCrossed);
  } else {
    ParseBound(p, a.has_lbound, a.lbound, false, errors::kLboundNotInteger, nullptr, &o->lo_int);
    ParseBound(p, a.has_ubound, a.ubound, false, errors::kUboundNotInteger, nullptr, &o->hi_int);
    if (p.ok() && o->lo_int && o->hi_int && *o->lo_int > *o->hi_int) p.Fail(errors::kBoundsCrossed);
  }
  if (p.ok() && a.enx && a.unit == nullptr) p.Fail(errors::kEnxNeedsExpiration);
  if (!p.ok()) {
    ctx.reply.Error(p.error());
    return false;
  }
  if (a.persist) o->ttl = IncrExOptions::Ttl::kPersist;
  if (a.unit != nullptr) {
    const std::string_view u = a.unit;
    auto at =
        ParseExpireTime(ctx, a.expire, u == "EX" || u == "EXAT", u == "EX" || u == "PX", "increx");
    if (!at) return false;
    o->ttl = IncrExOptions::Ttl::kSet;
    o->expire_at_ms = *at;
  }
  return true;
}

void ReplyIncrEx(ReplyWriter& reply, const IncrExReply& r) {
  reply.ArrayHeader(2);
  if (r.is_float) {
    reply.HumanLongDouble(r.value_float);
    reply.HumanLongDouble(r.applied_float);
  } else {
    reply.Integer(r.value_int);
    reply.Integer(r.applied_int);
  }
}

// INCREX key [BYINT n | BYFLOAT f] [LBOUND lo] [UBOUND hi] [SATURATE]
//        [EX s | PX ms | EXAT ts | PXAT ts-ms | PERSIST] [ENX] [IDMP id]
void IncrExCommand(CommandContext& ctx) {
  ArgParser p(ctx.args.subspan(2));
  IncrExArgs a = ScanIncrExArgs(p);
  IncrExOptions o;
  if (!ResolveIncrEx(ctx, p, a, &o)) return;
  Keyspace::RequestId request;
  if (a.has_idmp) {
    Config& config = ctx.server.config();
    request.id = a.idmp;
    request.window_ms = config.Int(Opt::kIdempotencyWindow) * 1000;
    request.max_ids = config.Int(Opt::kIdempotencyMaxIds);
  }
  ReplyWritten(ctx,
               ctx.keyspace().IncrEx(ctx.db(), ctx.args[1], o, a.has_idmp ? &request : nullptr),
               [&](const IncrExReply& r) {
                 if (r.is_float ? r.applied_float != 0 : r.applied_int != 0)
                   Notify(ctx, kNotifyString, r.is_float ? "incrbyfloat" : "incrby", ctx.args[1]);
                 ReplyIncrEx(ctx.reply, r);
               });
}

// redis-cell's parse_i64 (Rust's i64 parser: an optional sign, then digits).
std::optional<int64_t> ParseCellInt(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// CL.THROTTLE key max_burst count_per_period period [quantity]
// -> [limited, limit, remaining, retry_after_s, reset_after_s]
void ThrottleCommand(CommandContext& ctx) {
  if (ctx.args.size() != 5 && ctx.args.size() != 6) return ctx.reply.Error(errors::kThrottleUsage);
  int64_t v[4] = {0, 0, 0, 1};
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    auto n = ParseCellInt(ctx.args[i]);
    if (!n) return ctx.reply.Error(std::string(errors::kThrottleNotInteger).append(ctx.args[i]));
    v[i - 2] = *n;
  }
  const ThrottleParams params{v[0], v[1], v[2], v[3]};
  if (params.max_burst < 0 || params.count_per_period <= 0 || params.period_s <= 0 ||
      params.quantity < 0)
    return ctx.reply.Error(errors::kThrottleRange);
  auto r = ctx.keyspace().Throttle(ctx.db(), ctx.args[1], params);
  if (!r.ok() && r.status().code() == Status::Code::kOutOfRange)
    return ctx.reply.Error(errors::kThrottleRange);
  ReplyWritten(ctx, std::move(r), [&](const ThrottleOutcome& t) {
    ctx.reply.ArrayHeader(5);
    ctx.reply.Integer(t.limited ? 1 : 0);
    ctx.reply.Integer(t.limit);
    ctx.reply.Integer(t.remaining);
    ctx.reply.Integer(ThrottleSeconds(t.retry_after_ns));
    ctx.reply.Integer(ThrottleSeconds(t.reset_after_ns));
  });
}

// TALLY.HISTORY key [FROM ms] [TO ms] [COUNT n] -> [[timestamp_ms, value], ...], oldest first
void HistoryCommand(CommandContext& ctx) {
  ArgParser p(ctx.args.subspan(2));
  int64_t from = 0, to = std::numeric_limits<int64_t>::max(), count = 0;
  bool has_from = false, has_to = false, has_count = false;
  std::string_view v;
  while (p.HasNext()) {
    if (p.Check("FROM", &v, &has_from)) {
      from = ParseInt64Or(p, v, errors::kNotInteger).value_or(0);
    } else if (p.Check("TO", &v, &has_to)) {
      to = ParseInt64Or(p, v, errors::kNotInteger).value_or(0);
    } else if (p.Check("COUNT", &v, &has_count)) {
      count = ParseInt64Or(p, v, errors::kNotInteger).value_or(0);
      if (p.ok() && count <= 0) p.Fail(errors::kMustBePositive);
    } else {
      p.Fail();
    }
  }
  if (!p.ok()) return ctx.reply.Error(p.error());
  ReplyWritten(ctx,
               ctx.keyspace().History(ctx.db(), ctx.args[1], from, to, static_cast<size_t>(count)),
               [&](const std::vector<Keyspace::HistoryPoint>& points) {
                 ctx.reply.ArrayHeader(points.size());
                 for (const auto& point : points) {
                   ctx.reply.ArrayHeader(2);
                   ctx.reply.Integer(point.at_ms);
                   if (point.value) {
                     ctx.reply.Bulk(*point.value);
                   } else {
                     ctx.reply.Null();
                   }
                 }
               });
}

}  // namespace

void RegisterCounterCommands(CommandTable* table) {
  constexpr KeyPositions kKey1{1, 1, 1};
  table->Register(MakeCommand("increx", -2, kCmdWrite | kCmdDenyOom | kCmdFast, IncrExCommand,
                              "string",
                              "Increments the numeric value of a key by a number and sets its "
                              "expiration time. Uses 0 as initial value if the key doesn't exist.",
                              "8.8.0", kKey1));
  table->Register(MakeCommand("cl.throttle", -1, kCmdWrite | kCmdDenyOom, ThrottleCommand, "string",
                              "Rate limiting (redis-cell's GCRA): whether an action is allowed "
                              "and the limiter's state.",
                              "0.1.0", kKey1));
  table->Register(MakeCommand("tally.history", -2, kCmdReadonly, HistoryCommand, "string",
                              "The values a key had over time (keys matching history-keys), "
                              "oldest first.",
                              "0.1.0", kKey1));
}

}  // namespace tally
