// What the list command files (list_commands.cc, list_move_commands.cc) share.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tally/commands/command_table.h"
#include "tally/storage/keyspace.h"

namespace tally {

using ListEdit = Keyspace::ListEdit;
using Lists = std::span<ListEdit* const>;

// Runs `fn` over the lists at `keys` (Keyspace::EditLists, bounded by proto-max-bulk-len);
// false, with the error replied, if the edit failed. On success the reply waits for the edit's
// records.
bool EditLists(CommandContext& ctx, std::span<const std::string_view> keys, Keyspace::ListFn fn);
// LEFT or RIGHT (getListPositionFromObjectOrReply): true for the head; a syntax error replied
// and nullopt otherwise.
std::optional<bool> WhereArg(CommandContext& ctx, std::string_view arg);
// Removes up to `count` elements from one end of `l` (marking it changed if any); returns them
// in the order popped.
std::vector<std::string> PopFrom(ListEdit& l, bool head, size_t count);

// LPOS, LMOVE, RPOPLPUSH.
void RegisterListMoveCommands(CommandTable* t);

}  // namespace tally
