#include "broker/record_store.h"

#include <openssl/rand.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/token_codec.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

constexpr char kRecordTag = 'r';
constexpr char kHighWaterTag = 'h';
constexpr absl::string_view kStreamMetaPrefix = "mstream/";
constexpr absl::string_view kConsumerMetaPrefix = "mconsumer/";
constexpr absl::string_view kSecretKey = "msecret";
constexpr absl::string_view kNextStreamIdKey = "mnext-stream-id";

std::string ShardPrefix(char tag, uint64_t stream_id, uint32_t shard_index) {
  std::string key(1, tag);
  AppendBigEndian64(&key, stream_id);
  AppendBigEndian32(&key, shard_index);
  return key;
}

std::string RecordKey(uint64_t stream_id, uint32_t shard_index, uint64_t counter) {
  std::string key = ShardPrefix(kRecordTag, stream_id, shard_index);
  AppendBigEndian64(&key, counter);
  return key;
}

std::string StreamPrefix(char tag, uint64_t stream_id) {
  std::string key(1, tag);
  AppendBigEndian64(&key, stream_id);
  return key;
}

rocksdb::Slice ToSlice(absl::string_view text) { return rocksdb::Slice(text.data(), text.size()); }

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return common::InternalFailure(absl::StrCat("storage: ", what, ": ", status.ToString()));
}

}  // namespace

RecordStore::RecordStore(std::unique_ptr<rocksdb::DB> db, bool sync,
                         std::shared_ptr<StorageFaults> faults)
    : db_(std::move(db)), sync_(sync), faults_(std::move(faults)) {}

RecordStore::~RecordStore() = default;

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::Open(const RecordStoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.write_buffer_size = 64 << 20;
  db_options.max_background_jobs = 2;
  db_options.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.path, &raw);
  if (!status.ok()) {
    return common::InternalFailure(
        absl::StrCat("cannot open database at '", options.path, "': ", status.ToString()));
  }
  return std::unique_ptr<RecordStore>(
      new RecordStore(std::unique_ptr<rocksdb::DB>(raw), options.sync, options.faults));
}

absl::Status RecordStore::Append(const std::vector<RecordToWrite>& records) {
  if (faults_ != nullptr) {
    if (absl::Status s = faults_->BeforeAppend(records); !s.ok()) return s;
  }
  rocksdb::WriteBatch batch;
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> high_water;
  std::string value;
  for (const RecordToWrite& record : records) {
    value.clear();
    value.push_back(static_cast<char>(record.partition_key.size() >> 8));
    value.push_back(static_cast<char>(record.partition_key.size() & 0xFF));
    value.append(record.partition_key.data(), record.partition_key.size());
    value.append(record.data.data(), record.data.size());
    batch.Put(RecordKey(record.stream_id, record.shard_index, record.counter), value);
    uint64_t& mark = high_water[{record.stream_id, record.shard_index}];
    if (record.counter > mark) mark = record.counter;
  }
  for (const auto& [shard, counter] : high_water) {
    std::string encoded;
    AppendBigEndian64(&encoded, counter);
    batch.Put(ShardPrefix(kHighWaterTag, shard.first, shard.second), encoded);
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync_;
  return FromRocks(db_->Write(write_options, &batch), "append");
}

absl::StatusOr<std::vector<StoredRecord>> RecordStore::Read(const ReadRange& range) const {
  if (faults_ != nullptr) {
    if (absl::Status s = faults_->BeforeRead(range); !s.ok()) return s;
  }
  std::vector<StoredRecord> records;
  if (range.from_counter > range.to_counter || range.max_records <= 0) return records;
  const std::string upper =
      range.to_counter == UINT64_MAX
          ? ShardPrefix(kRecordTag, range.stream_id, range.shard_index + 1)
          : RecordKey(range.stream_id, range.shard_index, range.to_counter + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  int64_t bytes = 0;
  for (it->Seek(RecordKey(range.stream_id, range.shard_index, range.from_counter));
       it->Valid() && static_cast<int>(records.size()) < range.max_records; it->Next()) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    if (key.size() != 21 || value.size() < 2) {
      return common::InternalFailure("storage: malformed record entry");
    }
    const size_t key_length =
        (static_cast<unsigned char>(value[0]) << 8) | static_cast<unsigned char>(value[1]);
    if (value.size() < 2 + key_length) return common::InternalFailure("storage: short record");
    const int64_t size = static_cast<int64_t>(value.size() - 2);
    if (!records.empty() && bytes + size > range.max_bytes) break;
    bytes += size;
    StoredRecord record;
    record.counter = ReadBigEndian64(absl::string_view(key.data() + 13, 8));
    record.partition_key.assign(value.data() + 2, key_length);
    record.data.assign(value.data() + 2 + key_length, value.size() - 2 - key_length);
    records.push_back(std::move(record));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read");
  return records;
}

absl::StatusOr<uint64_t> RecordStore::HighWater(uint64_t stream_id, uint32_t shard_index) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), ShardPrefix(kHighWaterTag, stream_id, shard_index), &value);
  if (status.IsNotFound()) return 0;
  if (!status.ok()) return FromRocks(status, "high water");
  if (value.size() != 8) return common::InternalFailure("storage: malformed high-water mark");
  return ReadBigEndian64(value);
}

