// Values of the types other than strings (rdb.c rdbLoadObject): lists decoded in every
// encoding, the other types read past without keeping their contents.
#include "rdb_format.h"

namespace tally::rdb {

Status Reader::SkipStrings(uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) TALLY_RETURN_IF_ERROR(String(&scratch_));
  return Status::OK();
}

Status Reader::SkipModuleOpcodes() {
  for (;;) {
    uint64_t op, v;
    TALLY_RETURN_IF_ERROR(Length(&op));
    switch (op) {
      case 0:  // EOF
        return Status::OK();
      case 1:  // SINT
      case 2:  // UINT
        TALLY_RETURN_IF_ERROR(Length(&v));
        break;
      case 3:  // FLOAT
        TALLY_RETURN_IF_ERROR(in_.Skip(4));
        break;
      case 4:  // DOUBLE
        TALLY_RETURN_IF_ERROR(in_.Skip(8));
        break;
      case 5:  // STRING
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        break;
      default:
        return in_.Corrupt("unknown module opcode " + std::to_string(op));
    }
  }
}

Status Reader::SkipStream(uint8_t type) {
  uint64_t n, v;
  TALLY_RETURN_IF_ERROR(Length(&n));  // listpacks: (node key, listpack) pairs
  TALLY_RETURN_IF_ERROR(SkipStrings(2 * n));
  // Length, last ID; then (v2 and later) first ID, max deleted ID and entries added.
  const int ids = type >= kStreamListpacks2 ? 8 : 3;
  for (int i = 0; i < ids; ++i) TALLY_RETURN_IF_ERROR(Length(&v));
  uint64_t groups;
  TALLY_RETURN_IF_ERROR(Length(&groups));
  for (uint64_t g = 0; g < groups; ++g) {
    TALLY_RETURN_IF_ERROR(String(&scratch_));  // name
    for (int i = 0; i < (type >= kStreamListpacks2 ? 3 : 2); ++i)
      TALLY_RETURN_IF_ERROR(Length(&v));  // last ID (ms, seq), entries read
    uint64_t pending;
    TALLY_RETURN_IF_ERROR(Length(&pending));
    for (uint64_t p = 0; p < pending; ++p) {
      TALLY_RETURN_IF_ERROR(in_.Skip(16 + 8));  // raw ID, delivery time
      TALLY_RETURN_IF_ERROR(Length(&v));        // delivery count
    }
    uint64_t consumers;
    TALLY_RETURN_IF_ERROR(Length(&consumers));
    for (uint64_t c = 0; c < consumers; ++c) {
      TALLY_RETURN_IF_ERROR(String(&scratch_));                             // name
      TALLY_RETURN_IF_ERROR(in_.Skip(type >= kStreamListpacks3 ? 16 : 8));  // seen (active) time
      TALLY_RETURN_IF_ERROR(Length(&pending));
      for (uint64_t p = 0; p < pending; ++p) TALLY_RETURN_IF_ERROR(in_.Skip(16));
    }
  }
  return Status::OK();
}

Status Reader::SkipValue(uint8_t type) {
  uint64_t n, v;
  switch (type) {
    case kSet:
      TALLY_RETURN_IF_ERROR(Length(&n));
      return SkipStrings(n);
    case kHash:
      TALLY_RETURN_IF_ERROR(Length(&n));
      return SkipStrings(2 * n);
    case kZset:  // member, score as a length-prefixed decimal (253-255: nan, +inf, -inf)
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        uint8_t len;
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        TALLY_RETURN_IF_ERROR(in_.Byte(&len));
        if (len < 253) TALLY_RETURN_IF_ERROR(in_.Skip(len));
      }
      return Status::OK();
    case kZset2:  // member, binary double
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        TALLY_RETURN_IF_ERROR(in_.Skip(8));
      }
      return Status::OK();
    case kHashZipmap:
    case kSetIntset:
    case kZsetZiplist:
    case kHashZiplist:
    case kHashListpack:
    case kZsetListpack:
    case kSetListpack:
      return String(&scratch_);  // one blob
    case kStreamListpacks:
    case kStreamListpacks2:
    case kStreamListpacks3:
      return SkipStream(type);
    case kModule2:
      TALLY_RETURN_IF_ERROR(Length(&v));  // module ID
      return SkipModuleOpcodes();
    case kModulePreGa:
      return in_.Corrupt("a module value of the pre-GA format, which Redis itself refuses");
    default:
      return in_.Corrupt("unknown value type " + std::to_string(type));
  }
}

const char* TypeName(uint8_t type) {
  switch (type) {
    case kSet:
    case kSetIntset:
    case kSetListpack:
      return "set";
    case kZset:
    case kZset2:
    case kZsetZiplist:
    case kZsetListpack:
      return "zset";
    case kHash:
    case kHashZipmap:
    case kHashZiplist:
    case kHashListpack:
      return "hash";
    case kStreamListpacks:
    case kStreamListpacks2:
    case kStreamListpacks3:
      return "stream";
    default:
      return "module";
  }
}

Status Reader::ReadList(uint8_t type, bool* is_list) {
  *is_list = true;
  items_.clear();
  uint64_t n, container;
  switch (type) {
    case kList:
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        items_.push_back(scratch_);
      }
      return Status::OK();
    case kListZiplist:
      TALLY_RETURN_IF_ERROR(String(&scratch_));
      return DecodeZiplist(scratch_, &items_);
    case kListQuicklist:
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        TALLY_RETURN_IF_ERROR(DecodeZiplist(scratch_, &items_));
      }
      return Status::OK();
    case kListQuicklist2:  // per node: its container (1 plain, 2 packed), then its bytes
      TALLY_RETURN_IF_ERROR(Length(&n));
      for (uint64_t i = 0; i < n; ++i) {
        TALLY_RETURN_IF_ERROR(Length(&container));
        TALLY_RETURN_IF_ERROR(String(&scratch_));
        if (container == 1) {
          items_.push_back(scratch_);
        } else if (container == 2) {
          TALLY_RETURN_IF_ERROR(DecodeListpack(scratch_, &items_));
        } else {
          return in_.Corrupt("unknown quicklist container " + std::to_string(container));
        }
      }
      return Status::OK();
    default:
      *is_list = false;
      return Status::OK();
  }
}

}  // namespace tally::rdb
