// libFuzzer target: the RESP parser must never crash, and must give the same commands (or the
// same error) whether the input arrives whole or split at arbitrary points (a fragmentation
// oracle: kvrocks #62 was a parser that broke only under TCP fragmentation).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tally/protocol/resp_parser.h"

namespace {

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  std::string error;
};

// Feeds `input` in chunks whose sizes come from `splits` (cycled); 0 = whole.
Outcome Feed(std::string_view input, const std::vector<size_t>& splits) {
  tally::RespParser::Limits limits;
  limits.max_bulk_len = 1 << 20;
  tally::RespParser parser(limits);
  Outcome out;
  std::string buf;
  std::vector<std::string_view> args;
  size_t fed = 0, k = 0;
  while (fed < input.size()) {
    size_t n = splits.empty() ? input.size() : std::max<size_t>(1, splits[k++ % splits.size()]);
    n = std::min(n, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
    while (!buf.empty()) {
      size_t consumed = 0;
      auto r = parser.Parse(buf, &consumed, &args);
      if (r == tally::RespParser::Result::kIncomplete) break;
      if (r == tally::RespParser::Result::kError) {
        out.error = parser.error();
        return out;
      }
      if (consumed == 0 || consumed > buf.size()) std::abort();
      out.commands.emplace_back(args.begin(), args.end());
      buf.erase(0, consumed);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first bytes choose the split sizes; the rest is the stream.
  size_t nsplits = data[0] % 8;
  if (size < 1 + nsplits) return 0;
  std::vector<size_t> splits;
  for (size_t i = 0; i < nsplits; ++i) splits.push_back(data[1 + i] % 64 + 1);
  std::string_view input(reinterpret_cast<const char*>(data) + 1 + nsplits, size - 1 - nsplits);
  Outcome whole = Feed(input, {});
  Outcome split = Feed(input, splits);
  // An error can surface at a different point only if the whole input had more after it; the
  // commands before it and the error text must agree.
  if (whole.commands != split.commands || whole.error != split.error) std::abort();
  return 0;
}
