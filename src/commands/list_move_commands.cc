// LPOS, LMOVE, RPOPLPUSH and LMPOP (Redis 7.0 t_list.c lposCommand, lmoveGenericCommand,
// lmpopGenericCommand).
#include <limits>

#include "list_edit.h"
#include "tally/commands/arg_parser.h"
#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

struct LposArgs {
  int64_t rank = 1;
  int64_t count = -1;  // -1: no COUNT (reply one index, not an array)
  int64_t maxlen = 0;  // 0: the whole list
};

// LPOS's options, checked in order, before the key is looked up.
std::optional<LposArgs> ParseLpos(CommandContext& ctx) {
  LposArgs a;
  ArgParser p(ctx.args.subspan(3));
  std::string_view value;
  while (p.HasNext()) {
    if (p.Check("RANK", &value)) {
      auto rank = ParseInt64Or(p, value, errors::kNotInteger);
      if (rank && *rank == 0) p.Fail(errors::kRankZero);
      if (rank) a.rank = *rank;
    } else if (p.Check("COUNT", &value)) {
      auto count = ParseInt64Or(p, value, errors::kNotInteger);
      if (count && *count < 0) p.Fail(errors::kCountNegative);
      if (count) a.count = *count;
    } else if (p.Check("MAXLEN", &value)) {
      auto maxlen = ParseInt64Or(p, value, errors::kNotInteger);
      if (maxlen && *maxlen < 0) p.Fail(errors::kMaxlenNegative);
      if (maxlen) a.maxlen = *maxlen;
    } else {
      p.Fail();
    }
  }
  if (!p.ok()) {
    ctx.reply.Error(p.error());
    return std::nullopt;
  }
  return a;
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the indexes of matches,
// scanning from the head (from the tail for a negative rank), skipping the first rank-1.
void LPosCommand(CommandContext& ctx) {
  auto a = ParseLpos(ctx);
  if (!a) return;
  // Redis negates a negative rank; LONG_MIN stays negative, so every match counts.
  const bool from_tail = a->rank < 0;
  const int64_t rank = !from_tail                                       ? a->rank
                       : a->rank == std::numeric_limits<int64_t>::min() ? a->rank
                                                                        : -a->rank;
  std::vector<int64_t> found;
  bool exists = false;
  if (!EditLists(ctx, ctx.args.subspan(1, 1), [&](Lists lists) -> Status {
        const ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        exists = l.exists;
        const size_t n = l.items.size();
        int64_t matches = 0;
        for (size_t k = 0; k < n && (a->maxlen == 0 || static_cast<int64_t>(k) < a->maxlen); ++k) {
          const size_t i = from_tail ? n - 1 - k : k;
          if (l.items[i] != ctx.args[2] || ++matches < rank) continue;
          found.push_back(static_cast<int64_t>(i));
          if (a->count == -1 || (a->count != 0 && matches - rank + 1 >= a->count)) break;
        }
        return Status::OK();
      }))
    return;
  if (!exists) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  if (a->count != -1) {
    ctx.reply.ArrayHeader(found.size());
    for (int64_t i : found) ctx.reply.Integer(i);
  } else if (found.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Integer(found[0]);
  }
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: a missing or empty source replies nil before
// the destination's type is looked at.
void Move(CommandContext& ctx, bool from_head, bool to_head) {
  std::optional<std::string> moved;
  bool source_deleted = false;
  if (!EditLists(ctx, ctx.args.subspan(1, 2), [&](Lists lists) -> Status {
        ListEdit& src = *lists[0];
        ListEdit& dst = *lists[1];
        if (src.wrong_type) return Status::WrongType();
        if (src.items.empty()) return Status::OK();
        if (dst.wrong_type) return Status::WrongType();
        moved = std::move(PopFrom(src, from_head, 1)[0]);
        if (to_head) {
          dst.items.insert(dst.items.begin(), *moved);
        } else {
          dst.items.push_back(*moved);
        }
        dst.changed = true;
        source_deleted = src.items.empty();
        return Status::OK();
      }))
    return;
  if (!moved) return ctx.reply.Null();
  Notify(ctx, kNotifyList, to_head ? "lpush" : "rpush", ctx.args[2]);
  Notify(ctx, kNotifyList, from_head ? "lpop" : "rpop", ctx.args[1]);
  if (source_deleted) Notify(ctx, kNotifyGeneric, "del", ctx.args[1]);
  ctx.reply.Bulk(*moved);
}

void LMoveCommand(CommandContext& ctx) {
  auto from = WhereArg(ctx, ctx.args[3]);
  if (!from) return;
  auto to = WhereArg(ctx, ctx.args[4]);
  if (!to) return;
  Move(ctx, *from, *to);
}

void RPopLPushCommand(CommandContext& ctx) { Move(ctx, false, true); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops from the first non-empty list
// (a key of another type met before it is WRONGTYPE); [key, [elements]] or a null array.
void LMPopCommand(CommandContext& ctx) {
  auto numkeys = ParseInt64(ctx.args[1]);
  if (!numkeys || *numkeys <= 0) return ctx.reply.Error(errors::kNumkeysPositive);
  if (static_cast<uint64_t>(*numkeys) > ctx.args.size() - 3)
    return ctx.reply.Error(errors::kSyntax);
  const size_t where_at = 2 + static_cast<size_t>(*numkeys);
  auto head = WhereArg(ctx, ctx.args[where_at]);
  if (!head) return;
  int64_t count = -1;
  for (size_t j = where_at + 1; j < ctx.args.size(); ++j) {
    if (count != -1 || !EqualsIgnoreCase(ctx.args[j], "count") || j + 1 >= ctx.args.size())
      return ctx.reply.Error(errors::kSyntax);
    auto n = ParseInt64(ctx.args[++j]);
    if (!n || *n <= 0) return ctx.reply.Error(errors::kCountPositive);
    count = *n;
  }
  size_t from = 0;
  std::vector<std::string> popped;
  bool deleted = false;
  if (!EditLists(ctx, ctx.args.subspan(2, where_at - 2), [&](Lists lists) -> Status {
        for (size_t i = 0; i < lists.size(); ++i) {
          if (lists[i]->wrong_type) return Status::WrongType();
          if (lists[i]->items.empty()) continue;
          from = i;
          popped = PopFrom(*lists[i], *head, static_cast<size_t>(std::max<int64_t>(count, 1)));
          deleted = lists[i]->items.empty();
          return Status::OK();
        }
        return Status::OK();
      }))
    return;
  if (popped.empty()) return ctx.reply.NullArray();
  const std::string_view key = ctx.args[2 + from];
  Notify(ctx, kNotifyList, *head ? "lpop" : "rpop", key);
  if (deleted) Notify(ctx, kNotifyGeneric, "del", key);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(key);
  ctx.reply.ArrayHeader(popped.size());
  for (const std::string& e : popped) ctx.reply.Bulk(e);
}

}  // namespace

void RegisterListMoveCommands(CommandTable* t) {
  t->Register(MakeCommand("lpos", -3, kCmdReadonly, LPosCommand, "list",
                          "Return the index of matching elements on a list", "6.0.6", {1, 1, 1}));
  t->Register(MakeCommand("lmove", 5, kCmdWrite | kCmdDenyOom, LMoveCommand, "list",
                          "Pop an element from a list, push it to another list and return it",
                          "6.2.0", {1, 2, 1}));
  t->Register(
      MakeCommand("rpoplpush", 3, kCmdWrite | kCmdDenyOom, RPopLPushCommand, "list",
                  "Remove the last element in a list, prepend it to another list and return it",
                  "1.2.0", {1, 2, 1}));
  CommandSpec lmpop = MakeCommand("lmpop", -4, kCmdWrite, LMPopCommand, "list",
                                  "Pop elements from a list", "7.0.0");
  lmpop.numkeys_at = 1;
  t->Register(std::move(lmpop));
}

}  // namespace tally
