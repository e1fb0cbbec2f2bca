#include "resp_json.h"

#include <charconv>
#include <cstdlib>

namespace tally {
namespace {

using nlohmann::json;

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

json ErrorObject(std::string_view text, std::string* code) {
  *code = std::string(text.substr(0, text.find(' ')));
  return json{{"error", {{"code", *code}, {"message", std::string(text)}}}};
}

// Reads one reply at `*pos`. The reply is the server's own output, so it is well formed.
class Reader {
 public:
  explicit Reader(std::string_view resp) : in_(resp) {}

  json Next() {
    const char type = in_[pos_++];
    std::string_view line = Line();
    switch (type) {
      case '+':
        return json(std::string(line));
      case '-':
      case '!':
        return ErrorObject(line, &code_);
      case ':':
        return json(Int(line));
      case '(':
        return json(std::string(line));
      case '_':
        return json(nullptr);
      case '#':
        return json(line == "t");
      case ',': {
        if (line == "inf" || line == "-inf" || line == "nan") return json(std::string(line));
        return json(std::strtod(std::string(line).c_str(), nullptr));
      }
      case '$':
      case '=': {
        int64_t n = Int(line);
        if (n < 0) return json(nullptr);
        std::string_view data = in_.substr(pos_, static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n) + 2;
        if (type == '=') data.remove_prefix(std::min<size_t>(4, data.size()));  // "txt:"
        return TextJson(data);
      }
      case '*':
      case '~':
      case '>': {
        int64_t n = Int(line);
        if (n < 0) return json(nullptr);
        json a = json::array();
        for (int64_t i = 0; i < n; ++i) a.push_back(Next());
        return a;
      }
      case '%':
        return Map(Int(line));
      case '|':
        (void)Map(Int(line));  // attributes: dropped
        return Next();
      default:
        return json(nullptr);
    }
  }
  const std::string& code() const { return code_; }

 private:
  std::string_view Line() {
    size_t end = in_.find("\r\n", pos_);
    if (end == std::string_view::npos) end = in_.size();
    std::string_view line = in_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return line;
  }
  static int64_t Int(std::string_view s) {
    int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  json Map(int64_t n) {
    std::vector<std::pair<json, json>> pairs;
    bool string_keys = true;
    for (int64_t i = 0; i < n; ++i) {
      json k = Next();
      json v = Next();
      string_keys &= k.is_string();
      pairs.emplace_back(std::move(k), std::move(v));
    }
    json out = string_keys ? json::object() : json::array();
    for (auto& [k, v] : pairs) {
      if (string_keys) {
        out[k.get<std::string>()] = std::move(v);
      } else {
        out.push_back(json::array({std::move(k), std::move(v)}));
      }
    }
    return out;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string code_;
};

}  // namespace

json TextJson(std::string_view s) {
  if (IsValidUtf8(s)) return json(std::string(s));
  return json{{"base64", Base64(s)}};
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
            : c == '='             ? -2
                                   : -1;
    if (v == -1) return std::nullopt;
    if (v == -2) break;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n = 0;  // continuation bytes
    if (c >= 0x80) {
      if ((c >> 5) == 6) {
        n = 1;
      } else if ((c >> 4) == 14) {
        n = 2;
      } else if ((c >> 3) == 30) {
        n = 3;
      } else {
        return false;
      }
    }
    if (i + n >= s.size() && n > 0) return false;
    uint32_t cp = n == 0 ? c : c & (0x7fu >> (n + 1));
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < kMin[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += n + 1;
  }
  return true;
}

JsonReply RespToJson(std::string_view resp) {
  JsonReply out;
  if (resp.empty()) return out;
  Reader reader(resp);
  out.value = reader.Next();
  if (resp[0] == '-' || resp[0] == '!') {
    out.error = true;
    out.code = reader.code();
    out.message = out.value["error"]["message"].get<std::string>();
  }
  return out;
}

}  // namespace tally
