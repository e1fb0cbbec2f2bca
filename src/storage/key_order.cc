#include "tally/storage/key_order.h"

#include <algorithm>
#include <string_view>

namespace tally {
namespace {

// The length of the prefix that every key named by `order` shares.
size_t CommonPrefix(std::span<const Record> records, const std::vector<uint32_t>& order) {
  const std::string_view first = records[order.front()].key;
  size_t common = first.size();
  for (uint32_t i : order) {
    const std::string_view key = records[i].key;
    const size_t n = std::min(common, key.size());
    common = static_cast<size_t>(std::mismatch(key.begin(), key.begin() + n, first.begin()).first -
                                 key.begin());
    if (common == 0) break;
  }
  return common;
}

// The database in the top byte, then the seven key bytes after the shared prefix (zeros past
// the key's end): a.prefix < b.prefix implies (a.db, a.key) < (b.db, b.key).
uint64_t SortPrefix(const Record& r, size_t common) {
  uint64_t prefix = uint64_t{r.db} << 56;
  const std::string_view rest = std::string_view(r.key).substr(common);
  const size_t n = std::min<size_t>(rest.size(), 7);
  for (size_t b = 0; b < n; ++b) prefix |= uint64_t{static_cast<uint8_t>(rest[b])} << (48 - 8 * b);
  return prefix;
}

}  // namespace

void SortByKey(std::span<const Record> records, std::vector<uint32_t>* order) {
  if (order->size() < 2) return;
  const size_t common = CommonPrefix(records, *order);
  struct Item {
    uint64_t prefix;
    uint32_t index;
  };
  std::vector<Item> items;
  items.reserve(order->size());
  for (uint32_t i : *order) items.push_back(Item{SortPrefix(records[i], common), i});
  std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const Record& x = records[a.index];
    const Record& y = records[b.index];
    return x.db != y.db ? x.db < y.db : x.key < y.key;  // char_traits<char>: unsigned bytes
  });
  for (size_t j = 0; j < items.size(); ++j) (*order)[j] = items[j].index;
}

}  // namespace tally
