// RequestParser: HTTP/1.1 requests out of a byte stream, one at a time, with Node's http_parser
// (Debian's libhttp-parser, the parser RESTinio wraps) and Tally's limits on header and body
// size. Pipelined requests come out in order; a request split anywhere is completed by later
// input.
//
// Not thread-safe: one parser per connection.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string_view>

#include "http_request.h"

namespace tally {

class RequestParser {
 public:
  // Request line plus headers past `max_header_bytes` are refused with 431, bodies past
  // `max_body_bytes` with 413.
  RequestParser(size_t max_header_bytes, size_t max_body_bytes);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  enum class Result {
    kRequest,   // request() holds a complete request; call Parse() again for the next
    kNeedMore,  // everything was consumed; a request may be partly read
    kError,     // the input is not HTTP or passes a limit: error_status() says which
  };
  // Parses from `in`, setting *consumed to the bytes used (the caller drops them).
  Result Parse(std::string_view in, size_t* consumed);

  const HttpRequest& request() const { return request_; }
  // Whether the connection may stay open after the request just parsed.
  bool keep_alive() const { return http_should_keep_alive(&parser_) != 0; }
  // 400, 413 or 431 after kError.
  int error_status() const { return error_status_; }
  // Whether a request has started arriving and is not complete yet.
  bool in_request() const { return in_request_; }

 private:
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t n);
  static int OnHeaderField(http_parser* p, const char* at, size_t n);
  static int OnHeaderValue(http_parser* p, const char* at, size_t n);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t n);
  static int OnMessageComplete(http_parser* p);
  static const http_parser_settings kSettings;
  // Counts header bytes; false (and a 431) past the limit.
  bool HeaderBytes(size_t n);

  const size_t max_header_bytes_;
  const size_t max_body_bytes_;
  http_parser parser_;
  HttpRequest request_;
  bool in_value_ = false;    // inside a header value
  bool in_request_ = false;  // between a request's first byte and its last
  size_t header_bytes_ = 0;
  int limit_status_ = 0;  // 413 or 431 once a limit stopped the parser
  int error_status_ = 0;
};

}  // namespace tally
