#include "tally/commands/client_pause.h"

#include <string_view>

#include "tally/commands/command_table.h"
#include "tally/util/clock.h"

namespace tally {
namespace {

// CMD_MAY_REPLICATE in Redis 7.0's command table (among the commands tallyd has).
bool MayReplicate(std::string_view name) {
  for (const char* n :
       {"eval", "evalsha", "fcall", "publish", "spublish", "function|delete", "function|flush",
        "function|load", "function|restore", "script|flush", "script|load"}) {
    if (name == n) return true;
  }
  return false;
}

bool MayWrite(const CommandSpec& spec, const Session& session, const CommandTable& table) {
  if ((spec.flags & kCmdWrite) || MayReplicate(spec.name)) return true;
  if (spec.name != "exec") return false;
  for (const auto& queued : session.queued) {
    std::vector<std::string_view> args(queued.begin(), queued.end());
    const CommandSpec* q = table.Lookup(args);
    if (q != nullptr && ((q->flags & kCmdWrite) || MayReplicate(q->name))) return true;
  }
  return false;
}

}  // namespace

void ClientPause::Pause(int64_t now_ms, int64_t until_ms, bool all) {
  MutexLock lock(&mu_);
  const bool running = active(now_ms);  // an ended pause leaves nothing behind
  all_.store(all || (running && all_.load()));
  if (!running || until_ms > until_ms_.load()) until_ms_.store(until_ms);
}

void ClientPause::Unpause() {
  MutexLock lock(&mu_);
  until_ms_.store(0);
  all_.store(false);
}

bool ClientPause::active(int64_t now_ms) const {
  return now_ms < until_ms_.load(std::memory_order_relaxed);
}

bool ClientPause::active_now() const {
  const int64_t until = until_ms_.load(std::memory_order_relaxed);
  return until != 0 && NowMs() < until;
}

bool ClientPause::Blocks(const CommandSpec& spec, const Session& session, const CommandTable& table,
                         int64_t now_ms) const {
  if (!active(now_ms)) return false;
  return all_.load(std::memory_order_relaxed) || MayWrite(spec, session, table);
}

}  // namespace tally
