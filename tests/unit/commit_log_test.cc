#include "tally/storage/commit_log.h"

#include <atomic>
#include <future>
#include <optional>
#include <thread>

#include "test_util.h"

namespace tally {
namespace {

// Records each batch it is given; can be slowed down or made to fail.
class FakeWriter : public RecordWriter {
 public:
  Status Write(std::span<const Record> records, bool sync) override {
    entered.fetch_add(1);
    std::this_thread::sleep_for(delay);
    std::lock_guard<std::mutex> l(mu);
    if (fail_writes) return Status::IOError("injected EIO");
    batches.emplace_back();
    for (const auto& r : records) batches.back().push_back(r.lsn);
    syncs += sync;
    return Status::OK();
  }
  Status Sync() override {
    std::lock_guard<std::mutex> l(mu);
    ++explicit_syncs;
    return fail_syncs ? Status::IOError("injected fsync failure") : Status::OK();
  }
  std::mutex mu;
  std::vector<std::vector<Lsn>> batches;
  int syncs = 0;
  int explicit_syncs = 0;
  bool fail_writes = false;
  bool fail_syncs = false;
  std::chrono::milliseconds delay{0};
  std::atomic<int> entered{0};  // Write() calls begun
};

Record Put(std::string key) {
  Record r;
  r.key = std::move(key);
  r.value = "x";
  return r;
}

// Waits for an LSN through WhenAcked and returns the status it completed with.
Status Wait(CommitLog& log, Lsn lsn) {
  std::promise<Status> p;
  log.WhenAcked(lsn, [&](Status st) { p.set_value(std::move(st)); });
  return p.get_future().get();
}

TEST(CommitLog, AssignsConsecutiveLsnsAfterRecovered) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kAlways, 41);
  log.Start();
  EXPECT_EQ(log.Append(Put("a")), 42u);
  std::vector<Record> group = {Put("b"), Put("c")};
  EXPECT_EQ(log.Append(std::move(group)), 44u);
  EXPECT_OK(Wait(log, 44));
  EXPECT_GE(log.stats().durable_lsn, 44u);
  EXPECT_OK(log.Stop());
}

TEST(CommitLog, ConcurrentAppendsShareOneSync) {
  FakeWriter w;
  w.delay = std::chrono::milliseconds(20);  // while one group is written, the next accumulates
  CommitLog log(&w, FsyncPolicy::kAlways, 0);
  log.Start();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        Lsn lsn = log.Append(Put("k"));
        if (Wait(log, lsn).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_OK(log.Stop());
  size_t records = 0;
  Lsn prev = 0;
  for (const auto& b : w.batches) {
    for (Lsn l : b) {
      EXPECT_EQ(l, prev + 1);  // written in LSN order, none lost or repeated
      prev = l;
    }
    records += b.size();
  }
  EXPECT_EQ(records, 80u);
  EXPECT_LT(w.batches.size(), 80u);  // group commit: fewer syncs than writes
  EXPECT_EQ(static_cast<size_t>(w.syncs), w.batches.size());  // each group synced once
}

TEST(CommitLog, AGroupIsNeverSplit) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kAlways, 0);
  log.Start();
  std::vector<Record> group;
  for (int i = 0; i < 100; ++i) group.push_back(Put("k" + std::to_string(i)));
  Lsn last = log.Append(std::move(group));
  EXPECT_OK(Wait(log, last));
  EXPECT_OK(log.Stop());
  bool found = false;
  for (const auto& b : w.batches)
    if (!b.empty() && b.back() == last) found = b.size() >= 100 && b[b.size() - 100] == 1;
  EXPECT_TRUE(found);
}

