// Byte-string helpers shared by the protocol, the config parser and the commands.
// All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally {

// Redis sdssplitargs: splits a line into arguments, honouring "double quotes" (with \n \r \t
// \b \a \\ \" \xHH escapes) and 'single quotes' (with \' only). A closing quote must be
// followed by whitespace or the end. Returns nullopt on unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

// Redis stringmatchlen: glob match with * ? [abc] [^a] [a-z] and \ escapes.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// ASCII lower-case copy.
std::string ToLower(std::string_view s);

}  // namespace tally
