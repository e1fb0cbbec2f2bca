// HttpApi: Tally's REST API (conf/openapi.yaml), a front end beside the RESP connection over
// the same command layer: every endpoint runs Redis commands through the CommandTable (GET,
// INCRBY, SET, DEL, SCAN + MGET, or any command for POST /v1/command) and answers with what
// they reply, as JSON. The caller waits until the returned LSN is acknowledged before it sends
// the response, exactly as a RESP connection waits before its replies.
//
//   GET    /v1/counters/{key}             {"key": k, "value": 42}, 404 if missing
//   POST   /v1/counters/{key}/incr|decr   body {"by": n} or {"by_float": "1.5"}; the new value.
//          With "min", "max", "saturate" or an Idempotency-Key header: INCREX, and "applied"
//   GET    /v1/counters/{key}/history?from=&to=&limit=   {"key": k, "history": [{"t": ms,
//          "value": v}, ...]} (keys matching history-keys; value null for a delete)
//   POST   /v1/limits/{key}               body {"max_burst", "count_per_period", "period",
//          "quantity"}: CL.THROTTLE's five figures; 429 with Retry-After when limited
//   PUT    /v1/counters/{key}             body {"value": 10, "ttl_ms": 60000}
//   DELETE /v1/counters/{key}             {"key": k, "deleted": true}, 404 if missing
//   GET    /v1/counters?prefix=&cursor=&limit=   {"counters": [...], "cursor": "0"}
//   POST   /v1/command                    body {"args": ["INCRBY", "k", "5"]}; {"result": ...}
//   GET    /v1/events?keys=<glob>         Server-Sent Events: "alert" (TALLY.ALERT crossings)
//          and "change" (every change of a matching key's value), each data a JSON object
//   GET    /                              the dashboard (dashboard.cc)
//   GET    /healthz, /readyz, /metrics
//
// Keys are any bytes, percent-encoded in the path; ?db=n selects a database. Errors are
// {"error": {"code", "message"}} with a fitting status (errors.h has every text). With
// requirepass set, every endpoint but /healthz needs Authorization: Bearer <password> or Basic
// with user "default".
//
// Thread-safe: Handle() may run on any io thread at once (each request gets its own Session).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_request.h"
#include "resp_json.h"
#include "tally/commands/command_table.h"
#include "tally/commands/server_context.h"
#include "tally/storage/types.h"

namespace tally {

struct AclUser;

// Who a request runs as: its database (?db=) and its ACL user (from Authorization).
struct Caller {
  int db = 0;
  std::shared_ptr<const AclUser> user;  // null: the default user
};

// A query string's name=value pairs, in order.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

class HttpApi {
 public:
  // `metrics` renders GET /metrics (Prometheus text format).
  HttpApi(ServerContext& server, const CommandTable& table, std::function<std::string()> metrics);

  // Answers one request; returns the LSN the response reveals (0: nothing to wait for).
  Lsn Handle(const HttpRequest& request, HttpResponse* response);

  // {"error": {"code": code, "message": message}}
  static std::string ErrorBody(std::string_view code, std::string_view message);

 private:
  // A command's reply as JSON, and the LSN it reveals.
  struct Reply {
    JsonReply json;
    Lsn lsn = 0;
  };
  Reply Run(std::span<const std::string_view> args, const Caller& caller);
  Lsn Route(const HttpRequest& request, std::string_view path, const QueryParams& query,
            const Caller& caller, HttpResponse* response);
  Lsn GetCounter(std::string_view key, const Caller& caller, HttpResponse* response);
  Lsn IncrCounter(const HttpRequest& request, std::string_view key, bool decr, const Caller& caller,
                  HttpResponse* response);
  // INCRBY, DECRBY or INCRBYFLOAT (`amount` as given; negated here for a float decrement).
  Lsn PlainIncr(std::string_view key, bool decr, bool is_float, std::string amount,
                const Caller& caller, HttpResponse* response);
  // POST /v1/limits/{key}: CL.THROTTLE with the body's parameters; 429 with Retry-After when
  // limited.
  Lsn Throttle(const HttpRequest& request, std::string_view key, const Caller& caller,
               HttpResponse* response);
  // GET /v1/counters/{key}/history?from=&to=&limit=: TALLY.HISTORY.
  Lsn CounterHistory(const QueryParams& query, std::string_view key, const Caller& caller,
                     HttpResponse* response);
  // GET /: the dashboard page.
  Lsn Dashboard(HttpResponse* response);
  Lsn PutCounter(const HttpRequest& request, std::string_view key, const Caller& caller,
                 HttpResponse* response);
  Lsn DeleteCounter(std::string_view key, const Caller& caller, HttpResponse* response);
  Lsn ListCounters(const QueryParams& query, const Caller& caller, HttpResponse* response);
  Lsn Command(const HttpRequest& request, const Caller& caller, HttpResponse* response);
  void Health(bool ready, HttpResponse* response);
  // Checks the Authorization header as AUTH would: "Bearer <password>" or Basic "<user>:<pass>"
  // (an empty user is "default"); with none, the default user if it needs no password. Sets
  // `user` (null: default without ACL users), or fills a 401 and returns false.
  bool Authorized(const HttpRequest& request, HttpResponse* response,
                  std::shared_ptr<const AclUser>* user);

  ServerContext& server_;
  const CommandTable& table_;
  std::function<std::string()> metrics_;
};

// The status for a command's error reply (409 WRONGTYPE or a stored value that is not a
// number, 422 overflow, 401/403 auth, 503 a failed log, else 400), and the error response.
int HttpStatusForError(const JsonReply& r);
void SetHttpError(const JsonReply& r, HttpResponse* response);

// Splits a query string (after '?') into pairs, percent-decoded with '+' as a space; nullopt
// if an escape is malformed.
std::optional<QueryParams> ParseQuery(std::string_view query);

// Decodes %XX escapes (and '+' as a space if `plus_is_space`); nullopt if malformed.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace tally
