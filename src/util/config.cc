#include "tally/util/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "tally/util/notify_flags.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

enum class Kind { kInt, kMemory, kBool, kEnum, kString, kReadOnly, kNotify };

struct OptionSpec {
  Opt opt;
  const char* name;
  Kind kind;
  const char* default_value;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<const char*> choices = {};
  bool runtime = false;  // may change with CONFIG SET
};

const std::vector<OptionSpec>& Specs() {
  static const std::vector<OptionSpec> specs = {
      {Opt::kPort, "port", Kind::kInt, "6379", 0, 65535},
      {Opt::kBind, "bind", Kind::kString, "127.0.0.1 -::1"},
      {Opt::kDir, "dir", Kind::kString, "./tally-data"},
      {Opt::kAppendfsync,
       "appendfsync",
       Kind::kEnum,
       "always",
       0,
       0,
       {"always", "everysec", "no"},
       true},
      {Opt::kAppendonly, "appendonly", Kind::kReadOnly, "yes"},
      {Opt::kSave, "save", Kind::kReadOnly, ""},
      {Opt::kIoThreads, "io-threads", Kind::kInt, "0", 0, 128},
      {Opt::kDatabases, "databases", Kind::kInt, "16", 1, 252},
      {Opt::kRequirepass, "requirepass", Kind::kString, "", 0, 0, {}, true},
      {Opt::kMaxclients, "maxclients", Kind::kInt, "10000", 1, 1000000, {}, true},
      {Opt::kTimeout, "timeout", Kind::kInt, "0", 0, 2147483647, {}, true},
      {Opt::kProtoMaxBulkLen,
       "proto-max-bulk-len",
       Kind::kMemory,
       "512mb",
       1024 * 1024,
       INT64_MAX,
       {},
       true},
      {Opt::kClientQueryBufferLimit,
       "client-query-buffer-limit",
       Kind::kMemory,
       "1gb",
       1024 * 1024,
       INT64_MAX,
       {},
       true},
      {Opt::kClientOutputBufferLimit,
       "client-output-buffer-limit-bytes",
       Kind::kMemory,
       "256mb",
       64 * 1024,
       INT64_MAX,
       {},
       true},
      {Opt::kClientOutputBufferLimitPubsub,
       "client-output-buffer-limit-pubsub-bytes",
       Kind::kMemory,
       "32mb",
       64 * 1024,
       INT64_MAX,
       {},
       true},
      {Opt::kLoglevel,
       "loglevel",
       Kind::kEnum,
       "notice",
       0,
       0,
       {"debug", "verbose", "notice", "warning"},
       true},
      {Opt::kLogfile, "logfile", Kind::kString, ""},
      {Opt::kTableMaxMemory,
       "table-max-memory",
       Kind::kMemory,
       "64mb",
       1024 * 1024,
       INT64_MAX,
       {},
       true},
      {Opt::kRocksdbBlockCacheSize, "rocksdb-block-cache-size", Kind::kMemory, "64mb", 0,
       INT64_MAX},
      {Opt::kRocksdbWriteBufferSize, "rocksdb-write-buffer-size", Kind::kMemory, "64mb",
       1024 * 1024, INT64_MAX},
      {Opt::kDebugCommitDelayMs, "debug-commit-delay-ms", Kind::kInt, "0", 0, 60000, {}, true},
      {Opt::kLogSegmentSize, "log-segment-size", Kind::kMemory, "16mb", 64 * 1024, INT64_MAX},
      {Opt::kLogRetentionBytes, "log-retention-bytes", Kind::kMemory, "0", 0, INT64_MAX},
      {Opt::kApplyMaxPendingBytes, "apply-max-pending-bytes", Kind::kMemory, "64mb", 64 * 1024,
       INT64_MAX},
      {Opt::kDebugApplyDelayMs, "debug-apply-delay-ms", Kind::kInt, "0", 0, 60000, {}, true},
      {Opt::kHttpPort, "http-port", Kind::kInt, "7379", 0, 65535},
      {Opt::kHttpMaxHeaderBytes,
       "http-max-header-bytes",
       Kind::kMemory,
       "16kb",
       1024,
       1 << 20,
       {},
       true},
      {Opt::kHttpMaxBodyBytes,
       "http-max-body-bytes",
       Kind::kMemory,
       "1mb",
       1024,
       512 << 20,
       {},
       true},
      {Opt::kHttpRequestTimeout, "http-request-timeout", Kind::kInt, "10", 1, 3600, {}, true},
      {Opt::kHttpIdleTimeout, "http-idle-timeout", Kind::kInt, "120", 1, 86400, {}, true},
      {Opt::kSlowlogLogSlowerThan,
       "slowlog-log-slower-than",
       Kind::kInt,
       "10000",
       INT64_MIN,
       INT64_MAX,
       {},
       true},
      {Opt::kSlowlogMaxLen, "slowlog-max-len", Kind::kInt, "128", 0, INT64_MAX, {}, true},
      {Opt::kBackupDir, "backup-dir", Kind::kString, "", 0, 0, {}, true},
      {Opt::kLatencyMonitorThreshold,
       "latency-monitor-threshold",
       Kind::kInt,
       "0",
       0,
       INT64_MAX,
       {},
       true},
      {Opt::kLatencyTracking, "latency-tracking", Kind::kBool, "yes", 0, 0, {}, true},
      {Opt::kLatencyTrackingInfoPercentiles,
       "latency-tracking-info-percentiles",
       Kind::kString,
       "50 99 99.9",
       0,
       0,
       {},
       true},
      {Opt::kIdempotencyWindow, "idempotency-window", Kind::kInt, "86400", 1, 315360000, {}, true},
      {Opt::kIdempotencyMaxIds,
       "idempotency-max-ids",
       Kind::kInt,
       "1000000",
       1,
       INT64_MAX,
       {},
       true},
      {Opt::kHistoryKeys, "history-keys", Kind::kString, "", 0, 0, {}, true},
      {Opt::kHistoryResolution, "history-resolution", Kind::kInt, "1000", 1, 86400000, {}, true},
      {Opt::kHistoryRetention, "history-retention", Kind::kInt, "604800", 1, 315360000, {}, true},
      {Opt::kHistoryKeepOnDelete, "history-keep-on-delete", Kind::kBool, "yes", 0, 0, {}, true},
      {Opt::kNotifyKeyspaceEvents, "notify-keyspace-events", Kind::kNotify, "", 0, 0, {}, true},
      {Opt::kBusyReplyThreshold,
       "busy-reply-threshold",
       Kind::kInt,
       "5000",
       0,
       INT64_MAX,
       {},
       true},
      {Opt::kAclfile, "aclfile", Kind::kString, ""},
      {Opt::kTlsPort, "tls-port", Kind::kInt, "0", 0, 65535},
      // The TLS context is rebuilt when these change at run time (Server's listener).
      {Opt::kTlsCertFile, "tls-cert-file", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsKeyFile, "tls-key-file", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsKeyFilePass, "tls-key-file-pass", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsCaCertFile, "tls-ca-cert-file", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsCaCertDir, "tls-ca-cert-dir", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsAuthClients,
       "tls-auth-clients",
       Kind::kEnum,
       "yes",
       0,
       0,
       {"no", "yes", "optional"},
       true},
      {Opt::kTlsProtocols, "tls-protocols", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsCiphers, "tls-ciphers", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsCiphersuites, "tls-ciphersuites", Kind::kString, "", 0, 0, {}, true},
      {Opt::kTlsPreferServerCiphers,
       "tls-prefer-server-ciphers",
       Kind::kBool,
       "no",
       0,
       0,
       {},
       true},
      {Opt::kSupervised,
       "supervised",
       Kind::kEnum,
       "no",
       0,
       0,
       {"no", "upstart", "systemd", "auto"}},
  };
  return specs;
}

