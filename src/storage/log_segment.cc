#include "log_segment.h"

#include <rocksdb/file_system.h>

#include <cstdio>

#include "log_format.h"

namespace tally::logseg {

std::string Name(Lsn first) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.tlog", static_cast<unsigned long long>(first));
  return buf;
}

Lsn ParseName(std::string_view name) {
  if (name.size() != 25 || name.substr(20) != ".tlog") return 0;
  Lsn v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<Lsn>(c - '0');
  }
  return v;
}

Status ReadFile(rocksdb::FileSystem* fs, const std::string& path, std::string* out) {
  std::unique_ptr<rocksdb::FSSequentialFile> file;
  rocksdb::IOStatus s = fs->NewSequentialFile(path, rocksdb::FileOptions(), &file, nullptr);
  if (!s.ok()) return Status::IOError(s.ToString());
  out->clear();
  std::string chunk(1 << 20, '\0');
  while (true) {
    rocksdb::Slice got;
    s = file->Read(chunk.size(), rocksdb::IOOptions(), &got, chunk.data(), nullptr);
    if (!s.ok()) return Status::IOError(path + ": " + s.ToString());
    if (got.size() == 0) break;
    out->append(got.data(), got.size());
  }
  return Status::OK();
}

namespace {

// True if an intact frame starts anywhere in `data` after `from` with an LSN above `after`.
bool IntactFrameAfter(std::string_view data, size_t from, Lsn after) {
  // Cheap filter first: a frame's LSN sits right after its 8-byte header; only a plausible one
  // (above `after`, below it + 2^32) is worth a checksum.
  for (size_t pos = from; pos + logfmt::kFrameHeader + 12 <= data.size(); ++pos) {
    // A frame's length (header bytes 4-7) is never zero, so none starts inside a run of zeros
    // before its last 7 bytes: skip the run (a preallocated tail is megabytes of zeros).
    if (data[pos] == '\0') {
      const size_t nonzero = data.find_first_not_of('\0', pos);
      if (nonzero == std::string_view::npos) return false;
      if (nonzero >= pos + 8) {
        pos = nonzero - 8;  // the loop's ++pos: nonzero - 7, the first start that may be valid
        continue;
      }
    }
    std::string_view rest = data.substr(pos);
    Lsn lsn = logfmt::FirstLsn(rest.substr(logfmt::kFrameHeader));
    if (lsn <= after || lsn - after > (Lsn{1} << 32)) continue;
    if (logfmt::ParseFrame(rest).state == logfmt::FrameState::kOk) return true;
  }
  return false;
}

}  // namespace

StatusOr<Scan> ScanFrames(std::string_view data, const std::string& path, FrameFn fn) {
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
