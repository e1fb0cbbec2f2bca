// List commands (Redis 7.0 t_list.c): LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LRANGE
// LTRIM LSET LREM LINSERT (LPOS, LMOVE, RPOPLPUSH and LMPOP: list_move_commands.cc). Each parses
// its arguments in Redis's order, edits the key's list through Keyspace::EditLists (atomic, one
// group of records) and replies once the edit succeeded. The blocking forms (BLPOP ...) are not
// here: they reply Redis's unknown-command error.
#include <algorithm>
#include <limits>

#include "list_edit.h"
#include "tally/protocol/errors.h"
#include "tally/util/config.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {

bool EditLists(CommandContext& ctx, std::span<const std::string_view> keys, Keyspace::ListFn fn) {
  const auto max = static_cast<size_t>(ctx.server.config().Int(Opt::kProtoMaxBulkLen));
  auto r = ctx.keyspace().EditLists(ctx.db(), keys, fn, max);
  if (!r.ok()) {
    ReplyError(ctx.reply, r.status());
    return false;
  }
  ctx.WaitFor(*r);
  return true;
}

std::optional<bool> WhereArg(CommandContext& ctx, std::string_view arg) {
  if (EqualsIgnoreCase(arg, "left")) return true;
  if (EqualsIgnoreCase(arg, "right")) return false;
  ctx.reply.Error(errors::kSyntax);
  return std::nullopt;
}

namespace {

bool Edit(CommandContext& ctx, std::string_view key, Keyspace::ListFn fn) {
  return EditLists(ctx, std::span<const std::string_view>(&key, 1), fn);
}

// getLongFromObjectOrReply: replies Redis's error and returns nullopt if `arg` is no integer.
std::optional<int64_t> IntArg(CommandContext& ctx, std::string_view arg) {
  auto v = ParseInt64(arg);
  if (!v) ctx.reply.Error(errors::kNotInteger);
  return v;
}

// A negative index counts from the tail; nullopt if it lands outside the list.
std::optional<size_t> Position(const ListEdit& l, int64_t index) {
  const auto len = static_cast<int64_t>(l.items.size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) return std::nullopt;
  return static_cast<size_t>(index);
}

// LRANGE's and LTRIM's start and stop, parsed before the key is looked up.
std::optional<std::pair<int64_t, int64_t>> RangeArgs(CommandContext& ctx) {
  auto start = IntArg(ctx, ctx.args[2]);
  if (!start) return std::nullopt;
  auto end = IntArg(ctx, ctx.args[3]);
  if (!end) return std::nullopt;
  return std::pair{*start, *end};
}

// Clamps [start, end] as LRANGE and LTRIM do; empty (first > last) if nothing is in range.
std::pair<size_t, size_t> Range(size_t size, int64_t start, int64_t end) {
  const auto len = static_cast<int64_t>(size);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return {1, 0};
  if (end >= len) end = len - 1;
  return {static_cast<size_t>(start), static_cast<size_t>(end)};
}

// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...] (pushGenericCommand).
void Push(CommandContext& ctx, bool head, bool only_existing) {
  size_t length = 0;
  bool pushed = false;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        if (only_existing && !l.exists) return Status::OK();
        auto elements = ctx.args.subspan(2);
        if (head) {
          l.items.insert(l.items.begin(), elements.size(), std::string());
          for (size_t i = 0; i < elements.size(); ++i)
            l.items[elements.size() - 1 - i].assign(elements[i]);
        } else {
          for (std::string_view e : elements) l.items.emplace_back(e);
        }
        l.changed = pushed = true;
        length = l.items.size();
        return Status::OK();
      }))
    return;
  if (pushed) Notify(ctx, kNotifyList, head ? "lpush" : "rpush", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(length));
}
void LPushCommand(CommandContext& ctx) { Push(ctx, true, false); }
void RPushCommand(CommandContext& ctx) { Push(ctx, false, false); }
void LPushXCommand(CommandContext& ctx) { Push(ctx, true, true); }
void RPushXCommand(CommandContext& ctx) { Push(ctx, false, true); }

}  // namespace

std::vector<std::string> PopFrom(ListEdit& l, bool head, size_t count) {
  count = std::min(count, l.items.size());
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.push_back(std::move(head ? l.items[i] : l.items[l.items.size() - 1 - i]));
  if (head) {
    l.items.erase(l.items.begin(), l.items.begin() + static_cast<ptrdiff_t>(count));
  } else {
    l.items.resize(l.items.size() - count);
  }
  l.changed = count > 0;
  return out;
}

