#include "wal_check.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace tally {
namespace {

constexpr size_t kBlockSize = 32768;
constexpr size_t kHeaderSize = 7;             // crc (4) + length (2) + type (1)
constexpr size_t kRecyclableHeaderSize = 11;  // + log number (4)

const std::array<uint32_t, 256>& Crc32cTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t Crc32c(const char* data, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i)
    c = Crc32cTable()[(c ^ static_cast<uint8_t>(data[i])) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t Load32(const char* p) {
  return static_cast<uint32_t>(static_cast<uint8_t>(p[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 24;
}

// Whether a valid record starts at `pos`; sets *end past it.
bool ValidRecordAt(const std::string& log, size_t pos, size_t* end) {
  const size_t block_left = kBlockSize - pos % kBlockSize;
  if (block_left < kHeaderSize || pos + kHeaderSize > log.size()) return false;
  const char* h = log.data() + pos;
  const size_t length = static_cast<uint8_t>(h[4]) | (static_cast<uint8_t>(h[5]) << 8);
  const uint8_t type = static_cast<uint8_t>(h[6]);
  if (type == 0 || type > 10) return false;
  const size_t header = (type >= 5 && type <= 8) ? kRecyclableHeaderSize : kHeaderSize;
  if (header + length > block_left || pos + header + length > log.size()) return false;
  // The CRC covers the type byte, the recyclable log number if any, and the payload.
  if (MaskedCrc32c(h + 6, header - 6 + length) != Load32(h)) return false;
  *end = pos + header + length;
  return true;
}

// Offset of the first damaged record that has an intact record after it, or npos.
size_t FindMiddleDamage(const std::string& log, size_t* first_bad) {
  *first_bad = std::string::npos;
  size_t pos = 0;
  while (pos < log.size()) {
    const size_t block_left = kBlockSize - pos % kBlockSize;
    if (block_left < kHeaderSize) {  // zero-filled block trailer
      pos += block_left;
      continue;
    }
    size_t end = 0;
    if (ValidRecordAt(log, pos, &end)) {
      if (*first_bad != std::string::npos) return *first_bad;
      pos = end;
      continue;
    }
    // Zeros (a block trailer or preallocated space) end the records of this block.
    bool zeros =
        std::all_of(log.begin() + pos, log.begin() + std::min(log.size(), pos + kHeaderSize),
                    [](char c) { return c == 0; });
    if (!zeros && *first_bad == std::string::npos) {
      *first_bad = pos;
      // Damage: is any intact record left in this block after it? (A damaged payload keeps
      // its length; a damaged header does not, so try every offset.)
      const size_t block_end = std::min(log.size(), pos + block_left);
      for (size_t q = pos + 1; q + kHeaderSize <= block_end; ++q) {
        if (ValidRecordAt(log, q, &end)) return *first_bad;
      }
    }
    pos += block_left;  // the next block starts with a record header if more follow
  }
  return std::string::npos;
}

}  // namespace

uint32_t MaskedCrc32c(const char* data, size_t n) {
  uint32_t crc = Crc32c(data, n);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

Status CheckWalFiles(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return Status::OK();
  std::vector<std::filesystem::path> logs;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".log") logs.push_back(entry.path());
  std::sort(logs.begin(), logs.end());  // RocksDB numbers them with fixed-width names
  for (const auto& path : logs) {
    std::ifstream in(path, std::ios::binary);
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t first_bad = 0;
    size_t damage = FindMiddleDamage(log, &first_bad);
    // A damaged tail alone is what a crash leaves (in the newest log, or in an older one that
    // RocksDB has already recovered or will cut at its tail): only intact records after the
    // damage show it is in the middle.
    if (damage == std::string::npos) continue;
    return Status::Corruption("write-ahead log " + path.string() + " is damaged at offset " +
                              std::to_string(damage) + ", with intact records after it");
  }
  return Status::OK();
}

}  // namespace tally