const OptionSpec* Find(std::string_view name) {
  if (EqualsIgnoreCase(name, "lua-time-limit")) name = "busy-reply-threshold";  // Redis's alias
  for (const auto& s : Specs())
    if (EqualsIgnoreCase(s.name, name)) return &s;
  return nullptr;
}

// Parses `value` for `spec` into an integer slot (int, memory, bool, enum). Errors carry Redis's
// reason texts.
StatusOr<int64_t> ParseValue(const OptionSpec& spec, std::string_view value) {
  switch (spec.kind) {
    case Kind::kInt: {
      auto v = ParseInt64(value);
      if (!v) return Status::InvalidArgument("argument couldn't be parsed into an integer");
      if (*v < spec.min || *v > spec.max)
        return Status::InvalidArgument("argument must be between " + FormatInt64(spec.min) +
                                       " and " + FormatInt64(spec.max) + " inclusive");
      return *v;
    }
    case Kind::kMemory: {
      auto v = ParseMemory(value);
      if (!v) return Status::InvalidArgument("argument must be a memory value");
      if (*v < spec.min || *v > spec.max)
        return Status::InvalidArgument("argument must be between " + FormatInt64(spec.min) +
                                       " and " + FormatInt64(spec.max) + " inclusive");
      return *v;
    }
    case Kind::kBool:
      if (EqualsIgnoreCase(value, "yes")) return 1;
      if (EqualsIgnoreCase(value, "no")) return 0;
      return Status::InvalidArgument("argument must be 'yes' or 'no'");
    case Kind::kEnum: {
      for (size_t i = 0; i < spec.choices.size(); ++i)
        if (EqualsIgnoreCase(value, spec.choices[i])) return static_cast<int64_t>(i);
      std::string msg = "argument(s) must be one of the following: ";
      for (size_t i = 0; i < spec.choices.size(); ++i)
        msg += (i ? ", " : "") + std::string(spec.choices[i]);
      return Status::InvalidArgument(msg);
    }
    case Kind::kNotify: {
      auto flags = ParseNotifyFlags(value);
      if (!flags)
        return Status::InvalidArgument("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
      return *flags;
    }
    case Kind::kString:
    case Kind::kReadOnly:
      return 0;
  }
  return 0;
}

}  // namespace

