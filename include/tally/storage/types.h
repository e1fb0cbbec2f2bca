// Basic storage types shared by the commit log, the store and the keyspace.
#pragma once

#include <cstdint>
#include <string>

namespace tally {

// Log sequence number: every record gets the next one. 0 means "nothing to wait for".
using Lsn = uint64_t;
// A Redis database number (SELECT n), 0 .. databases-1 (at most 255).
using DbIndex = uint8_t;

// A post-image record: the whole new state of one key (or a flush of a database), never a
// delta, so applying it twice is harmless.
struct Record {
  // kUnindexExpiry drops the expiry-index entry (db, value = 8-byte expiry, key) once active
  // expiry has dealt with it.
  enum class Kind : uint8_t { kPut, kDelete, kFlushDb, kFlushAll, kUnindexExpiry };
  Kind kind = Kind::kPut;
  DbIndex db = 0;
  Lsn lsn = 0;
  std::string key;    // user key (not prefixed)
  std::string value;  // encoded value (value_codec), for kPut
  // Changes to the database's key and volatile-key counts that this record makes.
  int8_t keys_delta = 0;
  int8_t expires_delta = 0;
};

// The result of a keyspace operation and the LSN its reply must wait for (0: nothing).
template <typename T>
struct Written {
  T value;
  Lsn lsn = 0;
};

// Per-database key counts (what DBSIZE and INFO Keyspace report).
struct KeyCounts {
  int64_t keys = 0;
  int64_t expires = 0;
};

}  // namespace tally
