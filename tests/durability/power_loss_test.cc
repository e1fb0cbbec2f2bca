// Power-loss and I/O-fault tests over the real store, commit log and keyspace, with FaultFS
// underneath RocksDB. Every round: clients increment random keys while a ledger records, per
// key, what was attempted and what was acknowledged (WhenAcked OK before the power went off);
// then the power is cut (every later write and sync fails, then each file loses its unsynced
// bytes, keeps a random prefix of them, or has its last sector torn; files whose directory was
// never synced may vanish); the store is reopened on the damaged files and checked:
//   always:   acknowledged <= value <= attempted for every key (nothing acknowledged is lost);
//   everysec: value <= attempted, and value >= what was acknowledged 2 s before the cut;
//   no:       value <= attempted (consistent, no corruption);
// and always: the store opens, and DBSIZE equals the number of keys found.
// TALLY_POWER_CUTS sets the rounds for always (default 600; a third of that for everysec and
// no), so a CI run simulates about a thousand power cuts; the sync-point sweep crashes a
// short workload at each of its syncs.
#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <thread>

#include "../unit/test_util.h"
#include "fault_fs.h"
#include "tally/storage/engine.h"

namespace tally {
namespace {

using Clock = std::chrono::steady_clock;

int Rounds() {
  const char* v = std::getenv("TALLY_POWER_CUTS");
  return v ? std::atoi(v) : 600;
}

struct Ledger {
  std::mutex mu;
  std::map<std::string, int64_t> attempted, acked;
};

// One incarnation of the storage stack (the Engine: Tally's log, the applier, RocksDB with its
// WAL off) on a given Env. Segments and checkpoints are tiny, so that every round rolls
// segments, flushes RocksDB and purges the log: cuts land during apply, during a flush and
// between a flush and the deletion of the segments it covered.
struct Stack {
  Stack(const std::string& path, rocksdb::Env* env, FsyncPolicy policy) {
    EngineOptions o;
    o.store.path = path + "/db";
    o.store.env = env;
    o.store.databases = 2;
    o.store.write_buffer_bytes = 1 << 20;
    o.log.dir = path + "/log";
    o.log.segment_bytes = 32 << 10;
    o.apply.checkpoint_bytes = 128 << 10;
    o.keyspace.databases = 2;
    o.policy = policy;
    auto e = Engine::Open(o);
    open_status = e.status();
    if (!e.ok()) return;
    engine = std::move(*e);
    keyspace = engine->keyspace();
    log = engine->commit_log();
  }
  // Without a clean shutdown: whatever the file system still takes goes in, nothing more.
  void Crash() {
    (void)engine->Close();
    engine.reset();
  }
  Status open_status;
  std::unique_ptr<Engine> engine;
  Keyspace* keyspace = nullptr;
  CommitLog* log = nullptr;
};

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (int i = 0; i < 8; ++i) k.push_back("ctr:" + std::to_string(i));
    return k;
  }();
  return keys;
}

// Runs clients until `power_off` is set; records attempts and observed acknowledgements.
void Client(Stack& stack, Ledger& ledger, std::atomic<bool>& power_off, uint64_t seed) {
  std::mt19937_64 rng(seed);
  while (!power_off) {
    if (rng() % 4 == 0) {
      // Flags: blind SETs and MSETs (no read before the write: the apply path resolves their
      // key counts) and DELs; Verify checks that DBSIZE matches what survived.
      std::string flag = "flag:" + std::to_string(rng() % 8);
      std::string other = "flag:" + std::to_string(rng() % 8);
      std::string_view pair[] = {flag, "1", other, "2"};
      std::string_view one[] = {flag};
      const int op = static_cast<int>(rng() % 3);
      Status st = op == 0   ? stack.keyspace->Set(0, flag, "1", {}).status()
                  : op == 1 ? stack.keyspace->MSet(0, pair, false).status()
                            : stack.keyspace->Del(0, one).status();
      if (!st.ok()) return;
      continue;
    }
    const std::string& key = Keys()[rng() % Keys().size()];
    int64_t delta = 1 + rng() % 5;
    {
      std::lock_guard<std::mutex> l(ledger.mu);
      ledger.attempted[key] += delta;
    }
    auto r = stack.keyspace->IncrBy(0, key, delta);
    if (!r.ok()) return;
    std::promise<Status> p;
    stack.log->WhenAcked(r->lsn, [&](Status st) { p.set_value(st); });
    Status st = p.get_future().get();
    if (!st.ok()) return;
    std::lock_guard<std::mutex> l(ledger.mu);
    if (!power_off) ledger.acked[key] += delta;  // an ack after the cut could not have left
  }
}

