// ReplyWriter: appends RESP2 or RESP3 replies to a connection's output buffer.
//
// The writer does not own the buffer. Its protocol version can change between replies (HELLO 3
// switches it for every reply after its own). Not thread-safe: one writer per connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tally {

// Told the code ("ERR", "WRONGTYPE", ...) of every error reply written (INFO errorstats).
class ErrorSink {
 public:
  virtual ~ErrorSink() = default;
  virtual void OnError(std::string_view code) = 0;
};

class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out) : out_(out) {}

  // 2 or 3.
  int protocol() const { return protocol_; }
  void set_protocol(int version) { protocol_ = version; }

  void SimpleString(std::string_view s);  // "+OK"; REQUIRES: no CR or LF in s
  void Ok() { out_->append("+OK\r\n"); }
  // Error reply. A text starting with '-' carries its own code ("-WRONGTYPE ..."); any other
  // text gets "ERR " in front, as Redis's addReplyError does. CR and LF become spaces.
  void Error(std::string_view text);
  void Integer(int64_t n);
  void Bulk(std::string_view s);
  void Null();       // "$-1" in RESP2, "_" in RESP3
  void NullArray();  // "*-1" in RESP2, "_" in RESP3
  void ArrayHeader(size_t n);
  void PushHeader(size_t n);     // ">n" in RESP3 (out-of-band data), "*n" in RESP2
  void MapHeader(size_t pairs);  // "%n" in RESP3, "*2n" in RESP2
  void SetHeader(size_t n);      // "~n" in RESP3, "*n" in RESP2
  void Double(double d);         // "," in RESP3, a bulk string in RESP2
  // Redis's addReplyHumanLongDouble: RESP2 a bulk string in INCRBYFLOAT's form, RESP3 a double
  // in its shortest round-trip form (as Redis 8 writes doubles). REQUIRES: finite.
  void HumanLongDouble(long double d);
  void Bool(bool b);  // "#t"/"#f" in RESP3, ":1"/":0" in RESP2
  // A verbatim string ("=len\r\ntxt:...") in RESP3, a bulk string in RESP2.
  void Verbatim(std::string_view s, std::string_view format = "txt");
  // Raw protocol bytes, for replies built elsewhere.
  void Raw(std::string_view bytes) { out_->append(bytes); }

  std::string* buffer() { return out_; }
  // Every later Error() is reported to `sink` (nullptr: none). `sink` must outlive the writer.
  void set_error_sink(ErrorSink* sink) { error_sink_ = sink; }

 private:
  void Header(char type, int64_t n);
  std::string* out_;
  int protocol_ = 2;
  ErrorSink* error_sink_ = nullptr;
};

}  // namespace tally
