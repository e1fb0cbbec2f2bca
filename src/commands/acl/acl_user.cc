// AclUser: applying ACL SETUSER rules and describing a user back (acl.c ACLSetUser,
// ACLDescribeUser), and the checks a command goes through.
#include <algorithm>

#include "acl_internal.h"
#include "tally/commands/acl.h"
#include "tally/commands/command_table.h"
#include "tally/protocol/errors.h"
#include "tally/util/strings.h"

namespace tally {
namespace {

bool IsHashHex(std::string_view h) {
  if (h.size() != 64) return false;
  return std::all_of(h.begin(), h.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Sets the bit of `spec` and of its subcommands.
void SetCommand(AclUser* u, const CommandSpec& spec, bool allow) {
  u->commands[spec.id] = allow;
  for (const auto& sub : spec.subcommands) u->commands[sub.id] = allow;
}

// Redis 7.2's ACLUpdateCommandRules: drops an earlier rule for the same command (or for one of
// its subcommands, when the whole command is named) and appends this one.
void UpdateRules(std::string* rules, std::string_view rule, bool allow) {
  std::string name = ToLower(rule);
  std::string_view rest = *rules;
  std::string out;
  while (!rest.empty()) {
    size_t sp = rest.find(' ');
    std::string_view r = rest.substr(0, sp);
    rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
    std::string_view body = r.substr(1);
    bool same = body == name || (body.size() > name.size() && body.substr(0, name.size()) == name &&
                                 body[name.size()] == '|');
    if (same) continue;
    if (!out.empty()) out += ' ';
    out += r;
  }
  if (!out.empty()) out += ' ';
  out += allow ? '+' : '-';
  out += name;
  *rules = std::move(out);
}

const char* ApplyCommandRule(AclUser* u, std::string_view rule, const CommandTable& table) {
  const bool allow = rule[0] == '+';
  std::string_view what = rule.substr(1);
  if (!what.empty() && what[0] == '@') {
    std::string_view cat = what.substr(1);
    if (EqualsIgnoreCase(cat, "all")) {
      std::fill(u->commands.begin(), u->commands.end(), allow);
      u->all_commands = u->plus_all = allow;
      u->command_rules.clear();
      return nullptr;
    }
    uint32_t mask = AclCategoryMask(std::string("@") + std::string(cat));
    if (mask == 0) return errors::kAclUnknownCommand;
    for (const auto& spec : table.all()) {
      if (spec->acl_categories & mask) u->commands[spec->id] = allow;
      for (const auto& sub : spec->subcommands)
        if (sub.acl_categories & mask) u->commands[sub.id] = allow;
    }
  } else {
    size_t bar = what.find('|');
    const CommandSpec* spec = table.Find(what.substr(0, bar));
    if (spec == nullptr) return errors::kAclUnknownCommand;
    if (bar == std::string_view::npos) {
      SetCommand(u, *spec, allow);
    } else {
      if (spec->subcommands.empty())
        return allow ? errors::kAclFirstArg : errors::kAclUnknownCommand;
      const CommandSpec* sub = nullptr;
      for (const auto& s : spec->subcommands)
        if (EqualsIgnoreCase(s.name, what)) sub = &s;
      if (sub == nullptr) return errors::kAclUnknownCommand;
      u->commands[sub->id] = allow;
    }
  }
  if (!allow) u->all_commands = false;
  UpdateRules(&u->command_rules, what, allow);
  return nullptr;
}

const char* ApplyKeyRule(AclUser* u, std::string_view rule) {
  uint8_t access = kAclRead | kAclWrite;
  std::string_view pattern;
  if (rule[0] == '~') {
    pattern = rule.substr(1);
  } else {  // %R~, %W~, %RW~
    size_t tilde = rule.find('~');
    if (tilde == std::string_view::npos || tilde == 1) return errors::kAclSyntax;
    access = 0;
    for (char c : rule.substr(1, tilde - 1)) {
      if (c == 'R' || c == 'r') {
        access |= kAclRead;
      } else if (c == 'W' || c == 'w') {
        access |= kAclWrite;
      } else {
        return errors::kAclSyntax;
      }
    }
    pattern = rule.substr(tilde + 1);
  }
  if (u->all_keys) return errors::kAclKeysAfterAll;
  if (pattern == "*" && access == (kAclRead | kAclWrite)) {
    u->all_keys = true;
    u->keys.clear();
    return nullptr;
  }
  for (auto& k : u->keys) {
    if (k.pattern == pattern) {
      k.access |= access;
      return nullptr;
    }
  }
  u->keys.push_back({std::string(pattern), access});
  return nullptr;
}

const char* ApplyPasswordRule(AclUser* u, std::string_view rule) {
  const char op = rule[0];
  std::string hash;
  if (op == '>' || op == '<') {
    hash = acl::Sha256Hex(rule.substr(1));
  } else {
    hash = std::string(rule.substr(1));
    if (!IsHashHex(hash)) return errors::kAclBadHash;
  }
  auto it = std::find(u->passwords.begin(), u->passwords.end(), hash);
  if (op == '>' || op == '#') {
    if (it == u->passwords.end()) u->passwords.push_back(hash);
    u->nopass = false;
  } else {
    if (it == u->passwords.end()) return errors::kAclNoSuchPassword;
    u->passwords.erase(it);
  }
  return nullptr;
}

}  // namespace

const char* AclUser::Apply(std::string_view rule, const CommandTable& table) {
  if (commands.size() < table.command_count()) commands.resize(table.command_count(), false);
  if (rule.empty()) return errors::kAclSyntax;
  auto is = [&](const char* word) { return EqualsIgnoreCase(rule, word); };
  if (is("on")) {
    enabled = true;
  } else if (is("off")) {
    enabled = false;
  } else if (is("nopass")) {
    nopass = true;
    passwords.clear();
  } else if (is("resetpass")) {
    nopass = false;
    passwords.clear();
  } else if (is("allkeys")) {
    return ApplyKeyRule(this, "~*");
  } else if (is("resetkeys")) {
    all_keys = false;
    keys.clear();
  } else if (is("allchannels")) {
    all_channels = true;
    channels.clear();
  } else if (is("resetchannels")) {
    all_channels = false;
    channels.clear();
  } else if (is("allcommands")) {
    return ApplyCommandRule(this, "+@all", table);
  } else if (is("nocommands")) {
    return ApplyCommandRule(this, "-@all", table);
  } else if (is("sanitize-payload")) {
    payload = Payload::kSanitize;  // shown, as in Redis; RESTORE payloads are always checked
  } else if (is("skip-sanitize-payload")) {
    payload = Payload::kSkip;
  } else if (is("clearselectors")) {
    // There are no selectors to clear.
  } else if (is("reset")) {
    for (const char* r :
         {"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "-@all"})
      Apply(r, table);
  } else if (rule[0] == '>' || rule[0] == '<' || rule[0] == '#' || rule[0] == '!') {
    return ApplyPasswordRule(this, rule);
  } else if (rule[0] == '~' || rule[0] == '%') {
    return ApplyKeyRule(this, rule);
  } else if (rule[0] == '&') {
    if (all_channels) return errors::kAclChannelsAfterAll;
    std::string_view pattern = rule.substr(1);
    if (pattern == "*") return Apply("allchannels", table);
    if (std::find(channels.begin(), channels.end(), pattern) == channels.end())
      channels.emplace_back(pattern);
  } else if (rule[0] == '+' || rule[0] == '-') {
    return ApplyCommandRule(this, rule, table);
  } else if (rule[0] == '(') {
    return errors::kAclSelectors;
  } else {
    return errors::kAclSyntax;
  }
  return nullptr;
}

std::string AclUser::KeysText() const {
  if (all_keys) return "~*";
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ' ';
    out += k.access == kAclRead ? "%R~" : k.access == kAclWrite ? "%W~" : "~";
    out += k.pattern;
  }
  return out;
}

std::string AclUser::ChannelsText() const {
  if (all_channels) return "&*";
  std::string out;
  for (const auto& c : channels) out += (out.empty() ? "&" : " &") + c;
  return out;
}

std::string AclUser::CommandsText() const {
  std::string out = plus_all ? "+@all" : "-@all";
  if (!command_rules.empty()) out += " " + command_rules;
  return out;
}

std::string AclUser::Describe() const {
  std::string out;
  for (const char* flag : Flags()) out += std::string(out.empty() ? "" : " ") + flag;
  for (const auto& p : passwords) out += " #" + p;
  if (std::string k = KeysText(); !k.empty()) out += " " + k;
  if (!all_channels) out += " resetchannels";
  if (std::string c = ChannelsText(); !c.empty()) out += " " + c;
  return out + " " + CommandsText();
}

std::vector<const char*> AclUser::Flags() const {
  std::vector<const char*> out = {enabled ? "on" : "off"};
  if (nopass) out.push_back("nopass");
  if (payload == Payload::kSkip) out.push_back("skip-sanitize-payload");
  if (payload == Payload::kSanitize) out.push_back("sanitize-payload");
  return out;
}

bool AclUser::PasswordMatches(std::string_view password) const {
  if (nopass) return true;
  std::string hash = acl::Sha256Hex(password);
  return std::find(passwords.begin(), passwords.end(), hash) != passwords.end();
}

bool AclUser::CanRun(const CommandSpec& spec) const {
  if (all_commands) return true;
  return spec.id >= 0 && static_cast<size_t>(spec.id) < commands.size() && commands[spec.id];
}

bool AclUser::CanTouchKey(std::string_view key, uint8_t access) const {
  if (all_keys) return true;
  for (const auto& k : keys)
    if ((k.access & access) == access && GlobMatch(k.pattern, key)) return true;
  return false;
}

bool AclUser::CanUseChannel(std::string_view channel, bool literal) const {
  if (all_channels) return true;
  for (const auto& c : channels)
    if (literal ? c == channel : GlobMatch(c, channel)) return true;
  return false;
}

}  // namespace tally
