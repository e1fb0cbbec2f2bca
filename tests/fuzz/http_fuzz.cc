// libFuzzer target: the HTTP request path. Bytes go through the RequestParser twice, whole and
// in chunks of a fuzzer-chosen size, and must yield the same requests and the same error
// (fragmentation oracle); each request is then answered by the HttpApi over a real store.
// Every response must have a known status and, unless it is /metrics or the event stream, a JSON
// body. Nothing may crash, hang or trip a sanitizer.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../../src/http/http_api.h"
#include "../../src/http/request_parser.h"
#include "fuzz_server.h"

namespace {

struct Parsed {
  std::vector<tally::HttpRequest> requests;
  int error = 0;
};

Parsed ParseAll(std::string_view input, size_t chunk) {
  tally::RequestParser parser(2048, 4096);
  Parsed out;
  std::string buffered;
  for (size_t pos = 0; pos < input.size() && out.error == 0; pos += chunk) {
    buffered.append(input.substr(pos, chunk));
    while (!buffered.empty()) {
      size_t consumed = 0;
      auto r = parser.Parse(buffered, &consumed);
      buffered.erase(0, consumed);
      if (r == tally::RequestParser::Result::kError) {
        out.error = parser.error_status();
        break;
      }
      if (r == tally::RequestParser::Result::kRequest) {
        out.requests.push_back(parser.request());
      } else if (consumed == 0) {
        break;
      }
    }
  }
  return out;
}

bool Same(const tally::HttpRequest& a, const tally::HttpRequest& b) {
  return a.method == b.method && a.target == b.target && a.headers == b.headers && a.body == b.body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tally::FuzzServer* server = new tally::FuzzServer();
  static tally::HttpApi* api =
      new tally::HttpApi(*server, server->table(), [] { return std::string("# metrics\n"); });
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 16;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  Parsed whole = ParseAll(input, input.size() + 1);
  Parsed pieces = ParseAll(input, chunk);
  if (whole.error != pieces.error || whole.requests.size() != pieces.requests.size()) abort();
  for (size_t i = 0; i < whole.requests.size(); ++i)
    if (!Same(whole.requests[i], pieces.requests[i])) abort();
  if (whole.error != 0 && whole.error != 400 && whole.error != 413 && whole.error != 431) abort();

  static const std::set<int> kStatuses = {200, 400, 401, 403, 404, 405, 409, 413, 422, 503};
  for (const tally::HttpRequest& request : whole.requests) {
    tally::HttpResponse response;
    (void)api->Handle(request, &response);
    if (!kStatuses.count(response.status)) abort();
    // An event stream (GET /v1/events) has no body: the connection streams events instead.
    if (response.event_stream && (response.status != 200 || !response.body.empty())) abort();
    if (!response.event_stream && response.content_type == "application/json" &&
        !nlohmann::json::accept(response.body))
      abort();
  }
  return 0;
}
