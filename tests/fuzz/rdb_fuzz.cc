// libFuzzer target: the RDB reader on arbitrary bytes (seeded with RDB files Redis 7.0 wrote).
// Nothing may crash, hang, trip a sanitizer or allocate past what the input backs.
#include <cstdint>
#include <string_view>

#include "tally/rdb/rdb_reader.h"

namespace {
struct Sink : tally::RdbVisitor {
  tally::Status OnString(uint64_t, std::string_view, std::string_view, int64_t) override {
    return tally::Status::OK();
  }
  void OnOtherType(uint64_t, std::string_view, const char*) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Sink sink;
  (void)tally::ReadRdb(std::string_view(reinterpret_cast<const char*>(data), size), sink);
  return 0;
}
