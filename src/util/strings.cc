#include "tally/util/strings.h"

#include <cctype>

namespace tally {
namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (std::tolower(static_cast<unsigned char>(c)) - 'a') + 10;
}
bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Reads one quoted token starting after the opening quote. Returns false on unbalanced quotes.
// `p` ends just past the closing quote.
bool ReadQuoted(std::string_view line, size_t& p, char quote, std::string& out) {
  const size_t n = line.size();
  while (true) {
    if (p >= n) return false;  // unterminated
    char c = line[p];
    if (quote == '"' && c == '\\' && p + 3 < n && line[p + 1] == 'x' && IsHex(line[p + 2]) &&
        IsHex(line[p + 3])) {
      out.push_back(static_cast<char>(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3])));
      p += 4;
    } else if (quote == '"' && c == '\\' && p + 1 < n) {
      char e = line[p + 1];
      switch (e) {
        case 'n':
          e = '\n';
          break;
        case 'r':
          e = '\r';
          break;
        case 't':
          e = '\t';
          break;
        case 'b':
          e = '\b';
          break;
        case 'a':
          e = '\a';
          break;
        default:
          break;
      }
      out.push_back(e);
      p += 2;
    } else if (quote == '\'' && c == '\\' && p + 1 < n && line[p + 1] == '\'') {
      out.push_back('\'');
      p += 2;
    } else if (c == quote) {
      // The closing quote must be followed by a space or nothing at all.
      if (p + 1 < n && !IsSpace(line[p + 1])) return false;
      p += 1;
      return true;
    } else {
      out.push_back(c);
      p += 1;
    }
  }
}

bool MatchImpl(std::string_view pat, std::string_view str, bool nocase, bool* skip_longer,
               int nesting) {
  // Each call level costs stack; like Redis, give up on absurd nesting.
  if (nesting > 1000) return false;
  size_t p = 0, s = 0;
  while (p < pat.size() && s < str.size()) {
    switch (pat[p]) {
      case '*': {
        while (p + 1 < pat.size() && pat[p + 1] == '*') ++p;
        if (p + 1 == pat.size()) return true;
        for (size_t i = s; i < str.size(); ++i) {
          if (MatchImpl(pat.substr(p + 1), str.substr(i), nocase, skip_longer, nesting + 1))
            return true;
          if (*skip_longer) return false;
        }
        *skip_longer = true;
        return false;
      }
      case '?':
        ++s;
        break;
      case '[': {
        ++p;
        bool negate = p < pat.size() && pat[p] == '^';
        if (negate) ++p;
        bool match = false;
        while (true) {
          if (p >= pat.size()) {
            --p;
            break;
          }
          if (pat[p] == '\\' && p + 1 < pat.size()) {
            ++p;
            if (pat[p] == str[s]) match = true;
          } else if (pat[p] == ']') {
            break;
          } else if (p + 2 < pat.size() && pat[p + 1] == '-') {
            int start = static_cast<unsigned char>(pat[p]);
            int end = static_cast<unsigned char>(pat[p + 2]);
            int c = static_cast<unsigned char>(str[s]);
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = std::tolower(start);
              end = std::tolower(end);
              c = std::tolower(c);
            }
            p += 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? std::tolower(static_cast<unsigned char>(pat[p])) ==
                                  std::tolower(static_cast<unsigned char>(str[s]))
                            : pat[p] == str[s]) {
            match = true;
          }
          ++p;
        }
        if (negate) match = !match;
        if (!match) return false;
        ++s;
        break;
      }
      case '\\':
        if (p + 1 < pat.size()) ++p;
        [[fallthrough]];
      default:
        if (nocase ? std::tolower(static_cast<unsigned char>(pat[p])) !=
                         std::tolower(static_cast<unsigned char>(str[s]))
                   : pat[p] != str[s])
          return false;
        ++s;
        break;
    }
    ++p;
    if (s == str.size()) {
      while (p < pat.size() && pat[p] == '*') ++p;
      break;
    }
  }
  return p == pat.size() && s == str.size();
}

}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> args;
  size_t p = 0;
  const size_t n = line.size();
  while (true) {
    while (p < n && IsSpace(line[p])) ++p;
    if (p >= n) return args;
    std::string current;
    bool done = false;
    while (!done) {
      if (p >= n) break;
      char c = line[p];
      switch (c) {
        case ' ':
        case '\n':
        case '\r':
        case '\t':
        case '\0':
          done = true;
          ++p;
          break;
        case '"':
        case '\'':
          ++p;
          if (!ReadQuoted(line, p, c, current)) return std::nullopt;
          done = true;
          break;
        default:
          current.push_back(c);
          ++p;
          break;
      }
    }
    args.push_back(std::move(current));
  }
}

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  bool skip_longer = false;
  return MatchImpl(pattern, text, nocase, &skip_longer, 0);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace tally
