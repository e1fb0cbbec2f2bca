// Config: every tallyd option, with its default, its parser and whether it can change at run
// time. Names are Redis's where the meaning is the same. Thread-safe: readers and CONFIG SET may
// race; integer-like values are atomics and strings are guarded by a mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tally/util/status.h"
#include "tally/util/thread_annotations.h"

namespace tally {

// Defaults are in config.cc's option table and in conf/tally.conf, which documents each.
enum class Opt : int {
  kPort,                     // Default: 6379
  kBind,                     // Default: "127.0.0.1" (space-separated list)
  kDir,                      // Default: "./tally-data"; RocksDB lives in <dir>/db
  kAppendfsync,              // Default: always (always | everysec | no)
  kAppendonly,               // Always "yes": Tally always logs. Read-only, for clients that ask.
  kSave,                     // Always "": no snapshots. Read-only, for clients that ask.
  kIoThreads,                // Default: 0 = one per core less one (at least 1)
  kDatabases,                // Default: 16 (1..252)
  kRequirepass,              // Default: "" (no password)
  kMaxclients,               // Default: 10000
  kTimeout,                  // Default: 0 (idle clients are never closed)
  kProtoMaxBulkLen,          // Default: 512mb
  kClientQueryBufferLimit,   // Default: 1gb
  kClientOutputBufferLimit,  // Default: 256mb (bytes of replies a client may leave unread)
  kClientOutputBufferLimitPubsub,  // Default: 32mb (bytes of messages a subscriber may leave
                                   // unread)
  kLoglevel,                       // Default: notice (debug | verbose | notice | warning)
  kLogfile,                        // Default: "" (standard output)
  kTableMaxMemory,                 // Default: 64mb (in-memory table budget)
  kRocksdbBlockCacheSize,          // Default: 64mb
  kRocksdbWriteBufferSize,         // Default: 64mb
  kDebugCommitDelayMs,       // Default: 0. Test-only: the commit thread sleeps this long per group
  kLogSegmentSize,           // Default: 16mb (a log segment past this size is sealed)
  kLogRetentionBytes,        // Default: 0 (sealed segments kept after RocksDB has them)
  kApplyMaxPendingBytes,     // Default: 64mb (records waiting for RocksDB before writers wait)
  kDebugApplyDelayMs,        // Default: 0. Test-only: the applier sleeps this long per batch
  kHttpPort,                 // Default: 7379 (the HTTP API; 0 turns it off)
  kHttpMaxHeaderBytes,       // Default: 16kb (request line and headers)
  kHttpMaxBodyBytes,         // Default: 1mb
  kHttpRequestTimeout,       // Default: 10 (seconds from a request's first byte to its last)
  kHttpIdleTimeout,          // Default: 120 (seconds a keep-alive connection may sit idle)
  kSlowlogLogSlowerThan,     // Default: 10000 (µs; negative: off, 0: every command)
  kSlowlogMaxLen,            // Default: 128
  kBackupDir,                // Default: "" (<dir>/backups): where SAVE and BGSAVE put backups
  kSupervised,               // Default: no (no | systemd | auto): sd_notify READY=1/STOPPING=1
  kLatencyMonitorThreshold,  // Default: 0 (ms; events at least this slow go to LATENCY; 0: off)
  kLatencyTracking,          // Default: yes (per-command latency percentiles, INFO latencystats)
  kLatencyTrackingInfoPercentiles,  // Default: "50 99 99.9"
  kIdempotencyWindow,       // Default: 86400 (seconds an IDMP request id and its reply are kept)
  kIdempotencyMaxIds,       // Default: 1000000 (ids kept at most; a new one past it is refused)
  kHistoryKeys,             // Default: "" (space-separated globs of keys that keep history)
  kHistoryResolution,       // Default: 1000 (ms; one sample per interval, the last value)
  kHistoryRetention,        // Default: 604800 (seconds a sample is kept)
  kHistoryKeepOnDelete,     // Default: yes (no: TALLY.HISTORY shows nothing before a DEL)
  kNotifyKeyspaceEvents,    // Default: "" (Redis's event classes, notify_flags.h: "KEA" = all)
  kBusyReplyThreshold,      // Default: 5000 (ms a script runs before others get -BUSY; alias
                            // lua-time-limit)
  kAclfile,                 // Default: "" (no ACL file: ACL SAVE/LOAD refused)
  kTlsPort,                 // Default: 0 (no TLS listener); RESP over TLS on this port
  kTlsCertFile,             // Default: "" (PEM certificate chain of the server)
  kTlsKeyFile,              // Default: "" (PEM private key of tls-cert-file)
  kTlsKeyFilePass,          // Default: "" (passphrase of tls-key-file, if it is encrypted)
  kTlsCaCertFile,           // Default: "" (CAs that client certificates must chain to)
  kTlsCaCertDir,            // Default: "" (a hashed directory of such CAs)
  kTlsAuthClients,          // Default: yes (yes | no | optional: is a client certificate required)
  kTlsProtocols,            // Default: "" (= "TLSv1.2 TLSv1.3")
  kTlsCiphers,              // Default: "" (OpenSSL's default TLSv1.2 cipher list)
  kTlsCiphersuites,         // Default: "" (OpenSSL's default TLSv1.3 suites)
  kTlsPreferServerCiphers,  // Default: no (yes: the server's cipher order wins)
  kCount
};

// The options a TLS context is built from (all but tls-port); they may change at run time.
inline bool IsTlsOption(Opt o) {
  return static_cast<int>(o) > static_cast<int>(Opt::kTlsPort) &&
         static_cast<int>(o) <= static_cast<int>(Opt::kTlsPreferServerCiphers);
}

class Config {
 public:
  Config();
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  // Loads redis.conf-style lines: "directive arg...", '#' comments. On error the message names
  // the line number, the line and the reason, and nothing after that line is applied.
  Status LoadFile(const std::string& path);
  // Loads the text of a config file (what LoadFile reads); `origin` names it in errors.
  Status LoadText(std::string_view text, std::string_view origin);
  // Applies command-line overrides: ["--port", "7000", "--bind", "0.0.0.0", ...].
  Status LoadArgs(const std::vector<std::string>& args);

