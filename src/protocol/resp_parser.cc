#include "tally/protocol/resp_parser.h"

#include <cctype>
#include <climits>

#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Like strchr on Redis's NUL-terminated query buffer: finds `ch` at or after `from`, but a NUL
// byte before it ends the search (returns kNpos), exactly as Redis's lookup does.
size_t FindStop(std::string_view s, size_t from, char ch) {
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] == ch) return i;
    if (s[i] == '\0') return kNpos;
  }
  return kNpos;
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool EndsToken(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

}  // namespace

RespParser::Result RespParser::Fail(std::string error) {
  error_ = std::move(error);
  Reset();
  return Result::kError;
}

void RespParser::Reset() {
  in_multibulk_ = false;
  remaining_args_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  arg_spans_.clear();
}

size_t RespParser::bytes_hint() const {
  if (in_multibulk_ && bulk_len_ >= 0) return pos_ + static_cast<size_t>(bulk_len_) + 2;
  return 0;
}

RespParser::Result RespParser::Parse(std::string_view input, size_t* consumed,
                                     std::vector<std::string_view>* args) {
  *consumed = 0;
  args->clear();
  if (input.empty()) return Result::kIncomplete;
  if (in_multibulk_ || input[0] == '*') return ParseMultibulk(input, consumed, args);
  return ParseInline(input, consumed, args);
}

RespParser::Result RespParser::ParseInline(std::string_view input, size_t* consumed,
                                           std::vector<std::string_view>* args) {
  size_t nl = FindStop(input, 0, '\n');
  if (nl == kNpos) {
    if (input.size() > limits_.max_inline) return Fail(errors::kTooBigInline);
    return Result::kIncomplete;
  }
  size_t line_end = (nl > 0 && input[nl - 1] == '\r') ? nl - 1 : nl;
  std::string_view line = input.substr(0, line_end);
  if (line.find_first_of("\"'") != kNpos) {
    auto split = SplitArgs(line);
    if (!split) return Fail(errors::kUnbalancedQuotes);
    inline_args_ = std::move(*split);
    for (const auto& a : inline_args_) args->emplace_back(a);
  } else {
    // Fast path, zero-copy: the same tokens sdssplitargs would produce without quotes.
    size_t p = 0;
    while (true) {
      while (p < line.size() && IsSpace(line[p])) ++p;
      if (p >= line.size()) break;
      size_t start = p;
      while (p < line.size() && !EndsToken(line[p])) ++p;
      args->push_back(line.substr(start, p - start));
      if (p < line.size()) ++p;
    }
  }
  *consumed = nl + 1;
  return Result::kOk;
}

RespParser::Result RespParser::ParseMultibulk(std::string_view input, size_t* consumed,
                                              std::vector<std::string_view>* args) {
  if (!in_multibulk_) {
    size_t cr = FindStop(input, 0, '\r');
    if (cr == kNpos) {
      if (input.size() > limits_.max_inline) return Fail(errors::kTooBigMbulkCount);
      return Result::kIncomplete;
    }
    if (cr + 2 > input.size()) return Result::kIncomplete;  // the byte after '\r' is missing
    auto n = ParseInt64(input.substr(1, cr - 1));
    if (!n || *n > INT_MAX) return Fail(errors::kInvalidMbulkLength);
    if (*n > 10 && !authed_) return Fail(errors::kUnauthMbulkLength);
    pos_ = cr + 2;
    if (*n <= 0) {  // "*0" and negative counts are ignored, as Redis does
      *consumed = pos_;
      Reset();
      return Result::kOk;
    }
    in_multibulk_ = true;
    remaining_args_ = *n;
    bulk_len_ = -1;
    arg_spans_.clear();
    arg_spans_.reserve(static_cast<size_t>(std::min<int64_t>(*n, 1024)));
  }
  while (remaining_args_ > 0) {
    if (bulk_len_ < 0) {
      size_t cr = FindStop(input, pos_, '\r');
      if (cr == kNpos) {
        if (input.size() - pos_ > limits_.max_inline) return Fail(errors::kTooBigBulkCount);
        return Result::kIncomplete;
      }
      if (cr + 2 > input.size()) return Result::kIncomplete;
      if (input[pos_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + input[pos_] + "'");
      }
      auto n = ParseInt64(input.substr(pos_ + 1, cr - pos_ - 1));
      if (!n || *n < 0 || *n > limits_.max_bulk_len) return Fail(errors::kInvalidBulkLength);
      if (*n > 16384 && !authed_) return Fail(errors::kUnauthBulkLength);
      pos_ = cr + 2;
      bulk_len_ = *n;
    }
    // Redis does not check the two bytes after the data; it skips them, and so do we.
    if (input.size() - pos_ < static_cast<size_t>(bulk_len_) + 2) return Result::kIncomplete;
    arg_spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += static_cast<size_t>(bulk_len_) + 2;
    bulk_len_ = -1;
    --remaining_args_;
  }
  args->reserve(arg_spans_.size());
  for (auto [off, len] : arg_spans_) args->push_back(input.substr(off, len));
  *consumed = pos_;
  Reset();
  return Result::kOk;
}

}  // namespace tally
