// HttpRequest and HttpResponse: one HTTP/1.1 exchange as the HTTP API sees it, free of the
// connection that carries it (so the API can be driven by tests and the fuzzer directly).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query, still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first header named `name` (lower case), or "".
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // GET /v1/events: instead of a body, the connection streams the events of database
  // `events_db` whose keys match `events_keys` (Server-Sent Events) until the client leaves.
  bool event_stream = false;
  std::string events_keys;
  int events_db = 0;
};

// The reason phrase of a status code ("Not Found").
std::string_view HttpReason(int status);
// Appends `response` as HTTP/1.1 bytes to `out`; with `close`, "Connection: close".
void AppendHttpResponse(const HttpResponse& response, bool close, std::string* out);

}  // namespace tally
