// Status and StatusOr<T>: how fallible calls report failure across Tally's layers.
//
// A Status is either OK or carries a code and a message. Codes are the semantic outcomes that
// the layers above map to replies (for example kWrongType becomes Redis's WRONGTYPE error in the
// command layer). No exception crosses a layer boundary; a RocksDB status is converted once, in
// storage. Both classes are value types; not thread-safe for concurrent mutation.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tally {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad configuration or argument
    kNotInteger,       // a stored value or argument is not a 64-bit integer
    kNotFloat,         // a stored value or argument is not a valid float
    kOverflow,         // integer arithmetic would overflow
    kNanOrInfinity,    // float arithmetic would produce NaN or infinity
    kWrongType,        // the key holds a value of another type
    kCorruption,       // stored bytes cannot be decoded
    kIOError,          // the disk or the OS failed
    kLogFailed,        // the write-ahead log failed earlier; writes are refused
    kShutdown,         // the server is stopping
    kNoSuchKey,        // the key an operation needs does not exist
    kBusy,             // an operation of this kind is already running
    kValueInfinity,    // INCREX BYFLOAT: the stored value is infinite
    kAppliedOverflow,  // INCREX: the applied integer increment would leave int64
    kAppliedInfinity,  // INCREX: the applied float increment would be infinite
    kIdsFull,          // the idempotency table is at idempotency-max-ids
    kOutOfRange,       // arguments whose arithmetic would overflow (CL.THROTTLE's rates)
    kTooLarge,         // a value would pass its size limit
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotInteger() { return {Code::kNotInteger, {}}; }
  static Status NotFloat() { return {Code::kNotFloat, {}}; }
  static Status Overflow() { return {Code::kOverflow, {}}; }
  static Status NanOrInfinity() { return {Code::kNanOrInfinity, {}}; }
  static Status WrongType() { return {Code::kWrongType, {}}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status LogFailed(std::string msg) { return {Code::kLogFailed, std::move(msg)}; }
  static Status Shutdown() { return {Code::kShutdown, "server is shutting down"}; }
  static Status NoSuchKey() { return {Code::kNoSuchKey, "no such key"}; }
  static Status Busy(std::string msg) { return {Code::kBusy, std::move(msg)}; }
  static Status Of(Code code) { return {code, {}}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // A human-readable form for logs: "IO error: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {}  // NOLINT  REQUIRES: !status.ok()
  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }
  // REQUIRES: ok()
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace tally

// Returns early from the enclosing function with the status if it is not OK.
#define TALLY_RETURN_IF_ERROR(expr) \
  do {                              \
    ::tally::Status _st = (expr);   \
    if (!_st.ok()) return _st;      \
  } while (0)
