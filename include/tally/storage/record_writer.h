// RecordWriter: where the commit log sends each group of records. The Store implements it on
// RocksDB; unit tests of the commit log use small in-memory writers.
#pragma once

#include <span>

#include "tally/storage/types.h"
#include "tally/util/status.h"

namespace tally {

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Writes `records` (in LSN order) as one atomic batch. With `sync`, returns only once they are
  // on stable storage (write + fdatasync of the log); without, once the OS has them (a process
  // crash loses nothing, a power cut may). Called by one thread at a time.
  virtual Status Write(std::span<const Record> records, bool sync) = 0;
  // Makes everything written so far durable (for appendfsync everysec and shutdown).
  virtual Status Sync() = 0;
};

}  // namespace tally
