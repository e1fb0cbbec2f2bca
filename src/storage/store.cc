#include "tally/storage/store.h"

#include <absl/container/flat_hash_map.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "expiry_filter.h"
#include "tally/storage/key_order.h"
#include "tally/storage/value_codec.h"
#include "wal_check.h"

namespace tally {
namespace {

constexpr char kMetaCf[] = "meta";
constexpr char kExpiryCf[] = "expiry";
constexpr char kLsnKey[] = "lsn";

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  return Status::IOError(s.ToString());
}

std::string CountsKey(DbIndex db) { return std::string("counts/") + static_cast<char>(db); }

std::string EncodeFixed64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// [db][expire-at, big-endian so that keys sort by time][user key]
std::string ExpiryKey(DbIndex db, int64_t at, std::string_view key) {
  std::string k(1, static_cast<char>(db));
  for (int i = 7; i >= 0; --i)
    k.push_back(static_cast<char>((static_cast<uint64_t>(at) >> (8 * i)) & 0xff));
  k.append(key);
  return k;
}

int64_t ExpiryTime(std::string_view index_key) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(index_key[1 + i]);
  return static_cast<int64_t>(v);
}

uint64_t DecodeFixed64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8 && i < static_cast<int>(s.size()); ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << (8 * i);
  return v;
}

}  // namespace

std::string DataKey(DbIndex db, std::string_view key) {
  std::string k;
  k.reserve(key.size() + 1);
  k.push_back(static_cast<char>(db));
  k.append(key);
  return k;
}

namespace {

// A record's DataKey as two slices (the database byte, the key) for WriteBatch's SliceParts
// calls: the same bytes, with no string built per record on the apply path.
class DataKeyParts {
 public:
  explicit DataKeyParts(const Record& r)
      : db_(static_cast<char>(r.db)), parts_{rocksdb::Slice(&db_, 1), rocksdb::Slice(r.key)} {}
  DataKeyParts(const DataKeyParts&) = delete;  // parts_[0] points into this object
  DataKeyParts& operator=(const DataKeyParts&) = delete;
  rocksdb::SliceParts slices() const { return rocksdb::SliceParts(parts_, 2); }

 private:
  const char db_;
  const rocksdb::Slice parts_[2];
};

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return Status::IOError("cannot create " + options.path + ": " + ec.message());

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // A torn tail (the last write of a crash, never acknowledged) is dropped by point-in-time
  // recovery; damage in the middle of a log, which that mode would also silently cut at, is
  // refused first by CheckWalFiles.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  TALLY_RETURN_IF_ERROR(CheckWalFiles(options.path));
  db_options.paranoid_checks = true;
  db_options.write_buffer_size = options.write_buffer_bytes;
  // The meta column family is written by every batch but stays tiny, so on its own it would
  // never be flushed and would keep every WAL file alive (up to 4 x the write buffers): a restart
  // after a crash then replays gigabytes. Past one write buffer of WAL, RocksDB flushes the
  // column families that hold the oldest log, so a crash replays at most about two buffers.
  db_options.max_total_wal_size = options.write_buffer_bytes;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  if (options.env != nullptr) db_options.env = options.env;
  // Without a WAL, the meta column family (applied LSN, counts) and the data it describes must
  // reach the disk in the same flush. With RocksDB's WAL, flushing the column families one by
  // one could leave the oldest log pinned by the minimum log number computed at an earlier
  // flush, all memtables empty (seen at Close(): a clean stop left a log to replay), so the
  // flush is atomic in both modes.
  db_options.atomic_flush = true;
  // Close() decides whether memtables are flushed (RocksDB would flush them itself when its WAL
  // is off).
  db_options.avoid_flush_during_shutdown = true;
  // Fail-stop: a background error is final (no automatic resume retried every second).
  db_options.max_bgerror_resume_count = 0;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks live in the block cache (memory stays bounded), partitioned into
  // small blocks: a whole-file filter of a big SST is megabytes, larger than a cache shard, so
  // it was never cached and every lookup of a missing key read and checksummed all of it (the
  // 10M-counter load ran at 5k keys/s). Only the small top-level partitions are pinned.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (options.expired_before)
    cf_options.compaction_filter_factory =
        std::make_shared<ExpiryFilterFactory>(options.expired_before);
  // A counter store looks up many keys that are not there yet: a bloom filter over the memtable
  // answers those without walking the skip list.
  cf_options.memtable_prefix_bloom_size_ratio = 0.1;
  cf_options.memtable_whole_key_filtering = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {kMetaCf, rocksdb::ColumnFamilyOptions(db_options)},
      {kExpiryCf, rocksdb::ColumnFamilyOptions(db_options)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(rocksdb::DBOptions(db_options), options.path, cfs, &handles, &raw);
  if (!s.ok()) return FromRocks(s);

  std::unique_ptr<Store> store(new Store());
  store->db_.reset(raw);
  store->disable_wal_ = options.disable_wal;
  store->data_cf_ = handles[0];
  store->meta_cf_ = handles[1];
  store->expiry_cf_ = handles[2];
  std::vector<KeyCounts> counts(kDbSlots);  // system databases too (types.h)

  std::string v;
  s = raw->Get(rocksdb::ReadOptions(), store->meta_cf_, kLsnKey, &v);
  if (s.ok()) {
    store->recovered_lsn_ = DecodeFixed64(v);
  } else if (!s.IsNotFound()) {
    return FromRocks(s);
  }
  for (int db = 0; db < kDbSlots; ++db) {
    s = raw->Get(rocksdb::ReadOptions(), store->meta_cf_, CountsKey(db), &v);
    if (s.ok()) {
      if (v.size() != 16) return Status::Corruption("bad key counts for db " + std::to_string(db));
      counts[db].keys = static_cast<int64_t>(DecodeFixed64(v));
      counts[db].expires = static_cast<int64_t>(DecodeFixed64(std::string_view(v).substr(8)));
    } else if (!s.IsNotFound()) {
      return FromRocks(s);
    }
  }
  MutexLock l(&store->counts_mu_);
  store->counts_ = std::move(counts);
  return store;
}

Store::~Store() { (void)Close(); }

StatusOr<std::optional<std::string>> Store::Get(DbIndex db, std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), data_cf_, DataKey(db, key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s);
  return std::optional<std::string>(std::move(value));
}

