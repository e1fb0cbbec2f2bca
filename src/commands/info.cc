#include "info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "tally/commands/command_table.h"
#include "tally/commands/scripting.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

#ifndef TALLY_VERSION
#define TALLY_VERSION "0.1.0"
#endif

namespace tally {
namespace {

constexpr const char* kSectionOrder[] = {
    "server",  "clients",      "memory",     "persistence",  "stats",   "replication", "cpu",
    "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"};
// Sections that only "all", "everything" or their own name ask for (Redis 7).
bool NonDefault(std::string_view name) { return name == "commandstats" || name == "latencystats"; }

struct Builder {
  std::string out;
  void Line(std::string_view key, std::string_view value) {
    out.append(key);
    out.push_back(':');
    out.append(value);
    out.append("\r\n");
  }
  void Line(std::string_view key, int64_t value) { Line(key, std::to_string(value)); }
  void Line(std::string_view key, uint64_t value) { Line(key, std::to_string(value)); }
  void Line(std::string_view key, int value) { Line(key, std::to_string(value)); }
};

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::string Human(int64_t bytes) {
  char buf[32];
  double b = static_cast<double>(bytes);
  if (b < 1024)
    snprintf(buf, sizeof(buf), "%lldB", static_cast<long long>(bytes));
  else if (b < 1024.0 * 1024)
    snprintf(buf, sizeof(buf), "%.2fK", b / 1024);
  else if (b < 1024.0 * 1024 * 1024)
    snprintf(buf, sizeof(buf), "%.2fM", b / 1024 / 1024);
  else
    snprintf(buf, sizeof(buf), "%.2fG", b / 1024 / 1024 / 1024);
  return buf;
}

void Server(Builder& b, ServerContext& s, const ServerStats& st) {
  utsname u{};
  uname(&u);
  int64_t uptime = (NowMs() - st.start_time_ms) / 1000;
  b.Line("redis_version", "7.0.15");
  b.Line("tally_version", TALLY_VERSION);
  b.Line("redis_git_sha1", "00000000");
  b.Line("redis_git_dirty", "0");
  b.Line("redis_mode", "standalone");
  b.Line("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  b.Line("arch_bits", "64");
  b.Line("multiplexing_api", "epoll");
  b.Line("process_id", static_cast<int64_t>(getpid()));
  b.Line("process_supervised", "no");
  b.Line("run_id", st.run_id);
  b.Line("tcp_port", st.port);
  b.Line("server_time_usec", NowUs());
  b.Line("uptime_in_seconds", uptime);
  b.Line("uptime_in_days", uptime / 86400);
  b.Line("hz", "10");
  b.Line("configured_hz", "10");
  b.Line("executable", st.executable);
  b.Line("config_file", st.config_file);
  b.Line("io_threads_active", st.io_threads > 1 ? 1 : 0);
  b.Line("io_threads", st.io_threads);
}

void Clients(Builder& b, ServerContext& s, const ServerStats& st) {
  b.Line("connected_clients", st.connected_clients);
  b.Line("cluster_connections", "0");
  b.Line("maxclients", s.config().Int(Opt::kMaxclients));
  b.Line("blocked_clients", "0");
  b.Line("tracking_clients", "0");
}

void Memory(Builder& b, ServerContext& s, Keyspace& ks) {
  int64_t rss = RssBytes();
  int64_t table = static_cast<int64_t>(ks.table_bytes());
  b.Line("used_memory", rss);
  b.Line("used_memory_human", Human(rss));
  b.Line("used_memory_rss", rss);
  b.Line("used_memory_rss_human", Human(rss));
  const ScriptEngine* scripts = s.scripts();
  const int64_t lua = scripts ? static_cast<int64_t>(scripts->memory()) : 0;
  b.Line("used_memory_lua", lua);
  b.Line("used_memory_vm_eval", lua);
  b.Line("used_memory_lua_human", Human(lua));
  b.Line("number_of_cached_scripts", scripts ? static_cast<int64_t>(scripts->cached()) : 0);
  b.Line("tally_table_bytes", table);
  b.Line("tally_table_max_memory", s.config().Int(Opt::kTableMaxMemory));
  b.Line("tally_history_samples", ks.system_keys(kHistoryDb));
  b.Line("tally_idempotency_ids", ks.system_keys(kIdempotencyDb));
  b.Line("maxmemory", "0");
  b.Line("maxmemory_policy", "noeviction");
  b.Line("mem_allocator", "libc");
}

void Persistence(Builder& b, ServerContext& s) {
  CommitLogStats c = s.commit_log().stats();
  // The rdb_* fields describe backups (SAVE, BGSAVE) with Redis's meanings; a change is a
  // log record.
  BackupState bs = s.backups().state();
  const int64_t now = NowMs();
  b.Line("loading", "0");
  b.Line("async_loading", "0");
  b.Line("rdb_changes_since_last_save",
         c.last_lsn > bs.last_save_lsn ? c.last_lsn - bs.last_save_lsn : 0);
  b.Line("rdb_bgsave_in_progress", bs.in_progress ? 1 : 0);
  b.Line("rdb_last_save_time", bs.last_save_ms / 1000);
  b.Line("rdb_last_bgsave_status", bs.last_error.empty() ? "ok" : "err");
  b.Line("rdb_last_bgsave_time_sec",
         bs.last_duration_ms < 0 ? int64_t{-1} : (bs.last_duration_ms + 500) / 1000);
  b.Line("rdb_current_bgsave_time_sec",
         bs.in_progress ? (now - bs.current_start_ms) / 1000 : int64_t{-1});
  b.Line("rdb_saves", bs.saves);
  b.Line("aof_enabled", "1");
  b.Line("aof_rewrite_in_progress", "0");
  b.Line("aof_rewrite_scheduled", "0");
  b.Line("aof_last_write_status", s.commit_log().healthy() ? "ok" : "err");
  b.Line("appendfsync", FsyncPolicyName(s.commit_log().policy()));
  b.Line("tally_last_lsn", c.last_lsn);
  b.Line("tally_written_lsn", c.written_lsn);
  b.Line("tally_durable_lsn", c.durable_lsn);
  b.Line("tally_fsyncs", c.fsyncs);
  b.Line("tally_commit_groups", c.groups);
  char avg[32];
  snprintf(avg, sizeof(avg), "%.2f", c.groups ? static_cast<double>(c.records) / c.groups : 0.0);
  b.Line("tally_avg_group_size", avg);
  b.Line("tally_fsync_p99_usec", c.fsync_p99_usec);
  b.Line("tally_write_errors", c.write_errors);
  if (const Applier* applier = s.commit_log().applier()) {
    ApplierStats a = applier->stats();
    b.Line("tally_applied_lsn", a.applied_lsn);
    b.Line("tally_apply_batches", a.batches);
    b.Line("tally_apply_pending_bytes", a.pending_bytes);
    b.Line("tally_apply_writer_waits", a.writer_waits);
    b.Line("tally_checkpoints", a.checkpoints);
    b.Line("tally_log_segments", a.log.segments);
    b.Line("tally_log_bytes", a.log.bytes);
    b.Line("tally_log_purged_segments", a.log.purged_segments);
  }
  b.Line("tally_last_backup", bs.last_path);
  b.Line("tally_last_backup_error", bs.last_error);
}

void Stats(Builder& b, ServerContext& s, const ServerStats& st, const CommandTable* table) {
  b.Line("total_connections_received", st.total_connections);
  b.Line("total_commands_processed", st.total_commands);
  b.Line("total_net_input_bytes", st.net_input_bytes);
  b.Line("total_net_output_bytes", st.net_output_bytes);
  b.Line("rejected_connections", st.rejected_connections);
  b.Line("expired_keys", s.keyspace().expired_keys());
  b.Line("evicted_keys", "0");
  b.Line("keyspace_hits", "0");
  b.Line("keyspace_misses", "0");
  b.Line("pubsub_channels", "0");
  b.Line("pubsub_patterns", "0");
  if (table) b.Line("total_error_replies", table->error_stats().total());
}

void Replication(Builder& b) {
  b.Line("role", "master");
  b.Line("connected_slaves", "0");
  b.Line("master_failover_state", "no-failover");
  b.Line("master_replid", "0000000000000000000000000000000000000000");
  b.Line("master_repl_offset", "0");
  b.Line("repl_backlog_active", "0");
}

void Cpu(Builder& b) {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  char buf[64];
  snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(self.ru_stime.tv_sec),
           static_cast<long>(self.ru_stime.tv_usec));
  b.Line("used_cpu_sys", buf);
  snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(self.ru_utime.tv_sec),
           static_cast<long>(self.ru_utime.tv_usec));
  b.Line("used_cpu_user", buf);
  b.Line("used_cpu_sys_children", "0.000000");
  b.Line("used_cpu_user_children", "0.000000");
}

void Keyspace_(Builder& b, Keyspace& ks) {
  const std::vector<KeyCounts> counts = ks.AllCounts();
  for (int db = 0; db < ks.databases(); ++db) {
    const KeyCounts& c = counts[db];
    if (c.keys <= 0) continue;
    int64_t avg_ttl = c.expires > 0 ? ks.AverageTtl(static_cast<DbIndex>(db), NowMs()) : 0;
    b.Line("db" + std::to_string(db), "keys=" + std::to_string(c.keys) +
                                          ",expires=" + std::to_string(c.expires) +
                                          ",avg_ttl=" + std::to_string(avg_ttl));
  }
}

// cmdstat_<name>:calls=,usec=,usec_per_call=,rejected_calls=,failed_calls= for every command
// (and subcommand) used since start, as Redis 7 prints them.
void CommandStats(Builder& b, const CommandTable& table) {
  auto line = [&](const CommandSpec& c) {
    const uint64_t calls = c.calls.value(), usec = c.usec.value();
    if (calls == 0 && c.rejected.value() == 0 && c.failed.value() == 0) return;
    char buf[160];
    snprintf(buf, sizeof(buf),
             "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
             "failed_calls=%llu",
             static_cast<unsigned long long>(calls), static_cast<unsigned long long>(usec),
             calls ? static_cast<double>(usec) / static_cast<double>(calls) : 0.0,
             static_cast<unsigned long long>(c.rejected.value()),
             static_cast<unsigned long long>(c.failed.value()));
    b.Line("cmdstat_" + c.name, buf);
  };
  for (const auto& c : table.all()) {
    line(*c);
    for (const auto& sub : c->subcommands) line(sub);
  }
}

// latency_percentiles_usec_<name>:p50=..,p99=..,p99.9=.. (latency-tracking-info-percentiles)
// for every command run since start, as Redis 7 prints them.
void LatencyStats(Builder& b, const CommandTable& table, const Config& config) {
  if (!config.Int(Opt::kLatencyTracking)) return;
  std::vector<std::pair<std::string, double>> percentiles;
  auto words = SplitArgs(config.Str(Opt::kLatencyTrackingInfoPercentiles));
  for (const std::string& word : words.value_or(std::vector<std::string>())) {
    auto v = ParseLongDouble(word);
    if (!v || *v < 0 || *v > 100) continue;
    char label[64];
    snprintf(label, sizeof(label), "%f", static_cast<double>(*v));  // trimmed as Redis does
    std::string l = label;
    while (l.find('.') != std::string::npos && (l.back() == '0' || l.back() == '.')) {
      const bool dot = l.back() == '.';
      l.pop_back();
      if (dot) break;
    }
    percentiles.emplace_back("p" + l, static_cast<double>(*v));
  }
  auto line = [&](const CommandSpec& c) {
    if (c.latency->count() == 0) return;
    std::string value;
    for (const auto& [label, p] : percentiles) {
      char buf[64];
      snprintf(buf, sizeof(buf), "%s=%.3f", label.c_str(),
               static_cast<double>(c.latency->ValueAt(p)));
      if (!value.empty()) value.push_back(',');
      value.append(buf);
    }
    b.Line("latency_percentiles_usec_" + c.name, value);
  };
  for (const auto& c : table.all()) {
    line(*c);
    for (const auto& sub : c->subcommands) line(sub);
  }
}

}  // namespace

