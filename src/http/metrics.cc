#include "metrics.h"

#include "tally/server/server.h"
#include "tally/util/clock.h"

namespace tally {
namespace {

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  // # HELP and # TYPE lines of a family.
  void Family(const char* name, const char* type, const char* help) {
    out_->append("# HELP ").append(name).append(" ").append(help).push_back('\n');
    out_->append("# TYPE ").append(name).append(" ").append(type).push_back('\n');
  }
  void Sample(const char* name, const std::string& labels, double value) {
    out_->append(name);
    if (!labels.empty()) out_->append("{").append(labels).append("}");
    char buf[48];
    snprintf(buf, sizeof(buf), " %.17g\n", value);
    out_->append(buf);
  }
  void One(const char* name, const char* type, const char* help, double value) {
    Family(name, type, help);
    Sample(name, "", value);
  }
  std::string* out() { return out_; }

 private:
  std::string* out_;
};

// name="value"
std::string Label(const char* name, std::string_view value) {
  std::string out(name);
  out.append("=\"").append(value).append("\"");
  return out;
}

void Commands(Writer& w, const CommandTable& table) {
  std::vector<const CommandSpec*> specs;
  for (const auto& spec : table.all()) {
    specs.push_back(spec.get());
    for (const auto& sub : spec->subcommands) specs.push_back(&sub);
  }
  w.Family("tally_commands_total", "counter", "Commands executed, by command.");
  for (const CommandSpec* s : specs)
    if (s->calls.value())
      w.Sample("tally_commands_total", Label("command", s->name),
               static_cast<double>(s->calls.value()));
  w.Family("tally_command_errors_total", "counter", "Commands that replied with an error.");
  for (const CommandSpec* s : specs)
    if (s->failed.value())
      w.Sample("tally_command_errors_total", Label("command", s->name),
               static_cast<double>(s->failed.value()));
}

}  // namespace

std::string RenderMetrics(Server& server) {
  std::string out;
  Writer w(&out);
  Commands(w, server.commands());
  w.Family("tally_request_duration_seconds", "histogram",
           "Time from a request's arrival to its reply being sent, durability wait included.");
  server.resp_latency().Render("tally_request_duration_seconds", "protocol=\"resp\"", &out);
  server.http_latency().Render("tally_request_duration_seconds", "protocol=\"http\"", &out);
  CommitLog& log = server.commit_log();
  w.Family("tally_group_commit_records", "histogram", "Records per group written to the log.");
  log.group_sizes().Render("tally_group_commit_records", "", &out);
  w.Family("tally_fsync_duration_seconds", "histogram", "Latency of the log's fsyncs.");
  log.fsync_seconds().Render("tally_fsync_duration_seconds", "", &out);
  w.Family("tally_lsn", "gauge", "Log sequence numbers: written, durable (acknowledged), applied.");
  w.Sample("tally_lsn", "state=\"written\"", static_cast<double>(log.written_lsn()));
  w.Sample("tally_lsn", "state=\"durable\"", static_cast<double>(log.ack_lsn()));
  w.Sample("tally_lsn", "state=\"applied\"", static_cast<double>(log.applied_lsn()));
  w.One("tally_log_healthy", "gauge", "1 while the write-ahead log accepts writes.",
        log.healthy() ? 1 : 0);
  Keyspace& ks = server.keyspace();
  const std::vector<KeyCounts> counts = ks.AllCounts();
  w.Family("tally_keys", "gauge", "Keys per database.");
  for (size_t db = 0; db < counts.size(); ++db)
    if (counts[db].keys > 0)
      w.Sample("tally_keys", Label("db", std::to_string(db)), static_cast<double>(counts[db].keys));
  w.Family("tally_keys_with_expiry", "gauge", "Keys with a TTL per database.");
  for (size_t db = 0; db < counts.size(); ++db)
    if (counts[db].keys > 0)
      w.Sample("tally_keys_with_expiry", Label("db", std::to_string(db)),
               static_cast<double>(counts[db].expires));
  w.One("tally_expired_keys_total", "counter", "Keys deleted because their TTL passed.",
        static_cast<double>(ks.expired_keys()));
  const Store::MemoryUsage mem = server.store().memory();
  w.Family("tally_memory_bytes", "gauge", "Memory by use.");
  w.Sample("tally_memory_bytes", "kind=\"table\"", static_cast<double>(ks.table_bytes()));
  w.Sample("tally_memory_bytes", "kind=\"rocksdb_memtables\"", static_cast<double>(mem.memtables));
  w.Sample("tally_memory_bytes", "kind=\"rocksdb_block_cache\"",
           static_cast<double>(mem.block_cache));
  const ServerStats st = server.stats();
  w.One("tally_connected_clients", "gauge", "Open connections (RESP and HTTP).",
        static_cast<double>(st.connected_clients));
  w.One("tally_connections_total", "counter", "Connections accepted.",
        static_cast<double>(st.total_connections));
  w.One("tally_rejected_connections_total", "counter", "Connections refused (maxclients).",
        static_cast<double>(st.rejected_connections));
  w.One("tally_net_input_bytes_total", "counter", "Bytes read from clients.",
        static_cast<double>(st.net_input_bytes));
  w.One("tally_net_output_bytes_total", "counter", "Bytes written to clients.",
        static_cast<double>(st.net_output_bytes));
  w.One("tally_uptime_seconds", "gauge", "Seconds since start.",
        static_cast<double>(NowMs() - st.start_time_ms) / 1000.0);
  return out;
}

}  // namespace tally
