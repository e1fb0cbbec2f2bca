// FUNCTION DUMP / RESTORE payloads in Redis 7.0's format (function_dump.cc).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tally {

// The payload of these libraries' code.
std::string DumpFunctionLibraries(std::span<const std::string> codes);
// The libraries' code in a payload; false with Redis's error text.
bool ParseFunctionDump(std::string_view payload, std::vector<std::string>* codes,
                       std::string* error);

}  // namespace tally