absl::Status RecordStore::TrimBefore(uint64_t stream_id, uint32_t shard_index, uint64_t counter) {
  const std::string begin = RecordKey(stream_id, shard_index, 0);
  const std::string end = RecordKey(stream_id, shard_index, counter);
  rocksdb::WriteOptions write_options;
  write_options.sync = sync_;
  absl::Status status =
      FromRocks(db_->DeleteRange(write_options, db_->DefaultColumnFamily(), begin, end), "trim");
  if (!status.ok()) return status;
  rocksdb::Slice begin_slice(begin);
  rocksdb::Slice end_slice(end);
  return FromRocks(db_->CompactRange(rocksdb::CompactRangeOptions(), &begin_slice, &end_slice),
                   "compact");
}

absl::Status RecordStore::DeleteStreamData(uint64_t stream_id) {
  rocksdb::WriteOptions write_options;
  write_options.sync = sync_;
  for (char tag : {kRecordTag, kHighWaterTag}) {
    const std::string begin = StreamPrefix(tag, stream_id);
    const std::string end = StreamPrefix(tag, stream_id + 1);
    absl::Status status = FromRocks(
        db_->DeleteRange(write_options, db_->DefaultColumnFamily(), begin, end), "delete");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status RecordStore::ReclaimStreamFiles(uint64_t stream_id) {
  for (char tag : {kRecordTag, kHighWaterTag}) {
    const std::string begin = StreamPrefix(tag, stream_id);
    const std::string end = StreamPrefix(tag, stream_id + 1);
    rocksdb::Slice begin_slice(begin);
    rocksdb::Slice end_slice(end);
    // A stream's keys are contiguous: the files wholly inside its range are dropped at once.
    // The rest (files shared with other streams' keys, covered by the range tombstone) goes
    // with RocksDB's own compactions — a forced compaction here would rewrite live streams'
    // newest data too, and cost every stream's writers and readers CPU for seconds.
    absl::Status status =
        FromRocks(rocksdb::DeleteFilesInRange(db_.get(), db_->DefaultColumnFamily(), &begin_slice,
                                              &end_slice),
                  "delete files");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

int64_t RecordStore::CountRecordKeys(uint64_t stream_id, uint32_t shard_index) const {
  const std::string prefix = ShardPrefix(kRecordTag, stream_id, shard_index);
  const std::string upper = ShardPrefix(kRecordTag, stream_id, shard_index + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  int64_t count = 0;
  for (it->Seek(prefix); it->Valid(); it->Next()) ++count;
  return count;
}

absl::Status RecordStore::Flush() {
  return FromRocks(db_->Flush(rocksdb::FlushOptions()), "flush");
}

uint64_t RecordStore::ApproximateShardBytes(uint64_t stream_id, uint32_t shard_index) const {
  const std::string begin = ShardPrefix(kRecordTag, stream_id, shard_index);
  const std::string end = ShardPrefix(kRecordTag, stream_id, shard_index + 1);
  rocksdb::Range range(begin, end);
  uint64_t size = 0;
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = false;  // memtable estimates are sampled, too coarse to rely on
  options.include_files = true;
  options.files_size_error_margin = 0;  // exact per-file estimates
  rocksdb::Status status =
      db_->GetApproximateSizes(options, db_->DefaultColumnFamily(), &range, 1, &size);
  return status.ok() ? size : 0;
}

absl::Status RecordStore::PutMeta(absl::string_view key, absl::string_view value) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;  // metadata is always durable, whatever --sync says
  return FromRocks(db_->Put(write_options, ToSlice(key), ToSlice(value)), "metadata");
}

absl::Status RecordStore::PutStream(const storage::v1::StoredStream& stream) {
  if (faults_) {
    if (absl::Status injected = faults_->BeforeStreamWrite(stream); !injected.ok()) {
      return injected;
    }
  }
  return PutMeta(absl::StrCat(kStreamMetaPrefix, stream.name()), stream.SerializeAsString());
}

absl::Status RecordStore::DeleteStream(absl::string_view name) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocks(db_->Delete(write_options, absl::StrCat(kStreamMetaPrefix, name)), "metadata");
}

absl::StatusOr<std::vector<storage::v1::StoredStream>> RecordStore::LoadStreams() const {
  std::vector<storage::v1::StoredStream> streams;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(ToSlice(kStreamMetaPrefix));
       it->Valid() && it->key().starts_with(ToSlice(kStreamMetaPrefix)); it->Next()) {
    storage::v1::StoredStream stream;
    if (!stream.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return common::InternalFailure(
          absl::StrCat("storage: malformed stream metadata ", it->key().ToString()));
    }
    streams.push_back(std::move(stream));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "load streams");
  return streams;
}

namespace {
std::string ConsumerKey(uint64_t stream_id, absl::string_view name) {
  std::string key(kConsumerMetaPrefix);
  AppendBigEndian64(&key, stream_id);
  key.append(name.data(), name.size());
  return key;
}
}  // namespace

absl::Status RecordStore::PutConsumer(const storage::v1::StoredConsumer& consumer) {
  return PutMeta(ConsumerKey(consumer.stream_id(), consumer.name()), consumer.SerializeAsString());
}

absl::Status RecordStore::DeleteConsumer(uint64_t stream_id, absl::string_view name) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocks(db_->Delete(write_options, ConsumerKey(stream_id, name)), "metadata");
}

absl::StatusOr<std::vector<storage::v1::StoredConsumer>> RecordStore::LoadConsumers() const {
  std::vector<storage::v1::StoredConsumer> consumers;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(ToSlice(kConsumerMetaPrefix));
       it->Valid() && it->key().starts_with(ToSlice(kConsumerMetaPrefix)); it->Next()) {
    storage::v1::StoredConsumer consumer;
    if (!consumer.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return common::InternalFailure("storage: malformed consumer metadata");
    }
    consumers.push_back(std::move(consumer));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "load consumers");
  return consumers;
}

absl::StatusOr<std::string> RecordStore::LoadOrCreateSecret() {
  std::string secret;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), ToSlice(kSecretKey), &secret);
  if (status.ok()) return secret;
  if (!status.IsNotFound()) return FromRocks(status, "secret");
  secret.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1) {
    return common::InternalFailure("cannot draw random bytes for the token key");
  }
  absl::Status put = PutMeta(kSecretKey, secret);
  if (!put.ok()) return put;
  return secret;
}

absl::StatusOr<uint64_t> RecordStore::AllocateStreamId() {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), ToSlice(kNextStreamIdKey), &value);
  uint64_t next = 1;
  if (status.ok() && value.size() == 8) {
    next = ReadBigEndian64(value);
  } else if (!status.IsNotFound()) {
    return FromRocks(status, "stream id");
  }
  std::string encoded;
  AppendBigEndian64(&encoded, next + 1);
  absl::Status put = PutMeta(kNextStreamIdKey, encoded);
  if (!put.ok()) return put;
  return next;
}

}  // namespace eddy::broker
