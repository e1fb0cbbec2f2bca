// The event classes of notify-keyspace-events (Redis 7.0's notify.c): which keyspace
// notifications are published, as a bit set parsed from and formatted to Redis's letters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

enum NotifyFlag : uint32_t {
  kNotifyKeyspace = 1 << 0,  // K: __keyspace@<db>__:<key>
  kNotifyKeyevent = 1 << 1,  // E: __keyevent@<db>__:<event>
  kNotifyGeneric = 1 << 2,   // g: DEL EXPIRE RENAME ...
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m (not part of A)
  kNotifyModule = 1 << 12,   // d
  kNotifyNew = 1 << 13,      // n (not part of A)
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// The flags of a class string such as "KEA" or "Kg$x"; nullopt on an unknown letter.
std::optional<uint32_t> ParseNotifyFlags(std::string_view classes);
// Redis's form: "A" for every class in A (then n is not shown, as in Redis), else the letters
// in the order g$lshzxetdn; then K, E, m.
std::string FormatNotifyFlags(uint32_t flags);

}  // namespace tally
