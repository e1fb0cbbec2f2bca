// Acl: the users, the log, the ACL file, and the check every command goes through.
#include "tally/commands/acl.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "acl_internal.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/clock.h"
#include "tally/util/numbers.h"
#include "tally/util/strings.h"

namespace tally {
namespace acl {

std::string Sha256Hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace acl

namespace {

constexpr size_t kLogMax = 128;         // Redis's acllog-max-len default
constexpr int64_t kLogMergeMs = 60000;  // ACL_LOG_GROUPING_MAX_TIME_DELTA

uint8_t ParseAccess(std::string_view a) {
  uint8_t out = 0;
  for (char c : a) out |= c == 'R' ? kAclRead : c == 'W' ? kAclWrite : 0;
  return out;
}

std::shared_ptr<AclUser> DefaultUser(const CommandTable* table) {
  auto u = std::make_shared<AclUser>();
  u->name = "default";
  for (const char* r : {"on", "nopass", "~*", "&*", "+@all"}) u->Apply(r, *table);
  return u;
}

// The arguments that are channels for `spec`, and whether they are patterns taken literally.
std::span<const std::string_view> Channels(const CommandSpec& spec,
                                           std::span<const std::string_view> args, bool* literal) {
  *literal = spec.name == "psubscribe";
  if (spec.name == "publish" || spec.name == "spublish") return args.subspan(1, 1);
  if (spec.name == "subscribe" || spec.name == "ssubscribe" || *literal) return args.subspan(1);
  return {};
}

}  // namespace

uint32_t AclCategoryMask(std::string_view names) {
  uint32_t mask = 0;
  auto parts = SplitArgs(names);
  if (!parts) return 0;
  for (const std::string& p : *parts) {
    if (p.size() < 2 || p[0] != '@') continue;
    for (size_t i = 0; i < std::size(kAclCategories); ++i)
      if (EqualsIgnoreCase(p.substr(1), kAclCategories[i])) mask |= 1u << i;
  }
  return mask;
}

bool AclCommandFacts(std::string_view name, uint32_t* categories, uint8_t* first_key,
                     uint8_t* other_keys) {
  for (size_t i = 0; i < acl::kCommandRowCount; ++i) {
    const acl::CommandRow& row = acl::kCommandRows[i];
    if (name != row.name) continue;
    *categories = AclCategoryMask(row.categories);
    *first_key = ParseAccess(row.first_key);
    *other_keys = ParseAccess(row.other_keys);
    return true;
  }
  return false;
}

AclVerdict AclCheck(const AclUser& user, const CommandSpec& spec,
                    std::span<const std::string_view> args) {
  if (!user.CanRun(spec)) return {AclDenied::kCommand, spec.name};
  if (!user.all_keys) {
    // SET reads its key only with GET (setGetKeys); other commands' needs are the table's.
    uint8_t set_access = kAclWrite;
    if (spec.name == "set")
      for (size_t j = 3; j < args.size(); ++j)
        if (EqualsIgnoreCase(args[j], "get")) set_access |= kAclRead;
    std::optional<std::string> denied;
    ForEachKey(spec, args, [&](size_t i, std::string_view key) {
      const uint8_t access = spec.name == "set" ? set_access
                             : i == 0           ? spec.acl_first_key
                                                : spec.acl_other_keys;
      if (!denied && !user.CanTouchKey(key, access)) denied.emplace(key);
    });
    if (denied) return {AclDenied::kKey, std::move(*denied)};
  }
  if (!user.all_channels) {
    bool literal = false;
    for (std::string_view ch : Channels(spec, args, &literal))
      if (!user.CanUseChannel(ch, literal)) return {AclDenied::kChannel, std::string(ch)};
  }
  return {};
}

Acl::Acl(const CommandTable* table) : table_(table) {
  MutexLock lock(&mu_);
  users_["default"] = DefaultUser(table_);
}

std::shared_ptr<const AclUser> Acl::Find(std::string_view name) const {
  MutexLock lock(&mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::shared_ptr<const AclUser> Acl::Authenticate(std::string_view name,
                                                 std::string_view password) const {
  auto u = Find(name);
  if (u == nullptr || !u->enabled || !u->PasswordMatches(password)) return nullptr;
  return u;
}

bool Acl::SetUser(std::string_view name, std::span<const std::string_view> rules,
                  std::string* error) {
  MutexLock lock(&mu_);
  auto it = users_.find(name);
  auto u =
      it == users_.end() ? std::make_shared<AclUser>() : std::make_shared<AclUser>(*it->second);
  if (it == users_.end()) {
    u->name = std::string(name);
    u->commands.assign(table_->command_count(), false);
  }
  for (std::string_view rule : rules) {
    if (const char* reason = u->Apply(rule, *table_)) {
      *error = errors::Fill(errors::kAclSetUserModifier, rule, reason);
      return false;
    }
  }
  users_[std::string(name)] = std::move(u);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

bool Acl::DeleteUser(std::string_view name) {
  MutexLock lock(&mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  users_.erase(it);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

std::vector<std::shared_ptr<const AclUser>> Acl::Users() const {
  MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const AclUser>> out;
  for (const auto& [name, u] : users_) out.push_back(u);
  return out;
}

void Acl::SetDefaultPassword(std::string_view password) {
  std::string rule = ">" + std::string(password);
  std::string_view rules[] = {"resetpass", password.empty() ? "nopass" : std::string_view(rule)};
  std::string error;
  SetUser("default", rules, &error);
}

void Acl::Log(AclDenied reason, std::string_view context, std::string_view object,
              std::string_view username, std::string client_info) {
  const int64_t now = NowMs();
  MutexLock lock(&mu_);
  for (size_t i = 0; i < log_.size(); ++i) {
    LogEntry& e = log_[i];
    if (e.reason == reason && e.context == context && e.object == object &&
        e.username == username && now - e.updated_ms < kLogMergeMs) {
      LogEntry updated = std::move(e);  // the most recent now: first, as in Redis
      ++updated.count;
      updated.updated_ms = now;
      updated.client_info = std::move(client_info);
      log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(i));
      log_.push_front(std::move(updated));
      return;
    }
  }
  LogEntry e;
  e.reason = reason;
  e.context = std::string(context);
  e.object = std::string(object);
  e.username = std::string(username);
  e.created_ms = e.updated_ms = now;
  e.client_info = std::move(client_info);
  log_.push_front(std::move(e));
  if (log_.size() > kLogMax) log_.pop_back();
}

std::vector<Acl::LogEntry> Acl::LogEntries(size_t max) const {
  MutexLock lock(&mu_);
  std::vector<LogEntry> out;
  for (size_t i = 0; i < log_.size() && i < max; ++i) out.push_back(log_[i]);
  return out;
}

void Acl::ResetLog() {
  MutexLock lock(&mu_);
  log_.clear();
}

std::optional<Acl::DeclError> Acl::ReplaceUsers(
    const std::vector<std::vector<std::string>>& decls) {
  std::map<std::string, std::shared_ptr<const AclUser>, std::less<>> users;
  for (size_t i = 0; i < decls.size(); ++i) {
    const auto& words = decls[i];  // name, rules...
    if (users.count(words[0])) return DeclError{i, "", errors::kAclDuplicateUser};
    auto u = std::make_shared<AclUser>();
    u->name = words[0];
    u->commands.assign(table_->command_count(), false);
    for (size_t j = 1; j < words.size(); ++j) {
      if (const char* reason = u->Apply(words[j], *table_)) return DeclError{i, words[j], reason};
    }
    users[words[0]] = std::move(u);
  }
  if (!users.count("default")) users["default"] = DefaultUser(table_);
  MutexLock lock(&mu_);
  users_ = std::move(users);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return std::nullopt;
}

Status Acl::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError(errors::Fill(errors::kAclFileOpen, path));
  std::vector<std::vector<std::string>> decls;
  std::vector<int> line_of;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto words = SplitArgs(line);
    if (!words || words->empty()) continue;
    if ((*words)[0] != "user" || words->size() < 2)
      return Status::InvalidArgument(path + ":" + std::to_string(n) + ": " + errors::kAclFileLine);
    decls.emplace_back(words->begin() + 1, words->end());
    line_of.push_back(n);
  }
  auto err = ReplaceUsers(decls);
  if (!err) return Status::OK();
  const std::string where = path + ":" + std::to_string(line_of[err->index]) + ": ";
  if (err->rule.empty()) return Status::InvalidArgument(where + err->reason);
  return Status::InvalidArgument(where +
                                 errors::Fill(errors::kAclFileRule, err->rule, err->reason));
}

Status Acl::LoadDeclarations(const std::vector<Config::UserLine>& lines) {
  std::vector<std::vector<std::string>> decls;
  for (const auto& l : lines) {
    decls.push_back(l.words);
    // As Redis: the default user declared in the config is reset first (and so shows
    // sanitize-payload); others start as new users do.
    if (l.words[0] == "default") decls.back().insert(decls.back().begin() + 1, "reset");
  }
  auto err = ReplaceUsers(decls);
  if (!err) return Status::OK();
  const Config::UserLine& bad = lines[err->index];
  std::string text = "*** FATAL CONFIG FILE ERROR (Tally) ***\nReading " + bad.where + "\n>>> '" +
                     bad.text + "'\n";
  if (err->rule.empty()) return Status::InvalidArgument(text + err->reason);
  return Status::InvalidArgument(text +
                                 errors::Fill(errors::kAclUserDeclaration, err->rule, err->reason));
}

Status Acl::SaveFile(const std::string& path) const {
  std::string body;
  for (const auto& u : Users()) body += "user " + u->name + " " + u->Describe() + "\n";
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::IOError(errors::Fill(errors::kAclFileOpen, tmp));
  bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError(errors::Fill(errors::kAclFileWrite, path));
  }
  // The rename is durable only once the directory is synced (Redis once forgot: LazyFS).
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

}  // namespace tally
