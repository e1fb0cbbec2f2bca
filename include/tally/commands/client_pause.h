// ClientPause: CLIENT PAUSE's state (Redis 7.0's pauseClients): until when commands wait, and
// whether all of them wait or only those that may write (WRITE mode). The RESP connection asks
// Blocks() before running a command and waits while it says so; active expiry stops too, so
// that no key changes during a WRITE pause.
//
// Thread-safety: any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "tally/util/thread_annotations.h"

namespace tally {

class CommandTable;
struct CommandSpec;
struct Session;

class ClientPause {
 public:
  // Pauses until `until_ms` (wall clock); the later end and the stronger mode (ALL over WRITE)
  // of this and a pause already running win, as in Redis.
  void Pause(int64_t now_ms, int64_t until_ms, bool all) LOCKS_EXCLUDED(mu_);
  void Unpause() LOCKS_EXCLUDED(mu_);
  // A pause is running at `now_ms`.
  bool active(int64_t now_ms) const;
  // A pause is running now; reads the clock only if a pause was ever set.
  bool active_now() const;
  // `spec`, run by `session`, must wait at `now_ms`: everything under ALL; under WRITE the
  // commands Redis flags write or may-replicate (EVAL, FCALL, PUBLISH, FUNCTION LOAD, ...) and
  // an EXEC with a write queued.
  bool Blocks(const CommandSpec& spec, const Session& session, const CommandTable& table,
              int64_t now_ms) const;

 private:
  Mutex mu_;  // serializes Pause and Unpause; readers use the atomics
  std::atomic<int64_t> until_ms_{0};
  std::atomic<bool> all_{false};
};

}  // namespace tally
