// tallyd: the durable Redis-compatible counter server.
// Usage: tallyd [config-file] [--option value ...]   (command-line options override the file)
#include <cstdio>
#include <string>
#include <vector>

#include "tally/server/server.h"
#include "tally/util/config.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    std::printf("tallyd v=%s (Redis protocol 7.0 compatible)\n", TALLY_VERSION);
    return 0;
  }
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::printf("Usage: tallyd [config-file] [--option value ...]\n");
    return 0;
  }
  tally::Config config;
  std::string config_file;
  if (!args.empty() && args[0].rfind("--", 0) != 0) {
    config_file = args[0];
    args.erase(args.begin());
    tally::Status st = config.LoadFile(config_file);
    if (!st.ok()) {
      std::fprintf(stderr, "\n%s\n", st.message().c_str());
      return 1;
    }
  }
  tally::Status st = config.LoadArgs(args);
  if (!st.ok()) {
    std::fprintf(stderr, "\n%s\n", st.message().c_str());
    return 1;
  }
  auto server = tally::Server::Create(&config, config_file, argv[0]);
  if (!server.ok()) {
    std::fprintf(stderr, "tallyd: %s\n", server.status().ToString().c_str());
    return 1;
  }
  st = (*server)->Run();
  if (!st.ok()) {
    std::fprintf(stderr, "tallyd: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
