// Lists in storage: the list payload codec and Keyspace::EditLists (types, empty lists, TTLs,
// a key named twice, the size bound, restarts, transactions).
#include <string>
#include <vector>

#include "tally/storage/keyspace.h"
#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"
#include "test_server.h"

namespace tally {
namespace {

using Items = std::vector<std::string>;

TEST(ListCodec, RoundTripsEveryElementAndRefusesDamage) {
  Items items = {"", "a", std::string(200, 'x'), std::string("\0\xff", 2), std::string(70000, 'y')};
  const std::string payload = EncodeList(items);
  Items back = {"stale"};
  ASSERT_TRUE(DecodeList(payload, &back).ok());
  EXPECT_EQ(back, items);
  // A length that runs past the value, at every cut inside the last element's bytes.
  for (size_t cut : {payload.size() - 1, payload.size() - 69999, size_t{2}}) {
    EXPECT_EQ(DecodeList(payload.substr(0, cut), &back).code(), Status::Code::kCorruption) << cut;
  }
  // An unterminated varint.
  EXPECT_FALSE(DecodeList(std::string("\x80\x80", 2), &back).ok());
  ASSERT_TRUE(DecodeList("", &back).ok());
  EXPECT_TRUE(back.empty());
  // The value header carries the type; an unknown one is damage.
  std::string enc;
  EncodeValue(ValueType::kList, payload, 77, &enc);
  auto d = DecodeValue(enc);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->type, ValueType::kList);
  EXPECT_EQ(d->expire_at_ms, 77);
  EXPECT_EQ(d->payload, payload);
  enc[0] = 2;
  EXPECT_EQ(DecodeValue(enc).status().code(), Status::Code::kCorruption);
  EXPECT_STREQ(TypeName(ValueType::kList), "list");
  EXPECT_STREQ(TypeName(ValueType::kString), "string");
}

class ListTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  test::TestServer server_{dir_.path()};
  Keyspace* view_ = nullptr;  // a transaction's view the helpers use; null: the root
  Keyspace& ks() { return view_ != nullptr ? *view_ : server_.keyspace(); }

  // Appends `items` to the list at `key` (RPUSH).
  StatusOr<Lsn> Push(std::string_view key, const Items& items, size_t max = 1 << 20) {
    std::string_view keys[] = {key};
    return ks().EditLists(
        0, keys,
        [&](std::span<Keyspace::ListEdit* const> l) -> Status {
          if (l[0]->wrong_type) return Status::WrongType();
          l[0]->items.insert(l[0]->items.end(), items.begin(), items.end());
          l[0]->changed = true;
          return Status::OK();
        },
        max);
  }
  // The list at `key` (empty if missing); `exists` says whether it is.
  Items Read(std::string_view key, bool* exists = nullptr) {
    Items out;
    std::string_view keys[] = {key};
    auto r = ks().EditLists(
        0, keys,
        [&](std::span<Keyspace::ListEdit* const> l) -> Status {
          out = l[0]->items;
          if (exists != nullptr) *exists = l[0]->exists;
          return Status::OK();
        },
        1 << 20);
    EXPECT_TRUE(r.ok());
    return out;
  }
};

TEST_F(ListTest, ListsSurviveRestartWithTheirTypeAndTtl) {
  ASSERT_TRUE(Push("l", {"a", "b"}).ok());
  ASSERT_TRUE(ks().Expire(0, "l", NowMs() + 100000, 0).ok());
  ASSERT_TRUE(Push("l", {"c"}).ok());  // an edit keeps the TTL
  server_.Restart();
  bool exists = false;
  EXPECT_EQ(Read("l", &exists), (Items{"a", "b", "c"}));
  EXPECT_TRUE(exists);
  EXPECT_GT(ks().PTtl(0, "l")->value, 90000);
  auto v = ks().Read(0, "l");
  ASSERT_TRUE(v.ok() && v->value.has_value());
  EXPECT_EQ(v->value->type, ValueType::kList);
  EXPECT_EQ(ks().Counts(0).keys, 1);
  EXPECT_EQ(ks().Counts(0).expires, 1);
}

