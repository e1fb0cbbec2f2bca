#include "tally/rdb/rdb_import.h"

#include <filesystem>

#include "tally/rdb/rdb_reader.h"
#include "tally/storage/engine.h"
#include "tally/storage/value_codec.h"
#include "tally/util/clock.h"

namespace tally {
namespace fs = std::filesystem;
namespace {

class ImportVisitor : public RdbVisitor {
 public:
  ImportVisitor(Keyspace* keyspace, int databases, RdbImportReport* report)
      : keyspace_(*keyspace), databases_(databases), report_(*report), now_ms_(NowMs()) {}

  Status OnString(uint64_t db, std::string_view key, std::string_view value,
                  int64_t expire_at_ms) override {
    TALLY_RETURN_IF_ERROR(CheckDb(db));
    if (expire_at_ms != 0 && expire_at_ms <= now_ms_) {
      ++report_.expired;
      return Status::OK();
    }
    SetOptions options;
    options.expire_at_ms = expire_at_ms;
    auto written = keyspace_.Set(static_cast<DbIndex>(db), key, value, options);
    if (!written.ok()) return written.status();
    ++report_.strings;
    return Status::OK();
  }
  Status OnList(uint64_t db, std::string_view key, std::vector<std::string>* items,
                int64_t expire_at_ms) override {
    TALLY_RETURN_IF_ERROR(CheckDb(db));
    if (expire_at_ms != 0 && expire_at_ms <= now_ms_) {
      ++report_.expired;
      return Status::OK();
    }
    if (items->empty()) return Status::OK();  // Redis never writes one; nothing to keep
    std::string_view keys[] = {key};
    auto written = keyspace_.Update(
        static_cast<DbIndex>(db), keys,
        [&](auto, std::span<Keyspace::Mutation> out) -> Status {
          out[0].op = Keyspace::Mutation::Op::kPut;
          out[0].type = ValueType::kList;
          out[0].data = EncodeList(*items);
          out[0].expire_at_ms = expire_at_ms;
          return Status::OK();
        },
        Keyspace::Access::kBlind);
    if (!written.ok()) return written.status();
    ++report_.lists;
    return Status::OK();
  }
  void OnOtherType(uint64_t, std::string_view, const char* type) override {
    ++report_.not_imported[type];
  }
  void OnFunction() override { ++report_.functions; }

 private:
  Status CheckDb(uint64_t db) const {
    if (db < static_cast<uint64_t>(databases_)) return Status::OK();
    return Status::InvalidArgument("the RDB file has keys in database " + std::to_string(db) +
                                   " but databases is " + std::to_string(databases_) +
                                   ": raise databases and import again");
  }

  Keyspace& keyspace_;
  const int databases_;
  RdbImportReport& report_;
  const int64_t now_ms_;
};

}  // namespace

StatusOr<RdbImportReport> ImportRdb(const std::string& rdb_path, const Config& config) {
  const fs::path dir(config.Str(Opt::kDir));
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return Status::InvalidArgument(dir.string() +
                                   " is not empty: import only into an empty directory");
  }
  EngineOptions options = EngineOptionsFromConfig(config);
  // Nothing is acknowledged to anyone during an import: Close() syncs everything at the end.
  options.policy = FsyncPolicy::kNo;
  RdbImportReport report;
  Status st;
  {
    auto engine = Engine::Open(options);
    if (!engine.ok()) return engine.status();
    ImportVisitor visitor((*engine)->keyspace(), options.keyspace.databases, &report);
    st = ReadRdbFile(rdb_path, visitor);
    if (st.ok()) report.lsn = (*engine)->commit_log()->last_lsn();
    Status closed = (*engine)->Close(/*checkpoint=*/st.ok());
    if (st.ok()) st = closed;
  }
  if (!st.ok()) {
    fs::remove_all(dir / "db", ec);  // it was empty: leave it so
    fs::remove_all(dir / "log", ec);
    return st;
  }
  return report;
}

std::string FormatReport(const RdbImportReport& r) {
  std::string out = "string keys imported: " + std::to_string(r.strings) + "\n";
  out += "list keys imported: " + std::to_string(r.lists) + "\n";
  out += "keys already expired (not imported): " + std::to_string(r.expired) + "\n";
  for (const auto& [type, n] : r.not_imported)
    out += type + " keys not imported (not a type Tally has): " + std::to_string(n) + "\n";
  if (r.functions > 0)
    out += "function libraries not imported: " + std::to_string(r.functions) + "\n";
  return out;
}

}  // namespace tally