void Store::AddToBatch(const Record& r, rocksdb::WriteBatch* batch) const {
  switch (r.kind) {
    case Record::Kind::kPut: {
      const rocksdb::Slice value(r.value);
      batch->Put(data_cf_, DataKeyParts(r).slices(), rocksdb::SliceParts(&value, 1));
      auto decoded = DecodeValue(r.value);
      if (decoded.ok() && decoded->expire_at_ms != 0)
        batch->Put(expiry_cf_, ExpiryKey(r.db, decoded->expire_at_ms, r.key), "");
      break;
    }
    case Record::Kind::kUnindexExpiry:
      batch->Delete(expiry_cf_,
                    ExpiryKey(r.db, static_cast<int64_t>(DecodeFixed64(r.value)), r.key));
      break;
    case Record::Kind::kDelete:
      batch->Delete(data_cf_, DataKeyParts(r).slices());
      break;
    case Record::Kind::kFlushDb:
      batch->DeleteRange(data_cf_, std::string(1, static_cast<char>(r.db)),
                         std::string(1, static_cast<char>(r.db + 1)));
      batch->DeleteRange(expiry_cf_, std::string(1, static_cast<char>(r.db)),
                         std::string(1, static_cast<char>(r.db + 1)));
      break;
    case Record::Kind::kFlushAll:  // every user database; the system ones stay (types.h)
      batch->DeleteRange(data_cf_, std::string(1, '\0'),
                         std::string(1, static_cast<char>(kFirstSystemDb)));
      batch->DeleteRange(expiry_cf_, std::string(1, '\0'),
                         std::string(1, static_cast<char>(kFirstSystemDb)));
      break;
  }
}

Status Store::Write(std::span<const Record> records, bool sync) {
  if (!db_) return Status::IOError("store is closed");
  std::vector<CountDelta> deltas;
  TALLY_RETURN_IF_ERROR(ResolveDeltas(records, &deltas));
  // Reserved up front: a batch of 100k records grown by doubling copied itself ~17 times.
  size_t reserve = 64;
  for (const Record& r : records) reserve += r.key.size() + r.value.size() + 16;
  rocksdb::WriteBatch batch(reserve);
  const std::vector<KeyCounts> before = this->counts();
  std::vector<KeyCounts> counts = before;
  for (size_t i = 0; i < records.size(); ++i) AddToCounts(records[i], deltas[i], &counts);
  // Puts and deletes between two other records (flushes, expiry-index drops) are written in key
  // order, and of several records for one key only the last: records are post-images, so the
  // earlier ones would be overwritten inside this same atomic batch anyway. A hot counter
  // incremented by many clients in one group costs one memtable insert, and sorted keys let
  // RocksDB's skip list start each insert where the previous one ended. Each key's last record
  // is found by hash before the sort, so a batch of 100k increments of 10 hot counters sorts 10
  // records rather than 100k equal keys.
  std::vector<uint32_t> run;
  absl::flat_hash_map<std::pair<DbIndex, std::string_view>, uint32_t> last;
  auto flush_run = [&] {
    last.reserve(run.size());
    for (uint32_t i : run) last.insert_or_assign({records[i].db, records[i].key}, i);
    if (last.size() < run.size()) {
      run.clear();
      for (const auto& [key, i] : last) run.push_back(i);
    }
    last.clear();
    SortByKey(records, &run);
    for (uint32_t i : run) AddToBatch(records[i], &batch);
    run.clear();
  };
  for (uint32_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.kind == Record::Kind::kPut || r.kind == Record::Kind::kDelete) {
      run.push_back(i);
    } else {
      flush_run();
      AddToBatch(r, &batch);
    }
  }
  flush_run();
  for (size_t db = 0; db < counts.size(); ++db) {
    if (counts[db].keys == before[db].keys && counts[db].expires == before[db].expires) continue;
    batch.Put(meta_cf_, CountsKey(static_cast<DbIndex>(db)),
              EncodeFixed64(counts[db].keys) + EncodeFixed64(counts[db].expires));
  }
  if (!records.empty()) batch.Put(meta_cf_, kLsnKey, EncodeFixed64(records.back().lsn));
  rocksdb::WriteOptions wo;
  wo.sync = sync && !disable_wal_;
  wo.disableWAL = disable_wal_;
  MutexLock l(&write_mu_);
  if (!failed_.ok()) return failed_;
  Status st = FromRocks(db_->Write(wo, &batch));
  if (!st.ok()) {
    failed_ = st;
    return st;
  }
  MutexLock c(&counts_mu_);
  counts_ = std::move(counts);
  return st;
}

