#include "tally/commands/arg_parser.h"

#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {

bool ArgParser::Check(std::string_view tag) {
  if (!HasNext() || !EqualsIgnoreCase(args_[pos_], tag)) return false;
  ++pos_;
  return true;
}

bool ArgParser::Check(std::string_view tag, bool* seen) {
  if (!Check(tag)) return false;
  if (*seen) Fail();
  *seen = true;
  return true;
}

bool ArgParser::Check(std::string_view tag, std::string_view* value, bool* seen) {
  if (!Check(tag)) return false;
  if (seen != nullptr) {
    if (*seen) Fail();
    *seen = true;
  }
  *value = Next();
  return true;
}

std::string_view ArgParser::Next() {
  if (!HasNext()) {
    Fail();
    return {};
  }
  return args_[pos_++];
}

int64_t ArgParser::NextInt64(const char* error) {
  if (!HasNext()) {
    Fail();
    return 0;
  }
  auto v = ParseInt64(args_[pos_++]);
  if (!v) {
    Fail(error);
    return 0;
  }
  return *v;
}

int64_t ArgParser::NextInt64InRange(int64_t min, int64_t max, const char* error) {
  int64_t v = NextInt64(error);
  if (ok() && (v < min || v > max)) Fail(error);
  return ok() ? v : 0;
}

void ArgParser::Fail(const char* error) {
  if (error_ == nullptr) error_ = error;
}

std::optional<int64_t> ParseInt64Or(ArgParser& parser, std::string_view text, const char* error) {
  auto v = ParseInt64(text);
  if (!v) parser.Fail(error);
  return v;
}

}  // namespace tally
