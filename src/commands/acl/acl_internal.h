// What the ACL files share inside src/commands/acl.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tally::acl {

// One command's line of the ACL table (acl_table.cc): its name, its categories ("@read @fast")
// and the access ("R", "W", "RW" or "") its first key and its other keys need.
struct CommandRow {
  const char* name;
  const char* categories;
  const char* first_key;
  const char* other_keys;
};
extern const CommandRow kCommandRows[];
extern const size_t kCommandRowCount;

// SHA-256 of `text` in lower-case hex (passwords are kept hashed, as in Redis).
std::string Sha256Hex(std::string_view text);

}  // namespace tally::acl
