// RdbReader: reads a Redis RDB file (format versions 1 to 11: Redis up to 7.2) and hands every
// string and list key to a visitor with its exact bytes, database and expiry (lists in every
// encoding: linked list, ziplist, quicklist of ziplists, quicklist of listpacks and plain
// nodes); keys of other types (sets, sorted sets, hashes, streams, module values, in every
// encoding) are read past and reported by type, as are function libraries. The trailing CRC64 is
// checked (unless the file was written with rdbchecksum off). Damaged or truncated input is a
// kCorruption status naming the offset; nothing is trusted to size an allocation beyond what the
// file can back.
//
// Layout followed: Redis's rdb.h and rdb.c (rdbLoadLen, rdbGenericLoadStringObject,
// rdbLoadObject), LZF as lzf_d.c decodes it, CRC64 Jones as crc64.c computes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tally/util/status.h"

namespace tally {

class RdbVisitor {
 public:
  virtual ~RdbVisitor() = default;
  // A string key; `expire_at_ms` is 0 without a TTL. A non-OK status stops the read.
  virtual Status OnString(uint64_t db, std::string_view key, std::string_view value,
                          int64_t expire_at_ms) = 0;
  // A list key: its elements, head first (integers Redis packed as such in decimal, as Redis
  // returns them). The visitor may take the elements. A non-OK status stops the read.
  virtual Status OnList(uint64_t db, std::string_view key, std::vector<std::string>* items,
                        int64_t expire_at_ms) = 0;
  // A key of another type ("set", "zset", "hash", "stream", "module").
  virtual void OnOtherType(uint64_t db, std::string_view key, const char* type) = 0;
  // A function library (Redis 7's FUNCTION LOAD), which Tally does not run.
  virtual void OnFunction() {}
};

// Reads the RDB file at `path`, calling `visitor` for each key in file order.
Status ReadRdbFile(const std::string& path, RdbVisitor& visitor);
// The same over bytes in memory (tests, fuzzing).
Status ReadRdb(std::string_view bytes, RdbVisitor& visitor);

// Redis's CRC64 (Jones polynomial, reflected): crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
uint64_t Crc64(uint64_t crc, std::string_view bytes);
// LZF decompression into exactly `out_len` bytes; false if `in` is not valid LZF for that size.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);
// The packed containers Redis keeps list elements in: listpacks (Redis 7's quicklist nodes,
// listpack.c) and ziplists (Redis 3.2 to 6.2, ziplist.c). Each appends the container's
// elements to *out, integers formatted in decimal as Redis returns them; Corruption if the
// bytes are not a well-formed container (src/rdb/rdb_packed.cc).
Status DecodeListpack(std::string_view blob, std::vector<std::string>* out);
Status DecodeZiplist(std::string_view blob, std::vector<std::string>* out);

}  // namespace tally
