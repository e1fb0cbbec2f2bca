// SlowLog: Redis's slow log. Commands whose execution took at least slowlog-log-slower-than
// microseconds are kept, newest first, up to slowlog-max-len entries, as Redis 7 keeps them: at
// most 32 arguments (the last one then says how many more there were), each at most 128 bytes
// (then "... (N more bytes)"), with the client's address and name.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tally/util/thread_annotations.h"

namespace tally {

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t time = 0;  // unix seconds
  int64_t duration_us = 0;
  std::vector<std::string> args;
  std::string client_addr;
  std::string client_name;
};

class SlowLog {
 public:
  // Records a command, dropping the oldest entries past `max_len`.
  void Add(std::span<const std::string_view> args, int64_t duration_us, std::string client_addr,
           std::string client_name, size_t max_len);
  // The newest `count` entries (all if count < 0), newest first.
  std::vector<SlowLogEntry> Get(int64_t count) const;
  size_t Len() const;
  void Reset();

 private:
  mutable Mutex mu_;
  std::deque<SlowLogEntry> entries_ GUARDED_BY(mu_);  // newest first
  uint64_t next_id_ GUARDED_BY(mu_) = 0;
};

}  // namespace tally
