// Tally's write-ahead log: the frame format at every split and with damage, segment rolls,
// recovery (torn tail dropped, middle damage refused, replay above the applied LSN), Purge and
// ReadFrom; and the Engine: recovery replays exactly what RocksDB lacks, back-pressure holds.
#include "tally/storage/log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>

#include "../../src/storage/log_format.h"
#include "../../src/storage/log_segment.h"
#include "tally/storage/engine.h"
#include "test_util.h"

namespace tally {
namespace {

namespace fs = std::filesystem;

Record Put(Lsn lsn, std::string key, std::string value) {
  Record r;
  r.kind = Record::Kind::kPut;
  r.lsn = lsn;
  r.db = static_cast<DbIndex>(lsn % 3);
  r.key = std::move(key);
  r.value = std::move(value);
  r.keys_delta = 1;
  return r;
}

// Groups of 1..4 records with consecutive LSNs from `first`.
std::vector<std::vector<Record>> Groups(Lsn first, int n) {
  std::vector<std::vector<Record>> groups;
  Lsn lsn = first;
  for (int g = 0; g < n; ++g) {
    std::vector<Record> group;
    for (int i = 0; i <= g % 4; ++i, ++lsn)
      group.push_back(Put(lsn, "key:" + std::to_string(lsn), std::string(lsn % 50, 'v')));
    groups.push_back(std::move(group));
  }
  return groups;
}

TEST(LogFormat, RoundTripsAndEveryCutIsIncomplete) {
  auto groups = Groups(7, 3);
  std::string frame;
  logfmt::AppendFrame(groups[2], &frame);
  auto whole = logfmt::ParseFrame(frame);
  ASSERT_EQ(whole.state, logfmt::FrameState::kOk);
  EXPECT_EQ(whole.size, frame.size());
  std::vector<Record> out;
  ASSERT_OK(logfmt::DecodePayload(whole.payload, &out));
  ASSERT_EQ(out.size(), groups[2].size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].lsn, groups[2][i].lsn);
    EXPECT_EQ(out[i].db, groups[2][i].db);
    EXPECT_EQ(out[i].key, groups[2][i].key);
    EXPECT_EQ(out[i].value, groups[2][i].value);
    EXPECT_EQ(out[i].keys_delta, 1);
  }
  // Every record boundary and every byte in between: a cut frame is never taken as whole.
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    auto v = logfmt::ParseFrame(std::string_view(frame).substr(0, cut));
    EXPECT_NE(v.state, logfmt::FrameState::kOk) << cut;
  }
}

TEST(LogFormat, Crc32cMatchesTheStandardAndTheTable) {
  const std::string check = "123456789";
  EXPECT_EQ(logfmt::Crc32c(0, check.data(), check.size()), 0xe3069283u);
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  for (size_t n : {0, 1, 7, 8, 9, 63, 64, 999}) {
    EXPECT_EQ(logfmt::Crc32c(5, data.data(), n), logfmt::Crc32cSoftware(5, data.data(), n)) << n;
  }
}

TEST(LogFormat, EveryFlippedByteIsCaught) {
  std::string frame;
  logfmt::AppendFrame(Groups(1, 4)[3], &frame);
  for (size_t i = 0; i < frame.size(); ++i) {
    std::string bad = frame;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    EXPECT_NE(logfmt::ParseFrame(bad).state, logfmt::FrameState::kOk) << i;
  }
  EXPECT_EQ(logfmt::ParseFrame(std::string(64, '\0')).state, logfmt::FrameState::kBad);
}

struct Replayed {
  std::vector<Lsn> lsns;
  std::function<Status(std::vector<Record>&)> fn_ = [this](std::vector<Record>& g) {
    for (const auto& r : g) lsns.push_back(r.lsn);
    return Status::OK();
  };
};

std::vector<Lsn> Range(Lsn from, Lsn to) {
  std::vector<Lsn> v;
  for (Lsn l = from; l <= to; ++l) v.push_back(l);
  return v;
}

// Writes `n` groups from LSN 1 with small segments; returns the last LSN.
Lsn WriteGroups(const std::string& dir, int n, size_t segment_bytes = 512) {
  LogOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  Replayed none;
  auto log = Log::Open(o, 0, none.fn_);
  EXPECT_TRUE(log.ok());
  Lsn last = 0;
  for (auto& g : Groups(1, n)) {
    EXPECT_OK((*log)->Write(g, true));
    last = g.back().lsn;
  }
  EXPECT_OK((*log)->Close());
  return last;
}

std::vector<fs::path> Segments(const std::string& dir) {
  std::vector<fs::path> v;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".tlog" && fs::file_size(e.path()) > 0) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

