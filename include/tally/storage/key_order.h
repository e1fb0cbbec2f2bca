// The order a batch's records are written to RocksDB in: by (database, key), bytewise, which is
// the order of their RocksDB keys (a database byte, then the key).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tally/storage/types.h"

namespace tally {

// Sorts `order`, indexes into `records`, by (records[i].db, records[i].key), keys compared as
// unsigned bytes (memcmp, RocksDB's bytewise comparator). Equal keys keep no particular order.
//
// A batch's keys usually share a prefix ("user:", or redis-benchmark's "key:000000"), so the
// sort skips the prefix all of them share and orders fixed-width integers (the database and the
// next seven bytes) held next to the indexes; whole keys are compared only where those tie.
// Comparing the keys themselves through the records was the applier's largest cost after the
// memtable insert (a cache miss per key per comparison).
void SortByKey(std::span<const Record> records, std::vector<uint32_t>* order);

}  // namespace tally