// LPOP/RPOP key [count] (popGenericCommand).
namespace {

void Pop(CommandContext& ctx, bool head) {
  if (ctx.args.size() > 3) return ReplyArityError(ctx.reply, head ? "lpop" : "rpop");
  std::optional<int64_t> count;
  if (ctx.args.size() == 3) {
    count = ParseInt64(ctx.args[2]);
    if (!count || *count < 0) return ctx.reply.Error(errors::kMustBePositive);
  }
  std::vector<std::string> popped;
  bool exists = false, deleted = false;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        exists = l.exists;
        popped = PopFrom(l, head, count ? static_cast<size_t>(*count) : 1);
        deleted = l.exists && l.items.empty();
        return Status::OK();
      }))
    return;
  if (!exists) return count ? ctx.reply.NullArray() : ctx.reply.Null();
  if (!popped.empty()) Notify(ctx, kNotifyList, head ? "lpop" : "rpop", ctx.args[1]);
  if (deleted) Notify(ctx, kNotifyGeneric, "del", ctx.args[1]);
  if (!count) return ctx.reply.Bulk(popped[0]);
  ctx.reply.ArrayHeader(popped.size());
  for (const std::string& e : popped) ctx.reply.Bulk(e);
}
void LPopCommand(CommandContext& ctx) { Pop(ctx, true); }
void RPopCommand(CommandContext& ctx) { Pop(ctx, false); }

void LLenCommand(CommandContext& ctx) {
  size_t length = 0;
  bool exists = false;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        if (lists[0]->wrong_type) return Status::WrongType();
        length = lists[0]->items.size();
        exists = lists[0]->exists;
        return Status::OK();
      }))
    return;
  if (!exists) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(length));
}

// LINDEX key index: the key is looked up before the index is parsed.
void LIndexCommand(CommandContext& ctx) {
  bool exists = false;
  std::optional<std::string> element;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        exists = l.exists;
        auto index = ParseInt64(ctx.args[2]);
        if (auto pos = index ? Position(l, *index) : std::nullopt)
          element = std::move(l.items[*pos]);
        return Status::OK();
      }))
    return;
  if (!exists) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  if (exists && !ParseInt64(ctx.args[2])) return ctx.reply.Error(errors::kNotInteger);
  if (!element) return ctx.reply.Null();
  ctx.reply.Bulk(*element);
}

void LRangeCommand(CommandContext& ctx) {
  auto range = RangeArgs(ctx);
  if (!range) return;
  std::vector<std::string> items;
  bool exists = false;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        exists = l.exists;
        auto [first, last] = Range(l.items.size(), range->first, range->second);
        for (size_t i = first; i <= last && first <= last; ++i)
          items.push_back(std::move(l.items[i]));
        return Status::OK();
      }))
    return;
  if (!exists) Notify(ctx, kNotifyKeyMiss, "keymiss", ctx.args[1]);
  ctx.reply.ArrayHeader(items.size());
  for (const std::string& e : items) ctx.reply.Bulk(e);
}

void LTrimCommand(CommandContext& ctx) {
  auto range = RangeArgs(ctx);
  if (!range) return;
  bool exists = false;
  bool deleted = false;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        exists = l.exists;
        auto [first, last] = Range(l.items.size(), range->first, range->second);
        const size_t before = l.items.size();
        if (first > last) {
          l.items.clear();
        } else {
          l.items.resize(last + 1);
          l.items.erase(l.items.begin(), l.items.begin() + static_cast<ptrdiff_t>(first));
        }
        l.changed = l.items.size() != before;
        deleted = l.exists && l.items.empty();
        return Status::OK();
      }))
    return;
  if (exists) Notify(ctx, kNotifyList, "ltrim", ctx.args[1]);
  if (deleted) Notify(ctx, kNotifyGeneric, "del", ctx.args[1]);
  ctx.reply.Ok();
}

// LSET key index element: "no such key" before the index is parsed.
void LSetCommand(CommandContext& ctx) {
  const char* error = nullptr;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        auto index = ParseInt64(ctx.args[2]);
        auto pos = index ? Position(l, *index) : std::nullopt;
        if (!l.exists) {
          error = errors::kNoSuchKey;
        } else if (!index) {
          error = errors::kNotInteger;
        } else if (!pos) {
          error = errors::kIndexOutOfRange;
        } else {
          l.items[*pos].assign(ctx.args[3]);
          l.changed = true;
        }
        return Status::OK();
      }))
    return;
  if (error != nullptr) return ctx.reply.Error(error);
  Notify(ctx, kNotifyList, "lset", ctx.args[1]);
  ctx.reply.Ok();
}

