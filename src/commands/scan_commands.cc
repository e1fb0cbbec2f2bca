// Whole-keyspace commands (Redis 7 db.c): KEYS, SCAN, RANDOMKEY.
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

// parseScanCursorOrReply: strtoul, no leading space, no trailing bytes ("-1" is accepted).
std::optional<uint64_t> ParseCursor(std::string_view s) {
  std::string buf(s);
  if (buf.empty() || std::isspace(static_cast<unsigned char>(buf[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || end - buf.c_str() != static_cast<long>(buf.size()))
    return std::nullopt;
  return v;
}

void KeysCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().Scan(ctx.db(), "", 0);
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  std::string_view pattern = ctx.args[1];
  bool all = pattern == "*";
  std::vector<const std::string*> matched;
  for (const auto& k : r->value.keys)
    if (all || GlobMatch(pattern, k)) matched.push_back(&k);
  ctx.reply.ArrayHeader(matched.size());
  for (const std::string* k : matched) ctx.reply.Bulk(*k);
}

void ScanCommand(CommandContext& ctx) {
  auto cursor = ParseCursor(ctx.args[1]);
  if (!cursor) return ctx.reply.Error(errors::kInvalidCursor);
  int64_t count = 10;
  std::optional<std::string_view> pattern, type;
  for (size_t i = 2; i < ctx.args.size();) {
    size_t left = ctx.args.size() - i;
    if (EqualsIgnoreCase(ctx.args[i], "count") && left >= 2) {
      auto n = ParseInt64(ctx.args[i + 1]);
      if (!n) return ctx.reply.Error(errors::kNotInteger);
      if (*n < 1) return ctx.reply.Error(errors::kSyntax);
      count = *n;
    } else if (EqualsIgnoreCase(ctx.args[i], "match") && left >= 2) {
      pattern = ctx.args[i + 1];
      if (*pattern == "*") pattern.reset();
    } else if (EqualsIgnoreCase(ctx.args[i], "type") && left >= 2) {
      type = ctx.args[i + 1];
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
    i += 2;
  }
  std::string after = *cursor == 0 ? std::string() : ctx.keyspace().LoadCursor(*cursor);
  auto r = ctx.keyspace().Scan(ctx.db(), after, static_cast<size_t>(count));
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  const auto& keys = r->value.keys;
  uint64_t next = 0;
  if (!r->value.done && !keys.empty()) next = ctx.keyspace().SaveCursor(keys.back());
  std::vector<const std::string*> matched;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (type && !EqualsIgnoreCase(*type, TypeName(r->value.types[i]))) continue;
    if (!pattern || GlobMatch(*pattern, keys[i])) matched.push_back(&keys[i]);
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(matched.size());
  for (const std::string* k : matched) ctx.reply.Bulk(*k);
}

void RandomKeyCommand(CommandContext& ctx) {
  auto r = ctx.keyspace().RandomKey(ctx.db());
  if (!r.ok()) return ReplyError(ctx.reply, r.status());
  ctx.WaitFor(r->lsn);
  if (!r->value) return ctx.reply.Null();
  ctx.reply.Bulk(*r->value);
}

CommandSpec Cmd(const char* name, int arity, CommandHandler handler, const char* summary,
                const char* since) {
  return MakeCommand(name, arity, kCmdReadonly, handler, "generic", summary, since);
}

}  // namespace

void RegisterScanCommands(CommandTable* t) {
  t->Register(Cmd("keys", 2, KeysCommand, "Find all keys matching the given pattern", "1.0.0"));
  t->Register(Cmd("scan", -2, ScanCommand, "Incrementally iterate the keys space", "2.8.0"));
  t->Register(
      Cmd("randomkey", 1, RandomKeyCommand, "Return a random key from the keyspace", "1.0.0"));
}

}  // namespace tally