// Polls (up to 10 s) until `lsn` is written, without waiting through the log; the written LSN.
Lsn WaitWritten(const CommitLog& log, Lsn lsn) {
  for (int i = 0; i < 1000 && log.written_lsn() < lsn; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return log.written_lsn();
}

// Runs fn on a thread whose appends defer the commit thread's wake-up (as io threads do).
template <typename Fn>
void OnDeferringThread(Fn fn) {
  std::thread t([&] {
    CommitLog::DeferWakeupsOnThisThread();
    fn();
  });
  t.join();
}

TEST(CommitLog, DeferredAppendsAreWrittenAsOneGroupWhenWaitedFor) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kAlways, 0);
  log.set_idle_poll_for_testing(std::chrono::hours(1));  // only a waiter can wake it
  log.Start();
  while (!log.idle_for_testing()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  OnDeferringThread([&] {
    Lsn last = 0;
    for (int i = 0; i < 5; ++i) last = log.Append(Put("k" + std::to_string(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(log.written_lsn(), 0u);  // nobody woke the commit thread yet
    auto p = std::make_shared<std::promise<Status>>();
    log.WhenAcked(last, [p](Status st) { p->set_value(std::move(st)); });
    auto f = p->get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_OK(f.get());
  });
  EXPECT_OK(log.Stop());
  ASSERT_EQ(w.batches.size(), 1u);  // the whole pipeline in one group, one sync
  EXPECT_EQ(w.batches[0], (std::vector<Lsn>{1, 2, 3, 4, 5}));
}

TEST(CommitLog, WaitAppliedWakesTheCommitThreadForDeferredAppends) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kEverysec, 0);
  log.set_idle_poll_for_testing(std::chrono::hours(1));
  log.Start();
  OnDeferringThread([&] {
    Lsn lsn = log.Append(Put("a"));
    auto f = std::async(std::launch::async, [&] { return log.WaitApplied(lsn); });
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_OK(f.get());
    EXPECT_GE(log.written_lsn(), lsn);
  });
  EXPECT_OK(log.Stop());
}

TEST(CommitLog, DeferredAppendsNobodyWaitsForArePickedUpByThePoll) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kEverysec, 0);
  log.set_idle_poll_for_testing(std::chrono::milliseconds(5));
  log.Start();
  Lsn lsn = 0;
  OnDeferringThread([&] { lsn = log.Append(Put("a")); });
  EXPECT_EQ(WaitWritten(log, lsn), lsn);
  EXPECT_OK(log.Stop());
}

TEST(CommitLog, AnAppendWakesTheCommitThreadOnceItStoppedPolling) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kEverysec, 0);
  log.set_idle_poll_for_testing(std::chrono::milliseconds(1));
  log.Start();
  while (!log.asleep_for_testing()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Lsn lsn = 0;
  OnDeferringThread([&] { lsn = log.Append(Put("a")); });  // nobody waits for it
  EXPECT_EQ(WaitWritten(log, lsn), lsn);
  EXPECT_OK(log.Stop());
}

// Lead() on the thread that queued the records and waits for them: under everysec it writes
// them itself, as one group, before it returns, and their waiter hears on that thread.
TEST(CommitLog, LeadWritesTheQueuedGroupOnTheCallingThread) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kEverysec, 0);
  log.set_idle_poll_for_testing(std::chrono::hours(1));  // the commit thread never looks
  log.Start();
  while (!log.idle_for_testing()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  OnDeferringThread([&] {
    Lsn last = 0;
    for (int i = 0; i < 4; ++i) last = log.Append(Put("k" + std::to_string(i)));
    std::thread::id heard_on;
    bool heard = false;
    log.WhenAcked(
        last,
        [&](Status st) {
          EXPECT_OK(st);
          heard = true;
          heard_on = std::this_thread::get_id();
        },
        CommitLog::AckWake::kCallerLeads);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(log.written_lsn(), 0u);  // the wait woke nobody
    log.Lead();
    EXPECT_EQ(log.written_lsn(), last);
    EXPECT_TRUE(heard);
    EXPECT_EQ(heard_on, std::this_thread::get_id());
  });
  EXPECT_OK(log.Stop());
  ASSERT_EQ(w.batches.size(), 1u);
  EXPECT_EQ(w.batches[0], (std::vector<Lsn>{1, 2, 3, 4}));
  EXPECT_EQ(w.syncs, 0);  // everysec: the write does not sync, the syncer does
}