// LREM key count element: from the head for count > 0, from the tail for count < 0, all for 0.
void LRemCommand(CommandContext& ctx) {
  auto count = IntArg(ctx, ctx.args[2]);
  if (!count) return;
  int64_t removed = 0;
  bool deleted = false;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        // Redis negates a negative count; LONG_MIN stays negative, never reached: all go.
        const bool from_tail = *count < 0;
        const int64_t limit = *count == std::numeric_limits<int64_t>::min() ? 0
                              : from_tail                                   ? -*count
                                                                            : *count;
        std::vector<std::string>& v = l.items;
        std::vector<bool> drop(v.size(), false);
        for (size_t k = 0; k < v.size() && (limit == 0 || removed < limit); ++k) {
          const size_t i = from_tail ? v.size() - 1 - k : k;
          if (v[i] == ctx.args[3]) drop[i] = true, ++removed;
        }
        std::vector<std::string> kept;
        kept.reserve(v.size() - static_cast<size_t>(removed));
        for (size_t i = 0; i < v.size(); ++i)
          if (!drop[i]) kept.push_back(std::move(v[i]));
        v = std::move(kept);
        l.changed = removed > 0;
        deleted = l.exists && v.empty();
        return Status::OK();
      }))
    return;
  if (removed > 0) Notify(ctx, kNotifyList, "lrem", ctx.args[1]);
  if (deleted) Notify(ctx, kNotifyGeneric, "del", ctx.args[1]);
  ctx.reply.Integer(removed);
}

// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without the key.
void LInsertCommand(CommandContext& ctx) {
  bool after = false;
  if (EqualsIgnoreCase(ctx.args[2], "after")) {
    after = true;
  } else if (!EqualsIgnoreCase(ctx.args[2], "before")) {
    return ctx.reply.Error(errors::kSyntax);
  }
  int64_t result = 0;
  if (!Edit(ctx, ctx.args[1], [&](Lists lists) -> Status {
        ListEdit& l = *lists[0];
        if (l.wrong_type) return Status::WrongType();
        if (!l.exists) return Status::OK();
        auto it = std::find(l.items.begin(), l.items.end(), ctx.args[3]);
        if (it == l.items.end()) {
          result = -1;
          return Status::OK();
        }
        l.items.emplace(after ? it + 1 : it, ctx.args[4]);
        l.changed = true;
        result = static_cast<int64_t>(l.items.size());
        return Status::OK();
      }))
    return;
  if (result > 0) Notify(ctx, kNotifyList, "linsert", ctx.args[1]);
  ctx.reply.Integer(result);
}

}  // namespace

void RegisterListCommands(CommandTable* t) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  auto cmd = [](const char* name, int arity, uint32_t flags, CommandHandler handler,
                const char* summary, const char* since) {
    return MakeCommand(name, arity, flags, handler, "list", summary, since, {1, 1, 1});
  };
  t->Register(cmd("lpush", -3, kW | kCmdFast, LPushCommand,
                  "Prepend one or multiple elements to a list", "1.0.0"));
  t->Register(cmd("rpush", -3, kW | kCmdFast, RPushCommand,
                  "Append one or multiple elements to a list", "1.0.0"));
  t->Register(cmd("lpushx", -3, kW | kCmdFast, LPushXCommand,
                  "Prepend an element to a list, only if the list exists", "2.2.0"));
  t->Register(cmd("rpushx", -3, kW | kCmdFast, RPushXCommand,
                  "Append an element to a list, only if the list exists", "2.2.0"));
  t->Register(cmd("lpop", -2, kCmdWrite | kCmdFast, LPopCommand,
                  "Remove and get the first elements in a list", "1.0.0"));
  t->Register(cmd("rpop", -2, kCmdWrite | kCmdFast, RPopCommand,
                  "Remove and get the last elements in a list", "1.0.0"));
  t->Register(
      cmd("llen", 2, kCmdReadonly | kCmdFast, LLenCommand, "Get the length of a list", "1.0.0"));
  t->Register(cmd("lindex", 3, kCmdReadonly, LIndexCommand,
                  "Get an element from a list by its index", "1.0.0"));
  t->Register(cmd("lrange", 4, kCmdReadonly, LRangeCommand, "Get a range of elements from a list",
                  "1.0.0"));
  t->Register(
      cmd("ltrim", 4, kCmdWrite, LTrimCommand, "Trim a list to the specified range", "1.0.0"));
  t->Register(cmd("lset", 4, kW, LSetCommand, "Set the value of an element in a list by its index",
                  "1.0.0"));
  t->Register(cmd("lrem", 4, kCmdWrite, LRemCommand, "Remove elements from a list", "1.0.0"));
  t->Register(cmd("linsert", 5, kW, LInsertCommand,
                  "Insert an element before or after another element in a list", "2.2.0"));
  RegisterListMoveCommands(t);
}

}  // namespace tally
