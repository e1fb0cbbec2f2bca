#include "http_api.h"

#include <algorithm>
#include <optional>

#include "resp_json.h"
#include "tally/commands/acl.h"
#include "tally/protocol/errors.h"
#include "tally/util/config.h"
#include "tally/util/numbers.h"

namespace tally {
namespace {

namespace herr = errors::http;
using nlohmann::json;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Compares without stopping at the first difference (no timing hint about the password).
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned diff = a.size() != b.size();
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % std::max<size_t>(b.size(), 1)];
  return diff == 0;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::optional<QueryParams> ParseQuery(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

HttpApi::HttpApi(ServerContext& server, const CommandTable& table,
                 std::function<std::string()> metrics)
    : server_(server), table_(table), metrics_(std::move(metrics)) {}

std::string HttpApi::ErrorBody(std::string_view code, std::string_view message) {
  json j = {{"error", {{"code", std::string(code)}, {"message", TextJson(message)}}}};
  return j.dump();
}

bool HttpApi::Authorized(const HttpRequest& request, HttpResponse* response,
                         std::shared_ptr<const AclUser>* user) {
  std::string_view auth = request.Header("authorization");
  std::optional<std::pair<std::string, std::string>> credentials;  // user, password
  if (auth.substr(0, 7) == "Bearer ") {
    credentials.emplace("default", std::string(auth.substr(7)));
  } else if (auth.substr(0, 6) == "Basic ") {
    auto decoded = Base64Decode(auth.substr(6));
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      std::string name = decoded->substr(0, colon);
      credentials.emplace(name.empty() ? "default" : name, decoded->substr(colon + 1));
    }
  }
  bool ok = false;
  if (Acl* acl = server_.acl()) {
    if (credentials) {
      *user = acl->Authenticate(credentials->first, credentials->second);
      ok = *user != nullptr;
    } else {
      ok = auth.empty() && DefaultUserNeedsNoAuth(*acl);
    }
  } else {  // no ACL users (a bare server): requirepass alone
    const std::string password = server_.config().Str(Opt::kRequirepass);
    ok = password.empty() || (credentials && credentials->first == "default" &&
                              SameSecret(credentials->second, password));
  }
  if (ok) return true;
  response->status = 401;
  response->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tally\"");
  response->headers.emplace_back("WWW-Authenticate", "Basic realm=\"tally\", charset=\"UTF-8\"");
  response->body =
      ErrorBody(herr::kUnauthorized, auth.empty() ? herr::kAuthRequired : herr::kWrongCredentials);
  return false;
}

HttpApi::Reply HttpApi::Run(std::span<const std::string_view> args, const Caller& caller) {
  Session session;
  session.authenticated = true;
  session.db = caller.db;
  if (caller.user != nullptr && server_.acl() != nullptr)
    SetSessionUser(*server_.acl(), session, caller.user);
  session.resp = 3;
  std::string out;
  ReplyWriter writer(&out);
  writer.set_protocol(3);
  CommandContext ctx{args, session, writer, server_};
  table_.Dispatch(ctx);
  if (!session.notifications.empty()) PublishNotificationsWhenAcked(server_, session, ctx.barrier);
  Reply r;
  r.lsn = ctx.barrier;
  if (out.empty()) {  // "POST" and "Host:" are dropped silently over RESP
    r.json.error = true;
    r.json.code = "ERR";
    r.json.message = "ERR unknown command";
  } else {
    r.json = RespToJson(out);
  }
  return r;
}

int HttpStatusForError(const JsonReply& r) {
  const std::string& m = r.message;
  auto has = [&](std::string_view s) { return m.find(s) != std::string::npos; };
  if (r.code == "WRONGTYPE") return 409;
  if (r.code == "NOAUTH" || r.code == "WRONGPASS") return 401;
  if (r.code == "NOPERM") return 403;
  if (r.code == "MISCONF") return 503;  // the write-ahead log has failed
  if (has(errors::kNotInteger) || has(errors::kNotFloat)) return 409;
  if (has("overflow") || has(errors::kNanOrInfinity)) return 422;
  return 400;
}

void SetHttpError(const JsonReply& r, HttpResponse* response) {
  response->status = HttpStatusForError(r);
  response->body = HttpApi::ErrorBody(r.code, r.message);
}

Lsn HttpApi::Handle(const HttpRequest& request, HttpResponse* response) {
  std::string_view target = request.target;
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (path == "/healthz") {
    Health(false, response);
    return 0;
  }
  Caller caller;
  if (!Authorized(request, response, &caller.user)) return 0;
  auto query = ParseQuery(q == std::string_view::npos ? "" : target.substr(q + 1));
  if (!query) {
    response->status = 400;
    response->body = ErrorBody(herr::kBadRequest, herr::kBadPercent);
    return 0;
  }
  for (const auto& [name, value] : *query) {
    if (name != "db") continue;
    auto n = ParseInt64(value);
    if (!n || *n < 0 || *n >= server_.keyspace().databases()) {
      response->status = 400;
      response->body = ErrorBody(herr::kBadRequest, herr::kBadDb);
      return 0;
    }
    caller.db = static_cast<int>(*n);
  }
  return Route(request, path, *query, caller, response);
}

