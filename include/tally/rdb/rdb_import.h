// Migration from Redis: `tallyd --import-rdb dump.rdb --dir DIR` loads an RDB file (as Redis 6.0
// to 7.2 write them: SAVE, BGSAVE, redis-cli --rdb) into an empty data directory and exits.
// Every string and list key goes in with its exact bytes and TTL, in its database; keys whose TTL
// has already passed are left out (as Redis leaves them out when it loads); keys of the types Tally
// does not have are counted by type in the report, never passed over silently.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tally/storage/types.h"
#include "tally/util/config.h"
#include "tally/util/status.h"

namespace tally {

struct RdbImportReport {
  uint64_t strings = 0;                          // string keys imported
  uint64_t lists = 0;                            // list keys imported
  uint64_t expired = 0;                          // keys already expired: not imported
  std::map<std::string, uint64_t> not_imported;  // keys of other types, by type
  uint64_t functions = 0;                        // function libraries (not imported)
  Lsn lsn = 0;                                   // the store's LSN after the import
};

// Loads `rdb_path` into the data directory config's `dir` names, which must be empty or not
// exist; it is left as it was found if the file turns out to be damaged. An RDB database
// number past `databases` is an error, as in Redis.
StatusOr<RdbImportReport> ImportRdb(const std::string& rdb_path, const Config& config);

// The report as printed: one line each for strings, lists, expired keys, each other type,
// functions.
std::string FormatReport(const RdbImportReport& report);

}  // namespace tally
