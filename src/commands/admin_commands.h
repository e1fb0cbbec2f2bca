// Smaller Redis 7.0 commands that live in other families' containers (admin_commands.cc):
// CLIENT KILL NO-EVICT REPLY UNPAUSE and COMMAND GETKEYS.
#pragma once

#include "tally/commands/command_table.h"

namespace tally {

void ClientKillCommand(CommandContext& ctx);
void ClientNoEvictCommand(CommandContext& ctx);
void ClientReplyCommand(CommandContext& ctx);
void ClientPauseCommand(CommandContext& ctx);
void ClientUnpauseCommand(CommandContext& ctx);
void CommandGetKeysCommand(CommandContext& ctx);
// One line of CLIENT LIST / CLIENT INFO, in Redis 7's field order (connection_commands.cc);
// `current_command` (or the session's last one) is its cmd= field.
std::string ClientLine(const Session& s, const char* current_command);

}  // namespace tally
