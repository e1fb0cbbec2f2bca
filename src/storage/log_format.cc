#include "log_format.h"

#include <array>
#include <cstring>

namespace tally::logfmt {
namespace {

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;  // Castagnoli
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

void PutFixed32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 4);
}

void PutFixed64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 8);
}

void PutVarint32(std::string* out, uint32_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t GetFixed(std::string_view s, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(s[pos + i])} << (8 * i);
  return v;
}

bool GetVarint32(std::string_view s, size_t* pos, uint32_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 28 && *pos < s.size(); shift += 7) {
    auto byte = static_cast<uint8_t>(s[(*pos)++]);
    *v |= uint32_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool GetBytes(std::string_view s, size_t* pos, std::string* out) {
  uint32_t n;
  if (!GetVarint32(s, pos, &n) || s.size() - *pos < n) return false;
  out->assign(s.substr(*pos, n));
  *pos += n;
  return true;
}

}  // namespace

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes the same Castagnoli CRC eight bytes at a time.
static __attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const char* data,
                                                                 size_t n) {
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, data += 8) {
    uint64_t v;
    std::memcpy(&v, data, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++data) c32 = __builtin_ia32_crc32qi(c32, static_cast<uint8_t>(*data));
  return ~c32;
}
static const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

uint32_t Crc32cSoftware(uint32_t crc, const char* data, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i)
    crc = kTable[(crc ^ static_cast<uint8_t>(data[i])) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t Crc32c(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (kHaveSse42) return Crc32cHardware(crc, data, n);
#endif
  return Crc32cSoftware(crc, data, n);
}

void AppendFrame(std::span<const Record> records, std::string* out) {
  const size_t start = out->size();
  out->append(kFrameHeader, '\0');
  PutFixed64(out, records.empty() ? 0 : records.front().lsn);
  PutFixed32(out, static_cast<uint32_t>(records.size()));
  for (const Record& r : records) {
    out->push_back(static_cast<char>(r.kind));
    out->push_back(static_cast<char>(r.db));
    out->push_back(static_cast<char>(r.keys_delta));
    out->push_back(static_cast<char>(r.expires_delta));
    PutVarint32(out, static_cast<uint32_t>(r.key.size()));
    out->append(r.key);
    PutVarint32(out, static_cast<uint32_t>(r.value.size()));
    out->append(r.value);
  }
  const auto length = static_cast<uint32_t>(out->size() - start - kFrameHeader);
  char* header = out->data() + start;
  for (int i = 0; i < 4; ++i) header[4 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  uint32_t crc = Mask(Crc32c(0, header + 4, 4 + length));
  for (int i = 0; i < 4; ++i) header[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

FrameView ParseFrame(std::string_view data) {
  FrameView v;
  if (data.size() < kFrameHeader) {
    v.state = FrameState::kIncomplete;
    return v;
  }
  const auto crc = static_cast<uint32_t>(GetFixed(data, 0, 4));
  const auto length = static_cast<uint32_t>(GetFixed(data, 4, 4));
  if (length < 12 || length > kMaxPayload) return v;  // kBad (zeros land here too)
  if (data.size() - kFrameHeader < length) {
    v.state = FrameState::kIncomplete;
    return v;
  }
  if (Mask(Crc32c(0, data.data() + 4, 4 + length)) != crc) return v;
  v.state = FrameState::kOk;
  v.size = kFrameHeader + length;
  v.payload = data.substr(kFrameHeader, length);
  return v;
}

Lsn FirstLsn(std::string_view payload) { return payload.size() < 8 ? 0 : GetFixed(payload, 0, 8); }

uint32_t RecordCount(std::string_view payload) {
  return payload.size() < 12 ? 0 : static_cast<uint32_t>(GetFixed(payload, 8, 4));
}

Status DecodePayload(std::string_view payload, std::vector<Record>* out) {
  if (payload.size() < 12) return Status::Corruption("log frame too short");
  Lsn lsn = GetFixed(payload, 0, 8);
  const auto count = static_cast<uint32_t>(GetFixed(payload, 8, 4));
  size_t pos = 12;
  for (uint32_t i = 0; i < count; ++i) {
    if (payload.size() - pos < 4) return Status::Corruption("log record cut short");
    Record r;
    r.kind = static_cast<Record::Kind>(payload[pos]);
    if (static_cast<uint8_t>(r.kind) > static_cast<uint8_t>(Record::Kind::kUnindexExpiry))
      return Status::Corruption("unknown log record kind");
    r.db = static_cast<DbIndex>(payload[pos + 1]);
    r.keys_delta = static_cast<int8_t>(payload[pos + 2]);
    r.expires_delta = static_cast<int8_t>(payload[pos + 3]);
    pos += 4;
    if (!GetBytes(payload, &pos, &r.key) || !GetBytes(payload, &pos, &r.value))
      return Status::Corruption("log record cut short");
    r.lsn = lsn++;
    out->push_back(std::move(r));
  }
  if (pos != payload.size()) return Status::Corruption("trailing bytes in a log frame");
  return Status::OK();
}

}  // namespace tally::logfmt