// Under always the leader writes and syncs the group itself (Redis's beforeSleep): when Lead()
// returns, the record is durable and its waiter has been told, on the leader's thread.
TEST(CommitLog, LeadUnderAlwaysWritesAndSyncsOnTheLeader) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kAlways, 0);
  log.set_idle_poll_for_testing(std::chrono::hours(1));
  log.Start();
  while (!log.idle_for_testing()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  OnDeferringThread([&] {
    Lsn lsn = log.Append(Put("a"));
    std::optional<std::thread::id> heard_on;
    log.WhenAcked(
        lsn,
        [&](Status st) {
          EXPECT_OK(st);
          heard_on = std::this_thread::get_id();
        },
        CommitLog::AckWake::kCallerLeads);
    EXPECT_EQ(log.durable_lsn(), 0u);  // the wait woke nobody
    log.Lead();
    EXPECT_GE(log.durable_lsn(), lsn);
    EXPECT_EQ(heard_on, std::this_thread::get_id());
  });
  EXPECT_OK(log.Stop());
  EXPECT_EQ(w.syncs, 1);
}

// While another thread writes a group, a leader under always does not queue behind that
// fsync: Lead() returns at once and the commit thread writes and syncs the leader's group.
TEST(CommitLog, LeadUnderAlwaysHandsOffWhileAnotherGroupIsWritten) {
  FakeWriter w;
  w.delay = std::chrono::milliseconds(1000);
  CommitLog log(&w, FsyncPolicy::kAlways, 0);
  log.Start();
  log.Append(Put("a"));  // wakes the commit thread, which writes it for a second
  while (w.entered.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  OnDeferringThread([&] {
    Lsn lsn = log.Append(Put("b"));
    auto p = std::make_shared<std::promise<std::thread::id>>();
    log.WhenAcked(
        lsn, [p](Status) { p->set_value(std::this_thread::get_id()); },
        CommitLog::AckWake::kCallerLeads);
    const auto start = std::chrono::steady_clock::now();
    log.Lead();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
    auto f = p->get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_NE(f.get(), std::this_thread::get_id());
    EXPECT_GE(log.durable_lsn(), lsn);
  });
  EXPECT_OK(log.Stop());
  EXPECT_EQ(w.syncs, 2);
}

// Leaders on several threads and the commit thread write concurrently: every record once, in
// LSN order, every waiter hears OK; under always every group is synced.
TEST(CommitLog, LeadersAndTheCommitThreadWriteInLsnOrder) {
  for (FsyncPolicy policy : {FsyncPolicy::kEverysec, FsyncPolicy::kAlways}) {
    SCOPED_TRACE(policy == FsyncPolicy::kAlways ? "always" : "everysec");
    FakeWriter w;
    CommitLog log(&w, policy, 0);
    log.set_idle_poll_for_testing(std::chrono::milliseconds(1));
    log.Start();
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        CommitLog::DeferWakeupsOnThisThread();
        for (int i = 0; i < 200; ++i) {
          Lsn lsn = log.Append(Put("k"));
          if (i % 3 == t % 3) continue;  // some nobody waits for: the poll writes them
          auto p = std::make_shared<std::promise<Status>>();
          log.WhenAcked(
              lsn, [p](Status st) { p->set_value(std::move(st)); },
              CommitLog::AckWake::kCallerLeads);
          log.Lead();
          if (p->get_future().get().ok()) ++ok;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_OK(log.Stop());
    Lsn prev = 0;
    for (const auto& b : w.batches) {
      for (Lsn l : b) {
        ASSERT_EQ(l, prev + 1);
        prev = l;
      }
    }
    EXPECT_EQ(prev, 800u);
    EXPECT_GT(ok.load(), 400);
    if (policy == FsyncPolicy::kAlways) EXPECT_EQ(w.syncs, static_cast<int>(w.batches.size()));
  }
}

TEST(CommitLog, FailedWriteIsNeverAcknowledged) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kAlways, 0);
  log.Start();
  EXPECT_OK(Wait(log, log.Append(Put("a"))));
  {
    std::lock_guard<std::mutex> l(w.mu);
    w.fail_writes = true;
  }
  Lsn bad = log.Append(Put("b"));
  Status st = Wait(log, bad);
  EXPECT_EQ(st.code(), Status::Code::kLogFailed);
  EXPECT_FALSE(log.healthy());
  EXPECT_LT(log.stats().durable_lsn, bad);
  EXPECT_EQ(log.stats().write_errors, 1u);
  // Fail-stop: even with a healthy disk again, nothing later is acknowledged.
  {
    std::lock_guard<std::mutex> l(w.mu);
    w.fail_writes = false;
  }
  Lsn later = log.Append(Put("c"));
  EXPECT_EQ(Wait(log, later).code(), Status::Code::kLogFailed);
  EXPECT_FALSE(log.Stop().ok());
}

