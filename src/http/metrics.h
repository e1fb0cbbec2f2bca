// RenderMetrics: GET /metrics, tallyd's state in Prometheus's text exposition format (0.0.4):
// commands and failed commands by name, request latency (RESP and HTTP), group-commit sizes,
// fsync latency, the written/durable/applied LSNs, keys per database, expired keys, memory
// (table, RocksDB memtables and block cache), connections and bytes in and out.
#pragma once

#include <string>

namespace tally {

class Server;

std::string RenderMetrics(Server& server);

}  // namespace tally