  // Sets one option by name (case-insensitive). With `at_runtime`, options that cannot change
  // while running are refused ("can't set immutable config"), and the change is applied as
  // SetAtRuntime applies it. Errors carry Redis's reason text.
  Status Set(std::string_view name, std::string_view value, bool at_runtime);
  // Redis 7's CONFIG SET: several options changed at run time, all or nothing. Every value is
  // checked and stored first, then the listener applies each option (so a certificate and its
  // key change together); if a value is refused or the listener fails, every option gets its
  // old value back (re-applied) and `*failed` is the index of the pair the error is about.
  using NameValue = std::pair<std::string_view, std::string_view>;
  Status SetAtRuntime(std::span<const NameValue> pairs, size_t* failed);
  // True if `name` is an option (case-insensitive).
  static bool Known(std::string_view name);
  // (name, value) of every option whose name matches the glob, values formatted as Redis does.
  std::vector<std::pair<std::string, std::string>> Get(std::string_view pattern) const;

  int64_t Int(Opt o) const { return ints_[static_cast<int>(o)].load(std::memory_order_relaxed); }
  std::string Str(Opt o) const;

  // What CONFIG REWRITE writes: for every option a file may set, its name, its line ("name
  // value", memory in kb/mb/gb where exact, the value quoted only where it must be) and
  // whether the value is the default.
  struct RewriteLine {
    std::string name, line;
    bool is_default = false;
  };
  std::vector<RewriteLine> RewriteLines() const;

  // The `user <name> <rules...>` lines of the files and arguments loaded, in order (Redis's ACL
  // users declared in the config; the server applies them, config.h knows no rules).
  struct UserLine {
    std::vector<std::string> words;  // the name, then the rules
    std::string where;               // "<file>, at line <n>"
    std::string text;                // the line as written
  };
  std::vector<UserLine> user_lines() const LOCKS_EXCLUDED(mu_);

  // Called (on the thread of Set) after an option changed at run time; an error refuses the
  // change (the old value is restored).
  void SetListener(std::function<Status(Opt)> listener);

 private:
  // Parses and stores a value; no listener.
  Status Assign(std::string_view name, std::string_view value, bool at_runtime);

  std::array<std::atomic<int64_t>, static_cast<int>(Opt::kCount)> ints_{};
  mutable Mutex mu_;
  std::array<std::string, static_cast<int>(Opt::kCount)> strs_ GUARDED_BY(mu_);
  std::function<Status(Opt)> listener_ GUARDED_BY(mu_);
  std::vector<UserLine> user_lines_ GUARDED_BY(mu_);
};

// CONFIG REWRITE (config_rewrite.cc): `old_text` with each option's first line set to its
// current value, later duplicates dropped, comments and order kept, non-default options it
// lacks appended after "# Generated by CONFIG REWRITE". An option may have several lines
// (`user`): they take the places of its old lines in order, the rest of which are dropped; one
// with an empty `line` only drops the option's old lines.
std::string RewriteConfigText(std::string_view old_text,
                              const std::vector<Config::RewriteLine>& lines);
// Rewrites the file at `path` so (atomically: temporary file, fsync, rename). The error's
// message is the system's reason.
// `extra` are lines of options Config does not hold (`user`), as RewriteConfigText takes them.
Status RewriteConfigFile(const std::string& path, const Config& config,
                         const std::vector<Config::RewriteLine>& extra = {});

// The appendfsync policies as stored in Int(Opt::kAppendfsync).
enum class FsyncPolicy : int64_t { kAlways = 0, kEverysec = 1, kNo = 2 };
const char* FsyncPolicyName(FsyncPolicy p);

}  // namespace tally
