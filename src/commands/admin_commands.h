// Smaller Redis 7.0 commands that live in other families' containers (admin_commands.cc):
// CLIENT KILL NO-EVICT REPLY UNPAUSE and COMMAND GETKEYS.
#pragma once

#include "tally/commands/command_table.h"

namespace tally {

void ClientKillCommand(CommandContext& ctx);
void ClientNoEvictCommand(CommandContext& ctx);
void ClientReplyCommand(CommandContext& ctx);
void ClientUnpauseCommand(CommandContext& ctx);
void CommandGetKeysCommand(CommandContext& ctx);

}  // namespace tally