// Reopens after the cut and checks the ledger; re-bases it on what survived.
void Verify(const std::string& path, FsyncPolicy policy, Ledger& ledger,
            const std::map<std::string, int64_t>& acked_before_window, const std::string& what) {
  Stack after(path, rocksdb::Env::Default(), policy);
  ASSERT_TRUE(after.open_status.ok()) << what << ": " << after.open_status.ToString();
  int64_t present = 0;
  for (const auto& key : Keys()) {
    auto v = after.keyspace->Get(0, key);
    ASSERT_TRUE(v.ok()) << what << ": " << v.status().ToString();
    int64_t value = v->value ? std::stoll(*v->value) : 0;
    present += v->value.has_value();
    ASSERT_LE(value, ledger.attempted[key]) << what << " " << key;
    if (policy == FsyncPolicy::kAlways) {
      ASSERT_GE(value, ledger.acked[key]) << what << " " << key << ": acknowledged write lost";
    } else if (policy == FsyncPolicy::kEverysec && acked_before_window.count(key)) {
      ASSERT_GE(value, acked_before_window.at(key)) << what << " " << key << ": lost > 2 s";
    }
    ledger.attempted[key] = ledger.acked[key] = value;
  }
  for (int i = 0; i < 8; ++i) {
    auto v = after.keyspace->Get(0, "flag:" + std::to_string(i));
    ASSERT_TRUE(v.ok()) << what << ": " << v.status().ToString();
    present += v->value.has_value();
  }
  ASSERT_EQ(after.keyspace->Counts(0).keys, present) << what;
  (void)after.log->Stop();
}

class PowerLoss : public ::testing::TestWithParam<FsyncPolicy> {};

TEST_P(PowerLoss, RandomCutsLoseNothingAcknowledged) {
  const FsyncPolicy policy = GetParam();
  test::TempDir dir;
  std::mt19937_64 rng(std::hash<int>{}(static_cast<int>(policy)) + 17);
  Ledger ledger;
  int rounds = policy == FsyncPolicy::kAlways ? Rounds() : Rounds() / 3;
  for (int round = 0; round < rounds; ++round) {
    auto fs = std::make_shared<test::FaultFS>(rocksdb::FileSystem::Default());
    auto env = rocksdb::NewCompositeEnv(fs);
    std::map<std::string, int64_t> window;
    {
      Stack stack(dir.path(), env.get(), policy);
      ASSERT_TRUE(stack.open_status.ok()) << stack.open_status.ToString();
      std::atomic<bool> power_off{false};
      std::vector<std::thread> clients;
      for (int c = 0; c < 3; ++c)
        clients.emplace_back(Client, std::ref(stack), std::ref(ledger), std::ref(power_off), rng());
      // Mostly short rounds (many cut points); now and then one long enough for everysec's
      // one-second window to matter.
      auto run = std::chrono::milliseconds(round % 100 == 99 ? 2600 : 2 + rng() % 30);
      if (run > std::chrono::milliseconds(2000)) {
        std::this_thread::sleep_for(run - std::chrono::milliseconds(2000));
        std::lock_guard<std::mutex> l(ledger.mu);
        window = ledger.acked;
        std::this_thread::sleep_for(std::chrono::milliseconds(2000));
      } else {
        std::this_thread::sleep_for(run);
      }
      {
        std::lock_guard<std::mutex> l(ledger.mu);
        power_off = true;
      }
      fs->SetDead(true);
      for (auto& t : clients) t.join();
      stack.Crash();
    }
    auto mode = static_cast<test::FaultFS::Loss>(rng() % 3);
    fs->PowerCut(mode, rng, /*lose_unsynced_dir_entries=*/true);
    Verify(dir.path(), policy, ledger, window,
           "round " + std::to_string(round) + " mode " + std::to_string(int(mode)));
    if (HasFatalFailure()) return;
  }
  std::printf("[ power cuts ] %s: %d simulated\n", FsyncPolicyName(policy), rounds);
}