std::string BuildInfo(ServerContext& server, Keyspace& keyspace, const CommandTable* table,
                      std::span<const std::string_view> sections) {
  std::set<std::string> wanted;
  bool all = sections.empty();
  bool everything = false;
  for (auto s : sections) {
    std::string lower = ToLower(s);
    if (lower == "all" || lower == "everything" || lower == "default") all = true;
    if (lower == "all" || lower == "everything") everything = true;
    wanted.insert(lower);
  }
  ServerStats st = server.stats();
  Builder b;
  int count = 0;
  for (const char* name : kSectionOrder) {
    const bool asked = wanted.count(name) || (NonDefault(name) ? everything : all);
    const std::string_view n = name;
    const bool needs_table = n == "commandstats" || n == "errorstats" || n == "latencystats";
    if (!asked || (needs_table && table == nullptr)) continue;
    if (count++) b.out.append("\r\n");
    std::string title = name;
    title[0] = static_cast<char>(std::toupper(title[0]));
    if (title == "Cpu") title = "CPU";
    b.out.append("# " + title + "\r\n");
    if (n == "server")
      Server(b, server, st);
    else if (n == "clients")
      Clients(b, server, st);
    else if (n == "memory")
      Memory(b, server, keyspace);
    else if (n == "persistence")
      Persistence(b, server);
    else if (n == "stats")
      Stats(b, server, st, table);
    else if (n == "replication")
      Replication(b);
    else if (n == "cpu")
      Cpu(b);
    else if (n == "cluster")
      b.Line("cluster_enabled", "0");
    else if (n == "keyspace")
      Keyspace_(b, keyspace);
    else if (n == "commandstats")
      CommandStats(b, *table);
    else if (n == "latencystats")
      LatencyStats(b, *table, server.config());
    else if (n == "errorstats")
      for (const auto& [code, count] : table->error_stats().counts())
        b.Line("errorstat_" + code, "count=" + std::to_string(count));
  }
  return b.out;
}

}  // namespace tally
