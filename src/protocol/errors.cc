#include "tally/protocol/errors.h"

namespace tally::errors {

std::string FillArgs(std::string_view text, std::initializer_list<std::string_view> args) {
  std::string out;
  out.reserve(text.size() + 32);
  auto arg = args.begin();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t hole = text.find("%s", pos);
    if (hole == std::string_view::npos || arg == args.end()) break;
    out.append(text, pos, hole - pos);
    out.append(*arg++);
    pos = hole + 2;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace tally::errors
