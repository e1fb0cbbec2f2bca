// RespToJson: a RESP3 reply, as the command layer writes it, as JSON, type for type:
// simple and bulk strings -> strings (a bulk string that is not valid UTF-8 -> {"base64": ...}),
// integers -> numbers, null -> null, doubles -> numbers ("inf", "-inf", "nan" stay strings),
// booleans -> booleans, big numbers -> strings, verbatim strings -> their text, arrays, sets
// and pushes -> arrays, maps -> objects (arrays of [key, value] pairs if a key is not a string),
// attributes are dropped, and errors -> {"error": {"code": "WRONGTYPE", "message": "..."}}.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

struct JsonReply {
  nlohmann::json value;
  bool error = false;   // the reply is an error: code and message are set
  std::string code;     // "ERR", "WRONGTYPE", ...
  std::string message;  // the whole error text, as a Redis client shows it
};

// REQUIRES: `resp` holds one complete reply (what one command wrote).
JsonReply RespToJson(std::string_view resp);

// A byte string as JSON: a string if it is valid UTF-8, else {"base64": "..."}.
nlohmann::json TextJson(std::string_view s);

// Decodes standard base64 (padding optional); nullopt on a character outside the alphabet.
std::optional<std::string> Base64Decode(std::string_view in);

// Whether `s` is valid UTF-8 (JSON strings must be).
bool IsValidUtf8(std::string_view s);

}  // namespace tally
