// Template body of logseg::ScanFrames (included by log_segment.h).
#pragma once

#include "log_format.h"

namespace tally::logseg {

// True if an intact frame starts anywhere in `data` after `from` with an LSN above `after`.
bool IntactFrameAfter(std::string_view data, size_t from, Lsn after);

template <typename Fn>
StatusOr<Scan> ScanFrames(std::string_view data, const std::string& path, Fn fn) {
  Scan scan;
  size_t pos = 0;
  while (pos < data.size()) {
    logfmt::FrameView f = logfmt::ParseFrame(data.substr(pos));
    if (f.state != logfmt::FrameState::kOk) {
      if (IntactFrameAfter(data, pos + 1, scan.last)) {
        return Status::Corruption("log segment " + path + " is damaged at offset " +
                                  std::to_string(pos) + " and has intact records after it");
      }
      scan.torn = true;
      break;
    }
    const Lsn first = logfmt::FirstLsn(f.payload);
    if (scan.last != 0 && first != scan.last + 1) {
      return Status::Corruption("log segment " + path + " skips from LSN " +
                                std::to_string(scan.last) + " to " + std::to_string(first) +
                                " at offset " + std::to_string(pos));
    }
    Lsn last = 0;
    TALLY_RETURN_IF_ERROR(fn(f.payload, &last));
    if (scan.first == 0) scan.first = first;
    scan.last = last;
    pos += f.size;
    scan.valid_bytes = pos;
  }
  return scan;
}

}  // namespace tally::logseg
