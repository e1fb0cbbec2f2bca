// WAL damage check, run before RocksDB opens: tells a torn tail (the last write of a crash, never
// acknowledged, which recovery may drop) from damage in the middle of a log (records after it
// are intact and were acknowledged, so recovery must not skip them). RocksDB's
// kPointInTimeRecovery drops both; kTolerateCorruptedTailRecords refuses both when a torn
// sector leaves a whole-length record. Store::Open runs this check, then opens with
// kPointInTimeRecovery, so a torn tail is dropped and middle damage refuses to start.
//
// It reads RocksDB's log format (db/log_format.h): 32 KiB blocks of records, each with a masked
// CRC32C, a length and a type; a damaged record followed by a valid one is middle damage.
#pragma once

#include <string>

#include "tally/util/status.h"

namespace tally {

// Checks every WAL file (*.log) in the RocksDB directory `dir`. Corruption, naming the file and
// offset, if any log has a damaged record followed by an intact one. OK otherwise, including
// when `dir` does not exist yet.
Status CheckWalFiles(const std::string& dir);

// Masked CRC32C, as RocksDB's log writer stores it (exposed for tests).
uint32_t MaskedCrc32c(const char* data, size_t n);

}  // namespace tally