TEST_F(ListTest, StringOperationsRefuseAListAndListEditsSeeAString) {
  ASSERT_TRUE(Push("l", {"1"}).ok());
  EXPECT_EQ(ks().IncrBy(0, "l", 1).status().code(), Status::Code::kWrongType);
  EXPECT_EQ(ks().Get(0, "l").status().code(), Status::Code::kWrongType);
  EXPECT_EQ(ks().Append(0, "l", "x", 100).status().code(), Status::Code::kWrongType);
  SetOptions get;
  get.get = true;
  EXPECT_EQ(ks().Set(0, "l", "v", get).status().code(), Status::Code::kWrongType);
  std::string_view both[] = {"l", "nokey"};
  auto mget = ks().MGet(0, both);
  ASSERT_TRUE(mget.ok());
  EXPECT_FALSE(mget->value[0].has_value());  // nil, as Redis's MGET answers
  // A plain SET replaces the list with a string.
  ASSERT_TRUE(ks().Set(0, "l", "v", SetOptions{}).ok());
  EXPECT_EQ(*ks().Get(0, "l")->value, "v");
  EXPECT_EQ(Push("l", {"x"}).status().code(), Status::Code::kWrongType);
  // An edit that marks a string key changed is refused, and changes nothing.
  std::string_view keys[] = {"l"};
  auto r = ks().EditLists(
      0, keys,
      [](std::span<Keyspace::ListEdit* const> l) -> Status {
        l[0]->changed = true;
        return Status::OK();
      },
      1 << 20);
  EXPECT_EQ(r.status().code(), Status::Code::kWrongType);
  EXPECT_EQ(*ks().Get(0, "l")->value, "v");
}

TEST_F(ListTest, AnEmptiedListIsDeletedAndCounted) {
  ASSERT_TRUE(Push("l", {"a"}).ok());
  EXPECT_EQ(ks().Counts(0).keys, 1);
  std::string_view keys[] = {"l"};
  ASSERT_TRUE(ks().EditLists(
                      0, keys,
                      [](std::span<Keyspace::ListEdit* const> l) -> Status {
                        l[0]->items.clear();
                        l[0]->changed = true;
                        return Status::OK();
                      },
                      1 << 20)
                  .ok());
  bool exists = true;
  EXPECT_TRUE(Read("l", &exists).empty());
  EXPECT_FALSE(exists);
  EXPECT_FALSE(ks().Read(0, "l")->value.has_value());
  EXPECT_EQ(ks().Counts(0).keys, 0);
  server_.Restart();
  EXPECT_EQ(ks().Counts(0).keys, 0);
}

TEST_F(ListTest, AKeyNamedTwiceIsOneList) {
  ASSERT_TRUE(Push("l", {"a", "b", "c"}).ok());
  std::string_view keys[] = {"l", "l"};
  ASSERT_TRUE(ks().EditLists(
                      0, keys,
                      [](std::span<Keyspace::ListEdit* const> l) -> Status {
                        EXPECT_EQ(l[0], l[1]);
                        // LMOVE l l RIGHT LEFT: a rotation.
                        std::string last = l[0]->items.back();
                        l[0]->items.pop_back();
                        l[1]->items.insert(l[1]->items.begin(), last);
                        l[1]->changed = true;
                        return Status::OK();
                      },
                      1 << 20)
                  .ok());
  EXPECT_EQ(Read("l"), (Items{"c", "a", "b"}));
}

TEST_F(ListTest, AListPastTheBoundIsRefusedWhole) {
  ASSERT_TRUE(Push("l", {"a"}).ok());
  auto r = Push("l", {std::string(100, 'x')}, /*max=*/64);
  EXPECT_EQ(r.status().code(), Status::Code::kTooLarge);
  EXPECT_EQ(Read("l"), (Items{"a"}));
}

TEST_F(ListTest, TransactionsCommitListEditsInOneGroup) {
  {
    Keyspace::AtomicScope scope(&ks());
    view_ = &scope.keyspace();
    ASSERT_TRUE(Push("a", {"1"}).ok());
    ASSERT_TRUE(Push("b", {"2"}).ok());
    EXPECT_GT(scope.Commit(), 0u);
    view_ = nullptr;
  }
  server_.Restart();
  EXPECT_EQ(Read("a"), (Items{"1"}));
  EXPECT_EQ(Read("b"), (Items{"2"}));
  EXPECT_EQ(ks().Counts(0).keys, 2);
}

}  // namespace
}  // namespace tally
