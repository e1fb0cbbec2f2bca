// ArgParser: walks a command's arguments once, for commands with options (INCREX, CL.THROTTLE,
// TALLY.HISTORY, TALLY.ALERT ...), modelled on Dragonfly's CmdArgParser.
//
// A handler asks for what it expects next; the first failure is remembered (later calls return
// defaults and change nothing) and the handler replies with error() once, at the end:
//
//   ArgParser p(ctx.args.subspan(2));
//   while (p.HasNext()) {
//     if (p.Check("LBOUND", &seen_lbound)) lo = p.Next();
//     else if (p.Check("SATURATE", &saturate)) {}
//     else p.Fail();                                   // unknown option: syntax error
//   }
//   if (!p.ok()) return ctx.reply.Error(p.error());
//
// Not thread-safe; it only views the arguments, which must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tally/protocol/errors.h"

namespace tally {

class ArgParser {
 public:
  explicit ArgParser(std::span<const std::string_view> args) : args_(args) {}

  bool HasNext() const { return ok() && pos_ < args_.size(); }
  bool ok() const { return error_ == nullptr; }
  // The first error (an errors.h text); nullptr while ok().
  const char* error() const { return error_; }
  // Arguments not yet consumed.
  size_t remaining() const { return args_.size() - pos_; }

  // If the next argument is `tag` (any case), consumes it and returns true.
  bool Check(std::string_view tag);
  // The same for an option that may appear once: a repeat is a syntax error. Sets *seen.
  bool Check(std::string_view tag, bool* seen);
  // The same for an option with a value: consumes the value too and returns it through *value;
  // a missing value is a syntax error.
  bool Check(std::string_view tag, std::string_view* value, bool* seen = nullptr);

  // The next argument; a syntax error if there is none.
  std::string_view Next();
  // The next argument as an integer (Redis's string2ll rules); `error` if it is not one.
  int64_t NextInt64(const char* error = errors::kNotInteger);
  // The same, also failing with `error` outside [min, max].
  int64_t NextInt64InRange(int64_t min, int64_t max, const char* error);

  // Records `error` (a syntax error by default) unless an earlier one is recorded.
  void Fail(const char* error = errors::kSyntax);

 private:
  std::span<const std::string_view> args_;
  size_t pos_ = 0;
  const char* error_ = nullptr;
};

// Parses `text` as an integer or fails `parser` with `error`; for values taken with Check().
std::optional<int64_t> ParseInt64Or(ArgParser& parser, std::string_view text, const char* error);

}  // namespace tally