const char* FsyncPolicyName(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kEverysec:
      return "everysec";
    case FsyncPolicy::kNo:
      return "no";
  }
  return "?";
}

Config::Config() {
  for (const auto& s : Specs()) {
    if (s.kind == Kind::kString || s.kind == Kind::kReadOnly) {
      MutexLock l(&mu_);
      strs_[static_cast<int>(s.opt)] = s.default_value;
    } else {
      ints_[static_cast<int>(s.opt)] = ParseValue(s, s.default_value).value();
    }
  }
}

bool Config::Known(std::string_view name) { return Find(name) != nullptr; }

Status Config::Set(std::string_view name, std::string_view value, bool at_runtime) {
  if (!at_runtime) return Assign(name, value, false);
  const NameValue pair{name, value};
  size_t failed = 0;
  return SetAtRuntime({&pair, 1}, &failed);
}

Status Config::SetAtRuntime(std::span<const NameValue> pairs, size_t* failed) {
  struct Saved {
    Opt opt;
    int64_t number;
    std::string text;
  };
  std::vector<Saved> saved;
  auto restore = [&] {
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
      ints_[static_cast<int>(it->opt)].store(it->number, std::memory_order_relaxed);
      MutexLock l(&mu_);
      strs_[static_cast<int>(it->opt)] = it->text;
    }
  };
  for (size_t k = 0; k < pairs.size(); ++k) {
    const OptionSpec* spec = Find(pairs[k].first);
    const bool twice =
        spec != nullptr &&
        std::any_of(saved.begin(), saved.end(), [&](const Saved& s) { return s.opt == spec->opt; });
    if (twice) {
      *failed = k;
      restore();
      return Status::InvalidArgument("duplicate parameter");
    }
    if (spec != nullptr) saved.push_back({spec->opt, Int(spec->opt), Str(spec->opt)});
    Status st = Assign(pairs[k].first, pairs[k].second, /*at_runtime=*/true);
    if (!st.ok()) {
      *failed = k;
      restore();
      return st;
    }
  }
  std::function<Status(Opt)> listener;
  {
    MutexLock l(&mu_);
    listener = listener_;
  }
  if (!listener) return Status::OK();
  for (size_t k = 0; k < saved.size(); ++k) {
    Status st = listener(saved[k].opt);
    if (!st.ok()) {
      *failed = k;
      restore();
      for (const Saved& s : saved) (void)listener(s.opt);
      return st;
    }
  }
  return Status::OK();
}

Status Config::Assign(std::string_view name, std::string_view value, bool at_runtime) {
  const OptionSpec* spec = Find(name);
  if (spec == nullptr) return Status::InvalidArgument("Bad directive or wrong number of arguments");
  if (spec->kind == Kind::kReadOnly) {
    if (value == spec->default_value || (spec->opt == Opt::kSave && value == "\"\""))
      return Status::OK();
    return Status::InvalidArgument(std::string("Tally supports only ") + spec->name + " '" +
                                   spec->default_value + "'");
  }
  if (at_runtime && !spec->runtime) return Status::InvalidArgument("can't set immutable config");
  if (spec->kind == Kind::kString) {
    MutexLock l(&mu_);
    strs_[static_cast<int>(spec->opt)] = std::string(value);
    return Status::OK();
  }
  auto v = ParseValue(*spec, value);
  if (!v.ok()) return v.status();
  ints_[static_cast<int>(spec->opt)].store(*v, std::memory_order_relaxed);
  return Status::OK();
}

std::string Config::Str(Opt o) const {
  MutexLock l(&mu_);
  return strs_[static_cast<int>(o)];
}

