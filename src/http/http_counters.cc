// The counter endpoints of the HTTP API: each is one or two Redis commands.
#include <cmath>
#include <limits>

#include "http_api.h"
#include "tally/protocol/errors.h"
#include "tally/util/numbers.h"

namespace tally {
namespace {

namespace herr = errors::http;
using nlohmann::json;

// A stored value as JSON: a number if it is an integer, else its text.
json ValueJson(const json& reply) {
  if (reply.is_string()) {
    const std::string& s = reply.get_ref<const std::string&>();
    if (auto n = ParseInt64(s)) return json(*n);
  }
  return reply;
}

json NumberJson(const json& reply) {
  if (reply.is_string()) {  // INCRBYFLOAT's bulk string
    double d = std::strtod(reply.get_ref<const std::string&>().c_str(), nullptr);
    if (std::isfinite(d)) return json(d);
  }
  return reply;
}

// A JSON integer that fits int64.
bool IsInt64(const json& v) {
  return v.is_number_integer() &&
         !(v.is_number_unsigned() &&
           v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
}

Lsn Bad(HttpResponse* response, const char* message) {
  response->status = 400;
  response->body = HttpApi::ErrorBody(herr::kBadRequest, message);
  return 0;
}

// The body as a JSON object; an empty body is an empty object if `optional`.
std::optional<json> ParseObject(const HttpRequest& request, bool optional, HttpResponse* response) {
  if (optional && request.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return json::object();
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    Bad(response, herr::kInvalidJson);
    return std::nullopt;
  }
  if (!body.is_object()) {
    Bad(response, herr::kBodyNotObject);
    return std::nullopt;
  }
  return body;
}

std::string Negate(std::string_view number) {
  if (!number.empty() && number[0] == '-') return std::string(number.substr(1));
  if (!number.empty() && number[0] == '+') number.remove_prefix(1);
  std::string out(1, '-');
  out.append(number);
  return out;
}

std::string GlobEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// A bound ("min", "max") as INCREX takes it: an integer, or a string for BYFLOAT's floats.
bool BoundArg(const json& body, const char* name, std::string* out) {
  auto it = body.find(name);
  if (it == body.end()) return true;
  if (it->is_string()) {
    *out = it->get<std::string>();
  } else if (IsInt64(*it)) {
    *out = it->dump();
  } else {
    return false;
  }
  return true;
}

}  // namespace

Lsn HttpApi::GetCounter(std::string_view key, const Caller& caller, HttpResponse* response) {
  std::string_view args[] = {"GET", key};
  Reply r = Run(args, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
  } else if (r.json.value.is_null()) {
    response->status = 404;
    response->body = ErrorBody(herr::kNotFound, herr::kNoSuchKey);
  } else {
    response->body = json{{"key", TextJson(key)}, {"value", ValueJson(r.json.value)}}.dump();
  }
  return r.lsn;
}

// Plain increments are INCRBY/DECRBY/INCRBYFLOAT. Bounds ("min", "max", "saturate") or an
// Idempotency-Key header make it INCREX (IDMP <key>), whose reply adds "applied".
Lsn HttpApi::IncrCounter(const HttpRequest& request, std::string_view key, bool decr,
                         const Caller& caller, HttpResponse* response) {
  auto body = ParseObject(request, /*optional=*/true, response);
  if (!body) return 0;
  auto by = body->find("by");
  auto by_float = body->find("by_float");
  if (by != body->end() && by_float != body->end()) return Bad(response, herr::kByAndByFloat);
  std::string amount = "1";
  bool is_float = false;
  if (by != body->end()) {
    if (!IsInt64(*by)) return Bad(response, herr::kByNotInteger);
    amount = by->dump();
  } else if (by_float != body->end()) {
    if (!by_float->is_string()) return Bad(response, herr::kByFloatNotString);
    is_float = true;
    amount = by_float->get<std::string>();
  }
  std::string lo, hi;
  if (!BoundArg(*body, "min", &lo) || !BoundArg(*body, "max", &hi))
    return Bad(response, herr::kBoundNotNumber);
  auto saturate = body->find("saturate");
  if (saturate != body->end() && !saturate->is_boolean())
    return Bad(response, herr::kSaturateNotBool);
  const std::string_view id = request.Header("idempotency-key");
  const bool increx = !lo.empty() || !hi.empty() || saturate != body->end() || !id.empty();
  if (!increx) return PlainIncr(key, decr, is_float, amount, caller, response);
  if (decr) amount = Negate(amount);
  std::vector<std::string_view> args = {"INCREX", key, is_float ? "BYFLOAT" : "BYINT", amount};
  if (!lo.empty()) args.insert(args.end(), {"LBOUND", lo});
  if (!hi.empty()) args.insert(args.end(), {"UBOUND", hi});
  if (saturate != body->end() && saturate->get<bool>()) args.push_back("SATURATE");
  if (!id.empty()) args.insert(args.end(), {"IDMP", id});
  Reply r = Run(args, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
  } else {
    response->body = json{{"key", TextJson(key)},
                          {"value", NumberJson(r.json.value[0])},
                          {"applied", NumberJson(r.json.value[1])}}
                         .dump();
  }
  return r.lsn;
}

Lsn HttpApi::PlainIncr(std::string_view key, bool decr, bool is_float, std::string amount,
                       const Caller& caller, HttpResponse* response) {
  std::string_view command = is_float ? "INCRBYFLOAT" : decr ? "DECRBY" : "INCRBY";
  if (is_float && decr) amount = Negate(amount);
  std::string_view args[] = {command, key, amount};
  Reply r = Run(args, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
  } else {
    response->body = json{{"key", TextJson(key)}, {"value", NumberJson(r.json.value)}}.dump();
  }
  return r.lsn;
}

Lsn HttpApi::PutCounter(const HttpRequest& request, std::string_view key, const Caller& caller,
                        HttpResponse* response) {
  auto body = ParseObject(request, /*optional=*/false, response);
  if (!body) return 0;
  auto value = body->find("value");
  if (value == body->end() || !(value->is_string() || value->is_number_integer()))
    return Bad(response, herr::kValueMissing);
  std::string text = value->is_string() ? value->get<std::string>() : value->dump();
  std::vector<std::string_view> args = {"SET", key, text};
  std::string ttl_text;
  if (auto ttl = body->find("ttl_ms"); ttl != body->end()) {
    if (!ttl->is_number_integer() || ttl->get<int64_t>() <= 0)
      return Bad(response, herr::kTtlNotPositive);
    ttl_text = ttl->dump();
    args.insert(args.end(), {"PX", ttl_text});
  }
  Reply r = Run(args, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
  } else {
    response->body = json{{"key", TextJson(key)}, {"value", *value}}.dump();
  }
  return r.lsn;
}

Lsn HttpApi::DeleteCounter(std::string_view key, const Caller& caller, HttpResponse* response) {
  std::string_view args[] = {"DEL", key};
  Reply r = Run(args, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
  } else if (r.json.value == 0) {
    response->status = 404;
    response->body = ErrorBody(herr::kNotFound, herr::kNoSuchKey);
  } else {
    response->body = json{{"key", TextJson(key)}, {"deleted", true}}.dump();
  }
  return r.lsn;
}

Lsn HttpApi::ListCounters(const QueryParams& query, const Caller& caller, HttpResponse* response) {
  std::string prefix, cursor = "0";
  int limit = 100;
  for (const auto& [name, value] : query) {
    if (name == "prefix") prefix = value;
    if (name == "cursor") cursor = value;
    if (name == "limit") {
      auto n = ParseInt64(value);
      if (!n || *n < 1 || *n > 1000) return Bad(response, herr::kBadLimit);
      limit = static_cast<int>(*n);
    }
  }
  const std::string pattern = GlobEscape(prefix) + "*";
  const std::string count = std::to_string(limit);
  std::string_view scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", count};
  Reply r = Run(scan, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
    return r.lsn;
  }
  const json& keys = r.json.value[1];
  json counters = json::array();
  Lsn lsn = r.lsn;
  if (!keys.empty()) {
    std::vector<std::string> names;
    for (const json& k : keys) {
      // A key that is not UTF-8 came as {"base64": ...}.
      names.push_back(k.is_string() ? k.get<std::string>()
                                    : Base64Decode(k["base64"].get<std::string>()).value_or(""));
    }
    std::vector<std::string_view> mget = {"MGET"};
    mget.insert(mget.end(), names.begin(), names.end());
    Reply values = Run(mget, caller);
    lsn = std::max(lsn, values.lsn);
    for (size_t i = 0; i < names.size() && values.json.value.is_array(); ++i) {
      const json& v = values.json.value[i];
      if (!v.is_null()) counters.push_back({{"key", keys[i]}, {"value", ValueJson(v)}});
    }
  }
  response->body = json{{"counters", std::move(counters)}, {"cursor", r.json.value[0]}}.dump();
  return lsn;
}

Lsn HttpApi::Throttle(const HttpRequest& request, std::string_view key, const Caller& caller,
                      HttpResponse* response) {
  auto body = ParseObject(request, /*optional=*/false, response);
  if (!body) return 0;
  std::string values[4] = {{}, {}, {}, "1"};  // quantity defaults to 1
  const char* names[] = {"max_burst", "count_per_period", "period", "quantity"};
  for (int i = 0; i < 4; ++i) {
    auto it = body->find(names[i]);
    if (it == body->end() && i == 3) continue;
    if (it == body->end() || !IsInt64(*it)) return Bad(response, herr::kThrottleParams);
    values[i] = it->dump();
  }
  std::string_view args[] = {"CL.THROTTLE", key, values[0], values[1], values[2], values[3]};
  Reply r = Run(args, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
    return r.lsn;
  }
  const json& v = r.json.value;
  const bool limited = v[0] == 1;
  const int64_t retry_after = v[3].get<int64_t>();
  if (limited) {
    response->status = 429;
    if (retry_after >= 0)
      response->headers.emplace_back("Retry-After", std::to_string(retry_after));
  }
  response->body = json{{"key", TextJson(key)}, {"limited", limited},         {"limit", v[1]},
                        {"remaining", v[2]},    {"retry_after", retry_after}, {"reset_after", v[4]}}
                       .dump();
  return r.lsn;
}

Lsn HttpApi::CounterHistory(const QueryParams& query, std::string_view key, const Caller& caller,
                            HttpResponse* response) {
  std::vector<std::string_view> args = {"TALLY.HISTORY", key};
  for (const auto& [name, value] : query) {
    if (name == "from") args.insert(args.end(), {"FROM", value});
    if (name == "to") args.insert(args.end(), {"TO", value});
    if (name == "limit") args.insert(args.end(), {"COUNT", value});
  }
  Reply r = Run(args, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
    return r.lsn;
  }
  json points = json::array();
  for (const json& p : r.json.value) points.push_back({{"t", p[0]}, {"value", ValueJson(p[1])}});
  response->body = json{{"key", TextJson(key)}, {"history", std::move(points)}}.dump();
  return r.lsn;
}

}  // namespace tally
