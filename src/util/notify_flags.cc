#include "tally/util/notify_flags.h"

namespace tally {
namespace {

constexpr std::pair<char, uint32_t> kClasses[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew}};

}  // namespace

std::optional<uint32_t> ParseNotifyFlags(std::string_view classes) {
  uint32_t flags = 0;
  for (char c : classes) {
    uint32_t bit = 0;
    switch (c) {
      case 'A':
        bit = kNotifyAll;
        break;
      case 'K':
        bit = kNotifyKeyspace;
        break;
      case 'E':
        bit = kNotifyKeyevent;
        break;
      case 'm':
        bit = kNotifyKeyMiss;
        break;
      default:
        for (auto [letter, b] : kClasses)
          if (letter == c) bit = b;
    }
    if (bit == 0) return std::nullopt;
    flags |= bit;
  }
  return flags;
}

std::string FormatNotifyFlags(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out.push_back('A');
  } else {
    for (auto [letter, bit] : kClasses)
      if (flags & bit) out.push_back(letter);
  }
  if (flags & kNotifyKeyspace) out.push_back('K');
  if (flags & kNotifyKeyevent) out.push_back('E');
  if (flags & kNotifyKeyMiss) out.push_back('m');
  return out;
}

}  // namespace tally
