// Reading and checking one segment file of the write-ahead log (Log's recovery and ReadFrom).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tally/storage/types.h"
#include "tally/util/function_ref.h"
#include "tally/util/status.h"

namespace rocksdb {
class FileSystem;
}

namespace tally::logseg {

// The file name of the segment whose first LSN is `first`, and back (0 if not a segment name).
std::string Name(Lsn first);
Lsn ParseName(std::string_view name);

Status ReadFile(rocksdb::FileSystem* fs, const std::string& path, std::string* out);

// What a scan of a segment's bytes found.
struct Scan {
  size_t valid_bytes = 0;  // the prefix made of whole, intact frames
  Lsn first = 0;           // first and last LSN in that prefix (0 if none)
  Lsn last = 0;
  bool torn = false;  // bytes after the valid prefix that are a torn tail
};

// Walks the frames of `data`, calling fn(payload, &last) for each intact one in order (fn sets
// the frame's last LSN). A bad or cut frame after which no intact frame follows is a torn tail
// (scan.torn). A bad frame followed by an intact one, or LSNs that do not follow on, is
// Corruption naming `path` and the offset.
using FrameFn = FunctionRef<Status(std::string_view payload, Lsn* last)>;
StatusOr<Scan> ScanFrames(std::string_view data, const std::string& path, FrameFn fn);

}  // namespace tally::logseg
