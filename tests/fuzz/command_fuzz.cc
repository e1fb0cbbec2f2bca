// libFuzzer target: whole command sequences (parsed by the real parser) run through the real
// command table over a real keyspace and RocksDB store in a temporary directory. Nothing may
// crash, hang or trip a sanitizer, whatever the commands and arguments.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_server.h"
#include "tally/protocol/resp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tally::FuzzServer* server = new tally::FuzzServer();  // one store for the whole run
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
