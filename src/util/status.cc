#include "tally/util/status.h"

namespace tally {

std::string Status::ToString() const {
  const char* name = "";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      name = "Invalid argument";
      break;
    case Code::kNotInteger:
      name = "Not an integer";
      break;
    case Code::kNotFloat:
      name = "Not a float";
      break;
    case Code::kOverflow:
      name = "Overflow";
      break;
    case Code::kNanOrInfinity:
      name = "NaN or infinity";
      break;
    case Code::kWrongType:
      name = "Wrong type";
      break;
    case Code::kCorruption:
      name = "Corruption";
      break;
    case Code::kIOError:
      name = "IO error";
      break;
    case Code::kLogFailed:
      name = "Write-ahead log failed";
      break;
    case Code::kShutdown:
      name = "Shutdown";
      break;
    case Code::kNoSuchKey:
      name = "No such key";
      break;
    case Code::kBusy:
      name = "Busy";
      break;
    case Code::kValueInfinity:
      name = "Value is infinite";
      break;
    case Code::kAppliedOverflow:
      name = "Applied increment overflows";
      break;
    case Code::kAppliedInfinity:
      name = "Applied increment is infinite";
      break;
    case Code::kOutOfRange:
      name = "Out of range";
      break;
    case Code::kIdsFull:
      name = "Idempotency table full";
      break;
    case Code::kTooLarge:
      name = "Too large";
      break;
  }
  return message_.empty() ? std::string(name) : std::string(name) + ": " + message_;
}

}  // namespace tally
