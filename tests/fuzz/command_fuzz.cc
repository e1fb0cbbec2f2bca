// libFuzzer target: whole command sequences (parsed by the real parser) run through the real
// command table over a real keyspace and RocksDB store in a temporary directory. Nothing may
// crash, hang or trip a sanitizer, whatever the commands and arguments.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tally/commands/command_table.h"
#include "tally/protocol/resp_parser.h"

namespace {

class FuzzServer : public tally::ServerContext {
 public:
  FuzzServer() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tally-fuzz-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    (void)config_.Set("proto-max-bulk-len", "1mb", false);
    tally::StoreOptions so;
    so.path = dir_ + "/db";
    store_ = std::move(*tally::Store::Open(so));
    log_ = std::make_unique<tally::CommitLog>(store_.get(), tally::FsyncPolicy::kNo, 0);
    log_->Start();
    keyspace_ =
        std::make_unique<tally::Keyspace>(store_.get(), log_.get(), tally::KeyspaceOptions{});
    table_ = tally::BuildCommandTable();
  }
  tally::Config& config() override { return config_; }
  tally::Keyspace& keyspace() override { return *keyspace_; }
  tally::CommitLog& commit_log() override { return *log_; }
  tally::ServerStats stats() override { return {}; }
  void ForEachSession(tally::FunctionRef<void(const tally::Session&)>) override {}
  void RequestShutdown() override {}
  const tally::CommandTable& table() { return *table_; }

 private:
  std::string dir_;
  tally::Config config_;
  std::unique_ptr<tally::Store> store_;
  std::unique_ptr<tally::CommitLog> log_;
  std::unique_ptr<tally::Keyspace> keyspace_;
  std::unique_ptr<tally::CommandTable> table_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FuzzServer* server = new FuzzServer();  // one store for the whole run
  tally::RespParser parser;
  tally::Session session;
  session.authenticated = true;
  std::string out;
  tally::ReplyWriter writer(&out);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  while (!input.empty()) {
    size_t consumed = 0;
    if (parser.Parse(input, &consumed, &args) != tally::RespParser::Result::kOk) break;
    input.remove_prefix(consumed);
    if (args.empty()) continue;
    tally::CommandContext ctx{args, session, writer, *server};
    server->table().Dispatch(ctx);
    if (session.close_now || session.close_after_reply) break;
    if (out.size() > (1 << 20)) out.clear();
  }
  tally::ResetTransaction(session, server->keyspace());
  return 0;
}