// A waiter that asks while the log is failing gets the failure, never OK: the failure and
// healthy() turn together (the IoFaults test once saw an ack slip between them).
TEST(CommitLog, NoAcknowledgementRacesAFailure) {
  int acked = 0;
  for (int round = 0; round < 200; ++round) {
    FakeWriter w;
    w.fail_writes = true;  // nothing is ever durable
    CommitLog log(&w, FsyncPolicy::kAlways, 0);
    log.Start();
    std::atomic<int> ok{0};
    std::atomic<bool> failed{false};  // outlives every callback (Stop() below)
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c) {
      clients.emplace_back([&] {
        // Asks without waiting, so that some ask falls inside the failure itself.
        for (int i = 0; i < 20000 && !failed; ++i) {
          log.WhenAcked(log.Append(Put("k")), [&](Status st) {
            if (st.ok())
              ok.fetch_add(1);
            else
              failed = true;
          });
        }
      });
    }
    for (auto& t : clients) t.join();
    acked += ok.load();
    (void)log.Stop();
  }
  EXPECT_EQ(acked, 0);
}

TEST(CommitLog, EverysecAcksOnWriteAndSyncsWithinASecond) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kEverysec, 0);
  log.Start();
  Lsn lsn = log.Append(Put("a"));
  EXPECT_OK(Wait(log, lsn));
  EXPECT_EQ(w.syncs, 0);  // the write itself was not synced
  for (int i = 0; i < 40 && log.stats().durable_lsn < lsn; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(log.stats().durable_lsn, lsn);
  EXPECT_GE(w.explicit_syncs, 1);
  EXPECT_OK(log.Stop());
}

TEST(CommitLog, FailedBackgroundSyncStopsWrites) {
  FakeWriter w;
  w.fail_syncs = true;
  CommitLog log(&w, FsyncPolicy::kEverysec, 0);
  log.Start();
  EXPECT_OK(Wait(log, log.Append(Put("a"))));
  for (int i = 0; i < 40 && log.healthy(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(log.healthy());
  EXPECT_EQ(Wait(log, log.Append(Put("b"))).code(), Status::Code::kLogFailed);
  (void)log.Stop();
}

TEST(CommitLog, StopSyncsWhatWasWritten) {
  FakeWriter w;
  CommitLog log(&w, FsyncPolicy::kNo, 0);
  log.Start();
  Lsn lsn = log.Append(Put("a"));
  EXPECT_OK(Wait(log, lsn));
  EXPECT_OK(log.Stop());
  EXPECT_EQ(w.explicit_syncs, 1);
  EXPECT_EQ(log.stats().durable_lsn, lsn);
}

}  // namespace
}  // namespace tally
