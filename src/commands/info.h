// The INFO reply text (Redis 7's layout: "# Section" headers, "key:value" lines, CRLF, one blank
// line between sections). Used by INFO only.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tally/commands/server_context.h"

namespace tally {

class CommandTable;

// `sections` are INFO's arguments (none: the default sections; "all"/"everything": all).
// An unknown section contributes nothing, as in Redis.
// `table` (may be null) gives the commandstats section. `keyspace` is the view the command runs
// in (inside MULTI or a script: the transaction's, whose thread holds every shard).
std::string BuildInfo(ServerContext& server, Keyspace& keyspace, const CommandTable* table,
                      std::span<const std::string_view> sections);

}  // namespace tally
