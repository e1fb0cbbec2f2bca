// The INFO reply text (Redis 7's layout: "# Section" headers, "key:value" lines, CRLF, one blank
// line between sections). Used by INFO only.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tally/commands/server_context.h"

namespace tally {

// `sections` are INFO's arguments (none: the default sections; "all"/"everything": all).
// An unknown section contributes nothing, as in Redis.
std::string BuildInfo(ServerContext& server, std::span<const std::string_view> sections);

}  // namespace tally
