// RespParser: incremental, zero-copy parser of client requests (RESP multibulk and inline), with
// Redis 7.0's exact limits and protocol errors (networking.c processMultibulkBuffer and
// processInlineBuffer).
//
// Buffer rule: Parse() is given the bytes from the start of the current (possibly partial)
// command to the end of what has been read. While it returns kIncomplete it keeps its progress as
// offsets relative to that start, so the caller may move the bytes (compact its buffer) between
// calls as long as the start of the pending command moves with them. On kOk, `args` points into
// the given input (or into the parser, for quoted inline tokens) and stays valid until the next
// call to Parse() or until the caller changes those bytes.
//
// Not thread-safe: one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tally {

class RespParser {
 public:
  enum class Result {
    kOk,          // one command parsed; `consumed` bytes belong to it. `args` may be empty
                  // (an empty inline line or "*0"): Redis ignores those without a reply.
    kIncomplete,  // more bytes are needed; nothing is consumed.
    kError,       // protocol error; error() is the reply text. The connection must close.
  };

  struct Limits {
    int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
    size_t max_inline = 64 * 1024;               // PROTO_INLINE_MAX_SIZE
  };

  RespParser() : RespParser(Limits{}) {}
  explicit RespParser(Limits limits) : limits_(limits) {}

  Result Parse(std::string_view input, size_t* consumed, std::vector<std::string_view>* args);

  // The protocol error text (without "ERR "). Valid after kError.
  const std::string& error() const { return error_; }
  // Unauthenticated clients get Redis's tighter limits (10 arguments, 16 KiB bulks).
  void set_authenticated(bool authed) { authed_ = authed; }
  void set_max_bulk_len(int64_t n) { limits_.max_bulk_len = n; }
  // Bytes the pending command is known to need in total (0 if unknown): lets the caller grow
  // its buffer once for a large bulk instead of many times.
  size_t bytes_hint() const;

 private:
  Result ParseInline(std::string_view input, size_t* consumed, std::vector<std::string_view>* args);
  Result ParseMultibulk(std::string_view input, size_t* consumed,
                        std::vector<std::string_view>* args);
  Result Fail(std::string error);
  void Reset();

  Limits limits_;
  bool authed_ = true;
  std::string error_;
  // Progress through a partial multibulk command, relative to its first byte.
  bool in_multibulk_ = false;
  int64_t remaining_args_ = 0;
  int64_t bulk_len_ = -1;
  size_t pos_ = 0;
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length)
  std::vector<std::string> inline_args_;              // quoted inline tokens need unescaping
};

}  // namespace tally