Lsn HttpApi::Route(const HttpRequest& request, std::string_view path, const QueryParams& query,
                   const Caller& caller, HttpResponse* response) {
  const std::string& m = request.method;
  auto method_not_allowed = [&](const char* allow) {
    response->status = 405;
    response->headers.emplace_back("Allow", allow);
    response->body = ErrorBody(herr::kBadRequest, herr::kMethodNotAllowed);
    return Lsn{0};
  };
  if (path == "/readyz") {
    if (m != "GET") return method_not_allowed("GET");
    Health(true, response);
    return 0;
  }
  if (path == "/metrics") {
    if (m != "GET") return method_not_allowed("GET");
    response->content_type = "text/plain; version=0.0.4; charset=utf-8";
    response->body = metrics_();
    return 0;
  }
  if (path == "/v1/command")
    return m == "POST" ? Command(request, caller, response) : method_not_allowed("POST");
  if (path == "/v1/events") {
    if (m != "GET") return method_not_allowed("GET");
    response->event_stream = true;
    response->content_type = "text/event-stream";  // the connection writes the stream's head
    response->events_db = caller.db;
    response->events_keys = "*";
    for (const auto& [name, value] : query)
      if (name == "keys") response->events_keys = value;
    return 0;
  }
  if (path == "/") return m == "GET" ? Dashboard(response) : method_not_allowed("GET");
  if (path == "/v1/counters")
    return m == "GET" ? ListCounters(query, caller, response) : method_not_allowed("GET");
  constexpr std::string_view kPrefix = "/v1/counters/";
  if (path.substr(0, kPrefix.size()) == kPrefix) {
    std::string_view rest = path.substr(kPrefix.size());
    const size_t slash = rest.find('/');
    auto key = PercentDecode(rest.substr(0, slash), false);
    if (!key) {
      response->status = 400;
      response->body = ErrorBody(herr::kBadRequest, herr::kBadPercent);
      return 0;
    }
    if (slash == std::string_view::npos) {
      if (m == "GET") return GetCounter(*key, caller, response);
      if (m == "PUT") return PutCounter(request, *key, caller, response);
      if (m == "DELETE") return DeleteCounter(*key, caller, response);
      return method_not_allowed("GET, PUT, DELETE");
    }
    std::string_view action = rest.substr(slash + 1);
    if (action == "incr" || action == "decr") {
      if (m != "POST") return method_not_allowed("POST");
      return IncrCounter(request, *key, action == "decr", caller, response);
    }
    if (action == "history")
      return m == "GET" ? CounterHistory(query, *key, caller, response) : method_not_allowed("GET");
  }
  constexpr std::string_view kLimits = "/v1/limits/";
  if (path.substr(0, kLimits.size()) == kLimits) {
    const std::string_view rest = path.substr(kLimits.size());
    auto key = PercentDecode(rest, false);
    if (!key || key->empty() || rest.find('/') != std::string_view::npos) {
      response->status = key ? 404 : 400;
      response->body = key ? ErrorBody(herr::kNotFound, herr::kNoSuchRoute)
                           : ErrorBody(herr::kBadRequest, herr::kBadPercent);
      return 0;
    }
    return m == "POST" ? Throttle(request, *key, caller, response) : method_not_allowed("POST");
  }
  response->status = 404;
  response->body = ErrorBody(herr::kNotFound, herr::kNoSuchRoute);
  return 0;
}

void HttpApi::Health(bool ready, HttpResponse* response) {
  if (!ready) {
    response->body = R"({"status":"ok"})";
    return;
  }
  Status failure = server_.commit_log().failure();
  if (failure.ok()) {
    response->body = R"({"status":"ready"})";
    return;
  }
  response->status = 503;
  response->body =
      ErrorBody(herr::kUnavailable, std::string(herr::kLogFailed) + ": " + failure.ToString());
}

Lsn HttpApi::Command(const HttpRequest& request, const Caller& caller, HttpResponse* response) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const char* message) {
    response->status = 400;
    response->body = ErrorBody(herr::kBadRequest, message);
    return Lsn{0};
  };
  if (body.is_discarded()) return bad(herr::kInvalidJson);
  if (!body.is_object()) return bad(herr::kBodyNotObject);
  auto it = body.find("args");
  if (it == body.end() || !it->is_array() || it->empty()) return bad(herr::kArgsNotStrings);
  std::vector<std::string> args;
  for (const json& a : *it) {
    if (a.is_string()) {
      args.push_back(a.get<std::string>());
    } else if (a.is_number_integer()) {
      args.push_back(a.dump());
    } else {
      return bad(herr::kArgsNotStrings);
    }
  }
  const CommandSpec* spec = table_.Find(args[0]);
  if (spec != nullptr && (spec->flags & kCmdNoHttp)) return bad(herr::kNotOverHttp);
  std::vector<std::string_view> views(args.begin(), args.end());
  Reply r = Run(views, caller);
  if (r.json.error) {
    SetHttpError(r.json, response);
  } else {
    response->body = json{{"result", std::move(r.json.value)}}.dump(-1, ' ', false,
                                                                    json::error_handler_t::replace);
  }
  return r.lsn;
}

}  // namespace tally