std::vector<std::pair<std::string, std::string>> Config::Get(std::string_view pattern) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : Specs()) {
    if (!GlobMatch(pattern, s.name, /*nocase=*/true)) continue;
    std::string value;
    switch (s.kind) {
      case Kind::kString:
      case Kind::kReadOnly:
        value = Str(s.opt);
        break;
      case Kind::kBool:
        value = Int(s.opt) ? "yes" : "no";
        break;
      case Kind::kEnum:
        value = s.choices[Int(s.opt)];
        break;
      case Kind::kNotify:
        value = FormatNotifyFlags(static_cast<uint32_t>(Int(s.opt)));
        break;
      default:
        value = FormatInt64(Int(s.opt));
        break;
    }
    out.emplace_back(s.name, std::move(value));
  }
  return out;
}

namespace {

// A config-file token for `value`: as is when the loader reads it back the same, else quoted
// with the escapes SplitArgs undoes.
std::string ConfigToken(const std::string& value) {
  bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
               value.find("  ") == std::string::npos;
  for (unsigned char c : value)
    plain = plain && c >= ' ' && c < 127 && c != '"' && c != '\\' && c != '\'' && c != '#';
  if (plain) return value;
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= ' ' && c < 127) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

std::string HumanBytes(int64_t v) {
  for (auto [unit, size] : {std::pair{"gb", int64_t{1} << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}})
    if (v != 0 && v % size == 0) return std::to_string(v / size) + unit;
  return std::to_string(v);
}

}  // namespace

std::vector<Config::RewriteLine> Config::RewriteLines() const {
  std::vector<RewriteLine> out;
  auto values = Get("*");
  for (size_t i = 0; i < values.size(); ++i) {
    const OptionSpec& s = Specs()[i];
    if (s.kind == Kind::kReadOnly) continue;
    std::string value = s.kind == Kind::kMemory ? HumanBytes(Int(s.opt)) : values[i].second;
    const bool is_default = s.kind == Kind::kString ? value == s.default_value
                                                    : Int(s.opt) == *ParseValue(s, s.default_value);
    out.push_back({s.name, std::string(s.name) + " " + ConfigToken(value), is_default});
  }
  return out;
}

void Config::SetListener(std::function<Status(Opt)> listener) {
  MutexLock l(&mu_);
  listener_ = std::move(listener);
}

Status Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("Fatal error, can't open config file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadText(ss.str(), path);
}

Status Config::LoadText(std::string_view text, std::string_view origin) {
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineno;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto args = SplitArgs(line);
    Status st;
    if (!args) {
      st = Status::InvalidArgument("Unbalanced quotes in configuration line");
    } else if (args->size() >= 2 && EqualsIgnoreCase((*args)[0], "user")) {
      MutexLock l(&mu_);
      user_lines_.push_back(UserLine{std::vector<std::string>(args->begin() + 1, args->end()),
                                     std::string(origin) + ", at line " + std::to_string(lineno),
                                     std::string(line)});
    } else if ((*args).size() < 2 && !(args->size() == 1 && Find((*args)[0]) &&
                                       Find((*args)[0])->kind == Kind::kString)) {
      st = Status::InvalidArgument("Bad directive or wrong number of arguments");
    } else {
      // Options with several words (bind, save) take the rest of the line.
      std::string value;
      for (size_t i = 1; i < args->size(); ++i) value += (i > 1 ? " " : "") + (*args)[i];
      st = Set((*args)[0], value, /*at_runtime=*/false);
    }
    if (!st.ok()) {
      return Status::InvalidArgument("*** FATAL CONFIG FILE ERROR (Tally) ***\nReading " +
                                     std::string(origin) + ", at line " + std::to_string(lineno) +
                                     "\n>>> '" + std::string(line) + "'\n" + st.message());
    }
    if (end == text.size()) break;
  }
  return Status::OK();
}

std::vector<Config::UserLine> Config::user_lines() const {
  MutexLock l(&mu_);
  return user_lines_;
}

Status Config::LoadArgs(const std::vector<std::string>& args) {
  // As redis-server does: "--name v1 v2 --other v" becomes the lines "name v1 v2" / "other v".
  std::string text;
  for (const auto& a : args) {
    if (a.rfind("--", 0) == 0) {
      if (!text.empty()) text += "\n";
      text += a.substr(2);
    } else {
      if (text.empty()) return Status::InvalidArgument("Unexpected argument '" + a + "'");
      text += " \"";
      for (char c : a) {
        if (c == '"' || c == '\\') text += '\\';
        text += c;
      }
      text += "\"";
    }
  }
  return LoadText(text, "the command line");
}

}  // namespace tally
