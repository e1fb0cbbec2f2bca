// Basic storage types shared by the commit log, the store and the keyspace.
#pragma once

#include <climits>
#include <cstdint>
#include <string>

namespace tally {

// Log sequence number: every record gets the next one. 0 means "nothing to wait for".
using Lsn = uint64_t;
// A Redis database number (SELECT n), 0 .. databases-1 (databases is at most 252).
using DbIndex = uint8_t;
// Databases Tally keeps for itself, beyond SELECT's reach: kept by FLUSHALL, not counted in
// DBSIZE or INFO, expired like any other.
inline constexpr DbIndex kFirstSystemDb = 252;
inline constexpr DbIndex kFunctionDb = 252;     // FUNCTION libraries: name -> code
inline constexpr DbIndex kAlertDb = 253;        // TALLY.ALERT definitions (events.h)
inline constexpr DbIndex kHistoryDb = 254;      // TALLY.HISTORY samples (history.h)
inline constexpr DbIndex kIdempotencyDb = 255;  // IDMP request ids and their replies
inline constexpr int kDbSlots = 256;            // every DbIndex value

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

  // keys_delta of a put or delete written without reading the key first (SET, MSET: a blind
  // write costs no read on the reply path). Its changes to the counts depend on whether the key
  // existed, which the apply path finds out (Store::Write). expires_delta then says whether the
  // new value has an expiry (1) or not (0).
  static constexpr int8_t kUnknown = INT8_MIN;
  bool blind() const { return keys_delta == kUnknown; }
};

// What one record does to its database's key counts.
struct CountDelta {
  int8_t keys = 0;
  int8_t expires = 0;
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
