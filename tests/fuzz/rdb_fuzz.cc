// libFuzzer target: the RDB reader and the list containers (listpack, ziplist) on arbitrary
// bytes (seeded with RDB files Redis 7.0 wrote). Nothing may crash, hang, trip a sanitizer or
// allocate past what the input backs.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tally/rdb/rdb_reader.h"

namespace {
struct Sink : tally::RdbVisitor {
  tally::Status OnString(uint64_t, std::string_view, std::string_view, int64_t) override {
    return tally::Status::OK();
  }
  tally::Status OnList(uint64_t, std::string_view, std::vector<std::string>*, int64_t) override {
    return tally::Status::OK();
  }
  void OnOtherType(uint64_t, std::string_view, const char*) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Sink sink;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)tally::ReadRdb(bytes, sink);
  // The list containers on their own too (inside a file they sit behind a checksum).
  std::vector<std::string> items;
  (void)tally::DecodeListpack(bytes, &items);
  (void)tally::DecodeZiplist(bytes, &items);
  return 0;
}