TEST(Log, RollsSegmentsAndReplaysAboveTheAppliedLsn) {
  test::TempDir dir;
  const Lsn last = WriteGroups(dir.path(), 60);
  EXPECT_GT(Segments(dir.path()).size(), 3u);
  for (Lsn applied : {Lsn{0}, Lsn{1}, Lsn{37}, last - 1, last}) {
    Replayed r;
    LogOptions o;
    o.dir = dir.path();
    auto log = Log::Open(o, applied, r.fn_);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ(r.lsns, Range(applied + 1, last)) << applied;
    EXPECT_EQ((*log)->last_lsn(), last);
  }
}

TEST(Log, TornTailIsCutAndLaterWritesFollowIt) {
  test::TempDir dir;
  const Lsn last = WriteGroups(dir.path(), 20, 1 << 20);
  fs::path seg = Segments(dir.path()).back();
  const auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 3);  // the last frame cut short
  LogOptions o;
  o.dir = dir.path();
  Replayed r;
  auto log = Log::Open(o, 0, r.fn_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const Lsn kept = r.lsns.back();
  EXPECT_LT(kept, last);
  EXPECT_EQ(r.lsns, Range(1, kept));
  std::vector<Record> more = {Put(kept + 1, "after", "x")};
  ASSERT_OK((*log)->Write(more, true));
  log->reset();
  Replayed again;
  auto reopened = Log::Open(o, 0, again.fn_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(again.lsns, Range(1, kept + 1));
}

// A crash leaves the newest segment at its preallocated size, zeros after its last frame;
// sealed segments end at their last frame. Recovery reads every record, later writes follow
// them, and damage before the zeros is still damage in the middle.
TEST(Log, CrashLeavesAPreallocatedTailThatRecoveryReads) {
  test::TempDir dir, crashed, damaged;
  LogOptions o;
  o.dir = dir.path();
  o.segment_bytes = 4096;
  Replayed none;
  auto log = Log::Open(o, 0, none.fn_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  Lsn last = 0;
  for (auto& g : Groups(1, 150)) {
    ASSERT_OK((*log)->Write(g, true));
    last = g.back().lsn;
  }
  // The crash: the files as they are while the log is open.
  fs::copy(dir.path(), crashed.path(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::copy(dir.path(), damaged.path(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  ASSERT_OK((*log)->Close());
  auto segs = Segments(crashed.path());
  ASSERT_GT(segs.size(), 2u);
  std::string data;
  for (size_t i = 0; i < segs.size(); ++i) {
    std::ifstream in(segs[i], std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
    auto scan = logseg::ScanFrames(data, segs[i].string(),
                                   [](std::string_view, Lsn* end) { return Status::OK(); });
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    if (i + 1 < segs.size()) {
      EXPECT_FALSE(scan->torn) << segs[i];  // sealed: trimmed to its frames
      EXPECT_EQ(scan->valid_bytes, data.size()) << segs[i];
    } else {
      EXPECT_EQ(data.size(), 4096u);  // the newest: still at its preallocated size
      ASSERT_LT(scan->valid_bytes, data.size());
      EXPECT_EQ(data.find_first_not_of('\0', scan->valid_bytes), std::string::npos);
    }
  }
  o.dir = crashed.path();
  Replayed r;
  auto reopened = Log::Open(o, 0, r.fn_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(r.lsns, Range(1, last));
  std::vector<Record> more = {Put(last + 1, "after", "x")};
  ASSERT_OK((*reopened)->Write(more, true));
  reopened->reset();
  Replayed again;
  auto third = Log::Open(o, 0, again.fn_);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(again.lsns, Range(1, last + 1));
  // A flipped byte in the newest segment's first frame, intact frames and zeros after it.
  {
    fs::path newest = Segments(damaged.path()).back();
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x5a');
  }
  o.dir = damaged.path();
  Replayed d;
  auto refused = Log::Open(o, 0, d.fn_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().ToString().find("intact records after it"), std::string::npos)
      << refused.status().ToString();
}

TEST(Log, DamageInTheMiddleRefusesToOpen) {
  test::TempDir dir;
  WriteGroups(dir.path(), 20, 1 << 20);
  fs::path seg = Segments(dir.path()).back();
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(seg) / 2));
    f.put('\x5a');
  }
  LogOptions o;
  o.dir = dir.path();
  Replayed r;
  auto log = Log::Open(o, 0, r.fn_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Status::Code::kCorruption);
  EXPECT_NE(log.status().ToString().find("intact records after it"), std::string::npos)
      << log.status().ToString();
}

TEST(Log, DamageInAnOlderSegmentRefusesToOpen) {
  test::TempDir dir;
  WriteGroups(dir.path(), 60);
  auto segs = Segments(dir.path());
  ASSERT_GT(segs.size(), 2u);
  fs::resize_file(segs[1], fs::file_size(segs[1]) - 5);
  LogOptions o;
  o.dir = dir.path();
  Replayed r;
  auto log = Log::Open(o, 0, r.fn_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Status::Code::kCorruption);
}

TEST(Log, MissingRecordsRefuseToOpen) {
  test::TempDir dir;
  WriteGroups(dir.path(), 60);
  auto segs = Segments(dir.path());
  fs::remove(segs[1]);  // a segment RocksDB never had
  LogOptions o;
  o.dir = dir.path();
  Replayed r;
  auto log = Log::Open(o, 0, r.fn_);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().ToString().find("missing"), std::string::npos);
}

TEST(Log, PurgeKeepsWhatIsNotFlushedAndReadFromSeesTheRest) {
  test::TempDir dir;
  LogOptions o;
  o.dir = dir.path();
  o.segment_bytes = 512;
  Replayed none;
  auto log = Log::Open(o, 0, none.fn_);
  ASSERT_TRUE(log.ok());
  Lsn last = 0;
  for (auto& g : Groups(1, 60)) {
    ASSERT_OK((*log)->Write(g, false));
    last = g.back().lsn;
  }
  const size_t before = (*log)->stats().segments;
  ASSERT_OK((*log)->Purge(last / 2));
  const size_t after = (*log)->stats().segments;
  EXPECT_LT(after, before);
  // Everything above the purge point is still readable, in order, from any LSN.
  for (Lsn from : {last / 2 + 1, last - 3, last}) {
    Replayed r;
    ASSERT_OK((*log)->ReadFrom(from, r.fn_));
    EXPECT_EQ(r.lsns, Range(from, last)) << from;
  }
  // Retention keeps sealed segments around even once flushed.
  ASSERT_OK((*log)->Purge(last));
  EXPECT_EQ((*log)->stats().segments, 1u);  // only the current one
}

EngineOptions SmallEngine(const std::string& dir) {
  EngineOptions o;
  o.store.path = dir + "/db";
  o.store.databases = 2;
  o.store.write_buffer_bytes = 1 << 20;
  o.log.dir = dir + "/log";
  o.log.segment_bytes = 4 << 10;
  o.apply.checkpoint_bytes = 8 << 10;
  o.keyspace.databases = 2;
  return o;
}

Status WaitAcked(CommitLog* log, Lsn lsn) {
  std::promise<Status> p;
  log->WhenAcked(lsn, [&](Status st) { p.set_value(st); });
  return p.get_future().get();
}

TEST(Engine, CheckpointsPurgeTheLogAndRecoveryReplaysOnlyTheTail) {
  test::TempDir dir;
  {
    auto e = Engine::Open(SmallEngine(dir.path()));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    Lsn lsn = 0;
    // Acknowledged ten at a time: many small groups, so segments roll and checkpoints run.
    for (int i = 0; i < 3000; ++i) {
      lsn = (*e)->keyspace()->IncrBy(0, "k" + std::to_string(i % 500), 1)->lsn;
      if (i % 10 == 9) ASSERT_OK(WaitAcked((*e)->commit_log(), lsn));
    }
    ASSERT_OK(WaitAcked((*e)->commit_log(), lsn));
    ASSERT_OK((*e)->commit_log()->WaitApplied(lsn));
    EXPECT_GT((*e)->applier()->stats().checkpoints, 0u);
    // Bounded: about a checkpoint's worth of sealed segments plus the current one.
    EXPECT_LT((*e)->log()->stats().bytes, 64u << 10);
    // As after SIGKILL: RocksDB's memtables are lost, nothing is flushed or purged.
    ASSERT_OK((*e)->Close(/*checkpoint=*/false));
  }
  auto e = Engine::Open(SmallEngine(dir.path()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_LT((*e)->replayed_records(), 3000u);
  // A whole-keyspace read waits for the replayed records to be applied.
  auto scan = (*e)->keyspace()->Scan(0, "", 0);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->value.keys.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    auto v = (*e)->keyspace()->Get(0, "k" + std::to_string(i));
    ASSERT_TRUE(v.ok() && v->value.has_value()) << i;
    EXPECT_EQ(*v->value, "6") << i;
  }
  EXPECT_EQ((*e)->keyspace()->Counts(0).keys, 500);
  ASSERT_OK((*e)->Close());
  EXPECT_EQ(fs::directory_iterator(dir.path() + "/log"), fs::directory_iterator());
  auto again = Engine::Open(SmallEngine(dir.path()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->replayed_records(), 0u);  // a clean close leaves nothing to replay
}

// After a crash the log's tail above RocksDB is not applied before the first reply: its keys are
// in the table (dirty until applied), a replayed FLUSHDB hides what RocksDB still has, and
// whole-keyspace reads (DBSIZE) wait for the applier. Slowed here so that every read below runs
// before the replayed records reach RocksDB.
TEST(Engine, ReplayedRecordsAnswerBeforeTheyAreApplied) {
  test::TempDir dir;
  EngineOptions o = SmallEngine(dir.path());
  o.apply.checkpoint_bytes = uint64_t{1} << 40;  // no checkpoint unless asked
  const int64_t far = 4102444800000;             // 2100-01-01, in ms
  Lsn lsn = 0;
  {
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok());
    Keyspace* ks = (*e)->keyspace();
    SetOptions so;
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(ks->Set(1, "old" + std::to_string(i), "x", so).ok());
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(ks->Set(0, "kept" + std::to_string(i), "v", so).ok());
    lsn = ks->Set(0, "gone", "v", so)->lsn;
    ASSERT_OK((*e)->commit_log()->WaitApplied(lsn));
    ASSERT_OK((*e)->store()->Flush());  // RocksDB's files have all of the above
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(ks->IncrBy(0, "n" + std::to_string(i % 100), 1).ok());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(ks->Set(0, "kept" + std::to_string(i), "w", so).ok());
    SetOptions with_ttl;
    with_ttl.expire_at_ms = far;
    ASSERT_TRUE(ks->Set(0, "ttl", "t", with_ttl).ok());
    const std::string_view gone[] = {"gone"};
    ASSERT_TRUE(ks->Del(0, gone).ok());
    ASSERT_TRUE(ks->FlushDb(1).ok());
    lsn = ks->Set(1, "new", "y", so)->lsn;
    ASSERT_OK(WaitAcked((*e)->commit_log(), lsn));
    ASSERT_OK((*e)->Close(/*checkpoint=*/false));  // as after SIGKILL
  }
  o.apply_delay_for_testing = std::chrono::milliseconds(1500);
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Keyspace* ks = (*e)->keyspace();
  EXPECT_EQ((*e)->replayed_records(), 500u + 100 + 1 + 1 + 1 + 1);
  auto value = [&](DbIndex db, std::string_view key) -> std::string {
    auto v = ks->Get(db, key);
    EXPECT_TRUE(v.ok());
    return v.ok() && v->value ? *v->value : "(nil)";
  };
  EXPECT_EQ(value(0, "n0"), "5");
  EXPECT_EQ(value(0, "n99"), "5");
  EXPECT_EQ(value(0, "kept0"), "w");
  EXPECT_EQ(value(0, "kept150"), "v");  // RocksDB's, untouched by the tail
  EXPECT_EQ(value(0, "gone"), "(nil)");
  EXPECT_EQ(value(0, "ttl"), "t");
  EXPECT_GT(ks->PTtl(0, "ttl")->value, 0);
  EXPECT_EQ(value(1, "old7"), "(nil)");  // flushed, though RocksDB still has it
  EXPECT_EQ(value(1, "new"), "y");
  EXPECT_EQ(ks->IncrBy(0, "n1", 1)->value, 6);
  // Every read above was answered before the applier wrote anything.
  EXPECT_LT((*e)->applier()->applied_lsn(), lsn);
  EXPECT_EQ(ks->Counts(0).keys, 100 + 200 + 1);  // waits for the applier: exact
  EXPECT_EQ(ks->Counts(1).keys, 1);
  ASSERT_OK((*e)->Close());
  o.apply_delay_for_testing = std::chrono::milliseconds(0);
  auto again = Engine::Open(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->replayed_records(), 0u);
  EXPECT_EQ((*again)->keyspace()->Get(0, "n1")->value, "6");
  EXPECT_EQ((*again)->keyspace()->Get(1, "old7")->value, std::nullopt);
  EXPECT_EQ((*again)->keyspace()->Counts(0).keys, 301);
}

// A kill between "RocksDB flushed" and "segments deleted": the log still holds records RocksDB
// has on disk; recovery skips them (RocksDB's applied LSN) and counts stay exact. Then a kill
// right after the deletion, before the next flush: only the tail above it is replayed.
TEST(Engine, KillsBetweenFlushAndPurgeRecoverExactly) {
  test::TempDir dir;
  EngineOptions o = SmallEngine(dir.path());
  o.apply.checkpoint_bytes = uint64_t{1} << 40;  // no checkpoint unless asked
  Lsn lsn = 0;
  {
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok());
    for (int i = 0; i < 400; ++i)
      lsn = (*e)->keyspace()->IncrBy(0, "a" + std::to_string(i), 1)->lsn;
    ASSERT_OK((*e)->commit_log()->WaitApplied(lsn));
    ASSERT_OK((*e)->store()->Flush());  // flushed, but the log is not purged: killed here
    ASSERT_OK((*e)->Close(/*checkpoint=*/false));
  }
  {
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ((*e)->store_lsn(), lsn);
    EXPECT_EQ((*e)->replayed_records(), 0u);
    EXPECT_GT((*e)->log()->stats().bytes, 0u);  // the old segments are still there
    EXPECT_EQ((*e)->keyspace()->Counts(0).keys, 400);
    for (int i = 0; i < 100; ++i)
      lsn = (*e)->keyspace()->IncrBy(0, "b" + std::to_string(i), 1)->lsn;
    ASSERT_OK((*e)->commit_log()->WaitApplied(lsn));
    ASSERT_OK((*e)->applier()->Checkpoint());  // flushed and purged
    for (int i = 0; i < 50; ++i) lsn = (*e)->keyspace()->IncrBy(0, "c" + std::to_string(i), 1)->lsn;
    ASSERT_OK(WaitAcked((*e)->commit_log(), lsn));
    ASSERT_OK((*e)->Close(/*checkpoint=*/false));  // killed before the next flush
  }
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->replayed_records(), 50u);
  EXPECT_EQ((*e)->keyspace()->Counts(0).keys, 550);
  for (const char* k : {"a0", "a399", "b0", "b99", "c0", "c49"}) {
    auto v = (*e)->keyspace()->Get(0, k);
    ASSERT_TRUE(v.ok() && v->value.has_value()) << k;
    EXPECT_EQ(*v->value, "1") << k;
  }
}

// After a batch the applier lets groups gather for its window; somebody waiting for it
// (WaitApplied) ends the window at once, and so does closing.
TEST(Engine, TheApplierGathersUntilSomebodyWaits) {
  test::TempDir dir;
  EngineOptions o = SmallEngine(dir.path());
  o.apply.gather = std::chrono::hours(1);
  o.policy = FsyncPolicy::kNo;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok());
  SetOptions so;
  Lsn first = (*e)->keyspace()->Set(0, "a", "1", so)->lsn;
  ASSERT_OK((*e)->commit_log()->WaitApplied(first));  // no batch yet: no window to wait out
  Lsn second = (*e)->keyspace()->Set(0, "b", "2", so)->lsn;
  ASSERT_OK(WaitAcked((*e)->commit_log(), second));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LT((*e)->applier()->applied_lsn(), second);  // written, gathering for the next batch
  auto waited =
      std::async(std::launch::async, [&] { return (*e)->commit_log()->WaitApplied(second); });
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_OK(waited.get());
  Lsn third = (*e)->keyspace()->Set(0, "c", "3", so)->lsn;
  ASSERT_OK(WaitAcked((*e)->commit_log(), third));
  ASSERT_OK((*e)->Close());  // applies what gathers, does not wait out the window
  auto again = Engine::Open(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->replayed_records(), 0u);
  EXPECT_EQ((*again)->keyspace()->Counts(0).keys, 3);
}

TEST(Engine, BackPressureHoldsPendingBytesNearTheBound) {
  test::TempDir dir;
  EngineOptions o = SmallEngine(dir.path());
  o.apply.max_pending_bytes = 64 << 10;
  o.policy = FsyncPolicy::kNo;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok());
  (*e)->applier()->set_apply_delay_for_testing(std::chrono::milliseconds(20));
  uint64_t max_pending = 0;
  Lsn lsn = 0;
  const std::string value(200, 'x');
  for (int i = 0; i < 3000; ++i) {
    SetOptions so;
    lsn = (*e)->keyspace()->Set(0, "key" + std::to_string(i), value, so)->lsn;
    max_pending = std::max(max_pending, (*e)->applier()->stats().pending_bytes);
  }
  EXPECT_GT((*e)->applier()->stats().writer_waits, 0u);
  // One append past the bound at most (a writer waits before it reserves, not after).
  EXPECT_LT(max_pending, (64u << 10) + (4u << 10));
  ASSERT_OK((*e)->commit_log()->WaitApplied(lsn));
  ASSERT_OK((*e)->Close());
  auto again = Engine::Open(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->keyspace()->Counts(0).keys, 3000);
}

}  // namespace
}  // namespace tally
