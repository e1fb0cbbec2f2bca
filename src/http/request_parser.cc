#include "request_parser.h"

#include <cctype>
#include <climits>

namespace tally {
namespace {

RequestParser* Self(http_parser* p) { return static_cast<RequestParser*>(p->data); }

}  // namespace

const http_parser_settings RequestParser::kSettings = [] {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = &RequestParser::OnMessageBegin;
  s.on_url = &RequestParser::OnUrl;
  s.on_header_field = &RequestParser::OnHeaderField;
  s.on_header_value = &RequestParser::OnHeaderValue;
  s.on_headers_complete = &RequestParser::OnHeadersComplete;
  s.on_body = &RequestParser::OnBody;
  s.on_message_complete = &RequestParser::OnMessageComplete;
  return s;
}();

RequestParser::RequestParser(size_t max_header_bytes, size_t max_body_bytes)
    : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

bool RequestParser::HeaderBytes(size_t n) {
  header_bytes_ += n;
  if (header_bytes_ <= max_header_bytes_) return true;
  limit_status_ = 431;
  return false;
}

int RequestParser::OnMessageBegin(http_parser* p) {
  RequestParser* self = Self(p);
  self->request_ = HttpRequest{};
  self->header_bytes_ = 0;
  self->in_value_ = false;
  self->in_request_ = true;
  return 0;
}

int RequestParser::OnUrl(http_parser* p, const char* at, size_t n) {
  RequestParser* self = Self(p);
  if (!self->HeaderBytes(n)) return 1;
  self->request_.target.append(at, n);
  return 0;
}

int RequestParser::OnHeaderField(http_parser* p, const char* at, size_t n) {
  RequestParser* self = Self(p);
  if (!self->HeaderBytes(n)) return 1;
  auto& headers = self->request_.headers;
  if (self->in_value_ || headers.empty()) headers.emplace_back();
  self->in_value_ = false;
  for (size_t i = 0; i < n; ++i)
    headers.back().first.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
  return 0;
}

int RequestParser::OnHeaderValue(http_parser* p, const char* at, size_t n) {
  RequestParser* self = Self(p);
  if (!self->HeaderBytes(n)) return 1;
  self->in_value_ = true;
  self->request_.headers.back().second.append(at, n);
  return 0;
}

int RequestParser::OnHeadersComplete(http_parser* p) {
  RequestParser* self = Self(p);
  self->request_.method = http_method_str(static_cast<http_method>(p->method));
  // No Content-Length is ULLONG_MAX (chunked, or no body): OnBody counts those.
  if (p->content_length != ULLONG_MAX && p->content_length > self->max_body_bytes_) {
    self->limit_status_ = 413;
    return -1;
  }
  return 0;
}

int RequestParser::OnBody(http_parser* p, const char* at, size_t n) {
  RequestParser* self = Self(p);
  if (self->request_.body.size() + n > self->max_body_bytes_) {
    self->limit_status_ = 413;
    return 1;
  }
  self->request_.body.append(at, n);
  return 0;
}

int RequestParser::OnMessageComplete(http_parser* p) {
  Self(p)->in_request_ = false;
  http_parser_pause(p, 1);  // one request at a time: the caller answers it first
  return 0;
}

RequestParser::Result RequestParser::Parse(std::string_view in, size_t* consumed) {
  if (error_status_ != 0) {
    *consumed = 0;
    return Result::kError;
  }
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) http_parser_pause(&parser_, 0);
  *consumed = http_parser_execute(&parser_, &kSettings, in.data(), in.size());
  const http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) return Result::kRequest;
  if (err == HPE_OK) return Result::kNeedMore;
  error_status_ = limit_status_ != 0 ? limit_status_ : err == HPE_HEADER_OVERFLOW ? 431 : 400;
  return Result::kError;
}

}  // namespace tally
