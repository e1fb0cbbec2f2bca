// Micro-benchmarks (Google Benchmark) for the parts of one request: parsing, the reply, and the
// keyspace over a real RocksDB store. They show where time goes inside tallyd; the end-to-end
// figures against Redis come from bench/compare.py.
//
//   build-release/bench/micro/tally_micro_bench [--benchmark_filter=Keyspace]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tally/protocol/reply_writer.h"
#include "tally/protocol/resp_parser.h"
#include "tally/storage/commit_log.h"
#include "tally/storage/keyspace.h"
#include "tally/storage/store.h"
#include "tally/storage/value_codec.h"

namespace tally {
namespace {

std::string Resp(const std::vector<std::string>& argv) {
  std::string s = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// What redis-benchmark -P 16 sends for INCR: 16 commands in one read.
void BM_ParseIncrPipeline(benchmark::State& state) {
  std::string input;
  for (int i = 0; i < 16; ++i) input += Resp({"INCR", "key:00000" + std::to_string(100000 + i)});
  RespParser parser;
  std::vector<std::string_view> args;
  for (auto _ : state) {
    std::string_view rest(input);
    while (!rest.empty()) {
      size_t consumed = 0;
      auto r = parser.Parse(rest, &consumed, &args);
      if (r != RespParser::Result::kOk) state.SkipWithError("parse failed");
      rest.remove_prefix(consumed);
    }
    benchmark::DoNotOptimize(args.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_ParseIncrPipeline);

void BM_ParseInline(benchmark::State& state) {
  const std::string input = "PING\r\n";
  RespParser parser;
  std::vector<std::string_view> args;
  for (auto _ : state) {
    size_t consumed = 0;
    benchmark::DoNotOptimize(parser.Parse(input, &consumed, &args));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseInline);

void BM_ReplyIntegers(benchmark::State& state) {
  std::string out;
  ReplyWriter writer(&out);
  for (auto _ : state) {
    out.clear();
    for (int64_t i = 0; i < 16; ++i) writer.Integer(1234567 + i);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_ReplyIntegers);

void BM_ReplyBulks(benchmark::State& state) {
  std::string out;
  ReplyWriter writer(&out);
  const std::string value(state.range(0), 'x');
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < 16; ++i) writer.Bulk(value);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_ReplyBulks)->Arg(3)->Arg(100);

// A keyspace over a real store in a temporary directory. appendfsync no: these measure the
// in-memory work and RocksDB's write path, not the disk.
class KeyspaceFixture : public benchmark::Fixture {
 public:
  void SetUp(const benchmark::State&) override {
    char tmpl[] = "/tmp/tally-micro-XXXXXX";
    dir_ = mkdtemp(tmpl);
    StoreOptions so;
    so.path = dir_ + "/db";
    store_ = std::move(*Store::Open(so));
    log_ = std::make_unique<CommitLog>(store_.get(), FsyncPolicy::kNo, store_->recovered_lsn());
    log_->Start();
    keyspace_ = std::make_unique<Keyspace>(store_.get(), log_.get(), KeyspaceOptions{});
  }
  void TearDown(const benchmark::State&) override {
    (void)log_->Stop();
    keyspace_.reset();
    log_.reset();
    (void)store_->Close();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

 protected:
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitLog> log_;
  std::unique_ptr<Keyspace> keyspace_;
};

std::vector<std::string> Keys(size_t n) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back("key:" + std::to_string(100000000 + i * 7919));
  return keys;
}

// INCR of keys already in the in-memory table (range(0) distinct keys), including the record
// appended to the commit log (whose thread writes RocksDB meanwhile).
BENCHMARK_DEFINE_F(KeyspaceFixture, IncrBy)(benchmark::State& state) {
  auto keys = Keys(state.range(0));
  for (const auto& k : keys) (void)keyspace_->IncrBy(0, k, 1);
  size_t i = 0;
  for (auto _ : state) {
    auto r = keyspace_->IncrBy(0, keys[i++ % keys.size()], 1);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_REGISTER_F(KeyspaceFixture, IncrBy)->Arg(1)->Arg(1000)->Arg(100000);

BENCHMARK_DEFINE_F(KeyspaceFixture, GetHit)(benchmark::State& state) {
  auto keys = Keys(state.range(0));
  for (const auto& k : keys) (void)keyspace_->IncrBy(0, k, 1);
  size_t i = 0;
  for (auto _ : state) {
    auto r = keyspace_->Get(0, keys[i++ % keys.size()]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_REGISTER_F(KeyspaceFixture, GetHit)->Arg(1000)->Arg(100000);

// A GET of a key that is nowhere: a table miss, a RocksDB lookup, a negative entry.
BENCHMARK_DEFINE_F(KeyspaceFixture, GetMiss)(benchmark::State& state) {
  size_t i = 0;
  std::string key;
  for (auto _ : state) {
    key = "missing:" + std::to_string(i++);
    auto r = keyspace_->Get(0, key);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_REGISTER_F(KeyspaceFixture, GetMiss);

// The commit thread's side: one RocksDB WriteBatch of range(0) INCR post-images (no fsync).
BENCHMARK_DEFINE_F(KeyspaceFixture, StoreWriteGroup)(benchmark::State& state) {
  const size_t group = state.range(0);
  auto keys = Keys(1000000);
  std::vector<Record> records(group);
  size_t next = 0;
  Lsn lsn = 1;
  for (auto _ : state) {
    for (auto& r : records) {
      r.kind = Record::Kind::kPut;
      r.key = keys[(next += 104729) % keys.size()];
      r.value.clear();
      EncodeValue("42", 0, &r.value);
      r.lsn = lsn++;
    }
    Status st = store_->Write(records, false);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * group);
}
BENCHMARK_REGISTER_F(KeyspaceFixture, StoreWriteGroup)->Arg(16)->Arg(256);

}  // namespace
}  // namespace tally

BENCHMARK_MAIN();