INSTANTIATE_TEST_SUITE_P(Policies, PowerLoss,
                         ::testing::Values(FsyncPolicy::kAlways, FsyncPolicy::kEverysec,
                                           FsyncPolicy::kNo),
                         [](const auto& info) { return std::string(FsyncPolicyName(info.param)); });

TEST(PowerLossAtSyncPoints, EverySyncOfAShortWorkload) {
  // The same short sequential workload, cut at its 1st, 2nd, ... sync until one run completes.
  int points = 0;
  for (uint64_t k = 1;; ++k) {
    test::TempDir dir;
    auto fs = std::make_shared<test::FaultFS>(rocksdb::FileSystem::Default());
    auto env = rocksdb::NewCompositeEnv(fs);
    Ledger ledger;
    bool completed = false;
    {
      Stack stack(dir.path(), env.get(), FsyncPolicy::kAlways);
      fs->DieAtSync(k + 0);
      if (!stack.open_status.ok()) {
        // The cut came while the store was being created: nothing was acknowledged.
      } else {
        completed = true;
        for (int i = 0; i < 20 && completed; ++i) {
          const std::string& key = Keys()[i % Keys().size()];
          ledger.attempted[key] += 1;
          auto r = stack.keyspace->IncrBy(0, key, 1);
          std::promise<Status> p;
          if (r.ok()) stack.log->WhenAcked(r->lsn, [&](Status st) { p.set_value(st); });
          if (!r.ok() || !p.get_future().get().ok()) {
            completed = false;
            break;
          }
          ledger.acked[key] += 1;
        }
        completed = completed && fs->syncs() < k;
        stack.Crash();
      }
    }
    std::mt19937_64 rng(k);
    fs->PowerCut(test::FaultFS::Loss::kDropUnsynced, rng, true);
    if (std::filesystem::exists(dir.path() + "/CURRENT"))
      Verify(dir.path(), FsyncPolicy::kAlways, ledger, {}, "sync point " + std::to_string(k));
    if (HasFatalFailure()) return;
    ++points;
    if (completed || k > 400) break;
  }
  std::printf("[ power cuts ] every sync point of a 20-write workload: %d\n", points);
  EXPECT_GT(points, 20);
}

TEST(IoFaults, FailedWritesAreNeverAcknowledgedAndAckedOnesSurvive) {
  uint64_t injected = 0;
  int rounds = std::max(10, Rounds() / 10);
  test::TempDir dir;
  Ledger ledger;
  std::mt19937_64 rng(99);
  for (int round = 0; round < rounds; ++round) {
    auto fs = std::make_shared<test::FaultFS>(rocksdb::FileSystem::Default());
    auto env = rocksdb::NewCompositeEnv(fs);
    {
      Stack stack(dir.path(), env.get(), FsyncPolicy::kAlways);
      ASSERT_TRUE(stack.open_status.ok()) << stack.open_status.ToString();
      fs->InjectErrors(20 + rng() % 200, rng() % 2 == 0, rng());
      std::atomic<bool> stop{false};
      std::vector<std::thread> clients;
      for (int c = 0; c < 3; ++c)
        clients.emplace_back(Client, std::ref(stack), std::ref(ledger), std::ref(stop), rng());
      for (int i = 0; i < 200 && stack.log->healthy(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (!stack.log->healthy()) {
        // Writes are refused with the log's failure; reads of durable data still work.
        auto w = stack.keyspace->IncrBy(0, "after-failure", 1);
        EXPECT_EQ(w.status().code(), Status::Code::kLogFailed);
        EXPECT_TRUE(stack.keyspace->Get(0, "never-written").ok());
      }
      stop = true;
      for (auto& t : clients) t.join();
      injected += fs->injected();
      stack.Crash();
    }
    // Restart on a healthy disk: every acknowledged increment is there.
    Verify(dir.path(), FsyncPolicy::kAlways, ledger, {}, "io round " + std::to_string(round));
    if (HasFatalFailure()) return;
  }
  std::printf("[ io faults ] %llu injected over %d rounds\n",
              static_cast<unsigned long long>(injected), rounds);
  EXPECT_GT(injected, 0u);
}

}  // namespace
}  // namespace tally
