// tallyd: the durable Redis-compatible counter server.
// Usage: tallyd [config-file] [--option value ...]   (command-line options override the file)
//        tallyd --test-config config-file             (checks it, exits non-zero naming the
//                                                      bad line)
//        tallyd --restore BACKUP [config-file] [--dir DIR]   (fills an empty DIR, exits)
//        tallyd --import-rdb dump.rdb [config-file] [--dir DIR]  (loads it into an empty DIR)
#include <cstdio>
#include <string>
#include <vector>

#include "tally/rdb/rdb_import.h"
#include "tally/server/server.h"
#include "tally/storage/backup.h"
#include "tally/util/config.h"

#ifdef TALLY_JEMALLOC
// jemalloc's built-in options (MALLOC_CONF still overrides them). Transparent huge pages for its
// arenas: the table's entries are spread over hundreds of MiB, and with 4 KiB pages a restart
// that fills the table from the log spent a third of its time in page faults, and lookups miss
// the TLB (bench/README.md). The kernel's default THP mode, madvise, honours this.
extern "C" const char* malloc_conf = "thp:always";
#endif

namespace {

int Restore(const std::string& backup, const tally::Config& config) {
  const std::string dir = config.Str(tally::Opt::kDir);
  auto lsn =
      tally::RestoreBackup(backup, dir, static_cast<int>(config.Int(tally::Opt::kDatabases)));
  if (!lsn.ok()) {
    std::fprintf(stderr, "tallyd: restore failed: %s\n", lsn.status().ToString().c_str());
    return 1;
  }
  std::printf("tallyd: restored %s into %s (LSN %llu); start tallyd with dir %s\n", backup.c_str(),
              dir.c_str(), static_cast<unsigned long long>(*lsn), dir.c_str());
  return 0;
}

int Import(const std::string& rdb, const tally::Config& config) {
  auto report = tally::ImportRdb(rdb, config);
  if (!report.ok()) {
    std::fprintf(stderr, "tallyd: import of %s failed: %s\n", rdb.c_str(),
                 report.status().ToString().c_str());
    return 1;
  }
  std::printf("tallyd: imported %s into %s (LSN %llu)\n%s", rdb.c_str(),
              config.Str(tally::Opt::kDir).c_str(), static_cast<unsigned long long>(report->lsn),
              tally::FormatReport(*report).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    std::printf("tallyd v=%s (Redis protocol 7.0 compatible)\n", TALLY_VERSION);
    return 0;
  }
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::printf(
        "Usage: tallyd [config-file] [--option value ...]\n"
        "       tallyd --test-config config-file [--option value ...]\n"
        "       tallyd --restore BACKUP_DIR [config-file] [--dir DIR]\n"
        "       tallyd --import-rdb dump.rdb [config-file] [--dir DIR]\n"
        "       tallyd -v | --version\n\n"
        "Options (command-line values override the file; conf/tally.conf documents each):\n");
    tally::Config defaults;
    for (const auto& [name, value] : defaults.Get("*"))
      std::printf("  --%s %s\n", name.c_str(), value.empty() ? "\"\"" : value.c_str());
    return 0;
  }
  const bool test_config = !args.empty() && args[0] == "--test-config";
  if (test_config) {
    args.erase(args.begin());
    if (args.empty() || args[0].rfind("--", 0) == 0) {
      std::fprintf(stderr, "tallyd: --test-config needs a config file\n");
      return 1;
    }
  }
  // --restore BACKUP and --import-rdb FILE run once and exit.
  std::string mode, source;
  if (!args.empty() && (args[0] == "--restore" || args[0] == "--import-rdb")) {
    if (args.size() < 2) {
      std::fprintf(stderr, "tallyd: %s needs a path\n", args[0].c_str());
      return 1;
    }
    mode = args[0];
    source = args[1];
    args.erase(args.begin(), args.begin() + 2);
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
  if (test_config) {
    std::printf("tallyd: configuration file %s is OK\n", config_file.c_str());
    return 0;
  }
  if (mode == "--restore") return Restore(source, config);
  if (mode == "--import-rdb") return Import(source, config);
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