Status Store::Sync() {
  if (!db_) return Status::IOError("store is closed");
  MutexLock l(&write_mu_);
  if (!failed_.ok()) return failed_;
  Status st = FromRocks(db_->SyncWAL());
  if (!st.ok()) failed_ = st;
  return st;
}

Status Store::Flush() {
  if (!db_) return Status::IOError("store is closed");
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(db_->Flush(fo, {data_cf_, meta_cf_, expiry_cf_}));
}

Status Store::CompactAll() {
  if (!db_) return Status::IOError("store is closed");
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  TALLY_RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions(), data_cf_)));
  return FromRocks(db_->CompactRange(o, data_cf_, nullptr, nullptr));
}

Status Store::CreateCheckpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  TALLY_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw)));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // 0: always flush first (with the WAL off, the memtables are in no file).
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0));
}

Status Store::Close(bool flush) {
  if (!db_) return Status::OK();
  Status st;
  {
    MutexLock l(&write_mu_);
    st = !failed_.ok() ? failed_ : disable_wal_ ? Status::OK() : FromRocks(db_->SyncWAL());
  }
  if (st.ok() && flush) {
    // Everything is durable in the WAL already; flushing the memtables as well means the next
    // start has no log to replay (restart to first reply in milliseconds, not seconds). A
    // failed flush loses nothing, so it only costs that.
    rocksdb::FlushOptions fo;
    fo.wait = true;
    rocksdb::Status fs = db_->Flush(fo, {data_cf_, meta_cf_, expiry_cf_});
    if (!fs.ok()) spdlog::warn("Flushing RocksDB memtables at shutdown failed: {}", fs.ToString());
  }
  db_->DestroyColumnFamilyHandle(data_cf_);
  db_->DestroyColumnFamilyHandle(meta_cf_);
  db_->DestroyColumnFamilyHandle(expiry_cf_);
  Status close = FromRocks(db_->Close());
  db_.reset();
  return st.ok() ? close : st;
}

Status Store::ForEachDue(DbIndex db, int64_t now_ms,
                         const std::function<bool(int64_t, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), expiry_cf_));
  for (it->Seek(std::string(1, static_cast<char>(db))); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() < 9 || static_cast<uint8_t>(k[0]) != db) break;
    int64_t at = ExpiryTime(std::string_view(k.data(), k.size()));
    if (at > now_ms) break;
    if (!fn(at, std::string_view(k.data() + 9, k.size() - 9))) break;
  }
  return FromRocks(it->status());
}

Status Store::ForEachUpcoming(DbIndex db, int64_t now_ms, size_t limit,
                              const std::function<void(int64_t)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), expiry_cf_));
  size_t n = 0;
  for (it->Seek(ExpiryKey(db, now_ms + 1, "")); it->Valid() && n < limit; it->Next(), ++n) {
    rocksdb::Slice k = it->key();
    if (k.size() < 9 || static_cast<uint8_t>(k[0]) != db) break;
    fn(ExpiryTime(std::string_view(k.data(), k.size())));
  }
  return FromRocks(it->status());
}

Status Store::ForEach(DbIndex db, std::string_view after,
                      const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), data_cf_));
  std::string start = DataKey(db, after);
  it->Seek(start);
  if (!after.empty() && it->Valid() && it->key() == rocksdb::Slice(start)) it->Next();
  for (; it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() < 1 || static_cast<uint8_t>(k[0]) != db) break;
    if (!fn(std::string_view(k.data() + 1, k.size() - 1),
            std::string_view(it->value().data(), it->value().size())))
      break;
  }
  return FromRocks(it->status());
}

}  // namespace tally
