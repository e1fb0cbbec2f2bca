// The on-disk format of Tally's write-ahead log (see include/tally/storage/log.h).
//
// A segment file is a sequence of frames, one per group of records (a commit-log group: what
// one write + fsync made durable; MULTI/EXEC and multi-key commands are never split):
//
//   frame   := crc32c (4, masked, little-endian) | payload length (4, LE) | payload
//   payload := first LSN (8, LE) | record count (4, LE) | record*
//   record  := kind (1) | db (1) | keys_delta (1) | expires_delta (1)
//              | key length (varint32) | key | value length (varint32) | value
//
// The CRC covers the length field and the payload, so a torn length is caught too. Records
// have consecutive LSNs from the frame's first LSN.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tally/storage/types.h"
#include "tally/util/status.h"

namespace tally::logfmt {

constexpr size_t kFrameHeader = 8;
// A frame larger than this is damage, not data (a group is bounded far below it).
constexpr uint32_t kMaxPayload = 1u << 30;

// CRC32C (Castagnoli), with SSE4.2's crc32 instruction where the CPU has it.
uint32_t Crc32c(uint32_t crc, const char* data, size_t n);
// The same, one table look-up per byte (tests compare the two).
uint32_t Crc32cSoftware(uint32_t crc, const char* data, size_t n);
// As LevelDB does: a CRC stored next to the data it covers is masked, so that the CRC of a
// string containing embedded CRCs stays well distributed.
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

// Appends the frame for `records` (consecutive LSNs, in order) to `out`.
void AppendFrame(std::span<const Record> records, std::string* out);

// What a frame at the start of `data` is.
enum class FrameState { kOk, kIncomplete, kBad };
struct FrameView {
  FrameState state = FrameState::kBad;
  size_t size = 0;           // header + payload, for kOk
  std::string_view payload;  // for kOk
};
FrameView ParseFrame(std::string_view data);

// Decodes a frame's payload; Corruption if it does not parse (the CRC matched, so that is a
// bug or deliberate damage).
Status DecodePayload(std::string_view payload, std::vector<Record>* out);
// The first LSN of a payload (0 if too short), and how many records it holds.
Lsn FirstLsn(std::string_view payload);
uint32_t RecordCount(std::string_view payload);

}  // namespace tally::logfmt
