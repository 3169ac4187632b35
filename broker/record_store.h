#pragma once
// RecordStore: everything the broker keeps on disk, in one RocksDB database.
//
// Key layout (docs/storage-format.md):
//   'r' stream_id:8 shard_index:4 counter:8  → record: pk_len:2 partition_key data
//   'h' stream_id:8 shard_index:4            → highest counter ever written (8 bytes)
//   'm' "stream/" name                       → eddy.storage.v1.StoredStream
//   'm' "consumer/" stream_id:8 name          → eddy.storage.v1.StoredConsumer
//   'm' "secret"                             → the token key
//   'm' "next-stream-id"                     → next stream id (8 bytes)
// All integers big-endian, so RocksDB's byte order is (stream, shard, counter) order.
//
// Thread-safe: RocksDB is; this class adds no state after Open().

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eddy/storage/v1/meta.pb.h"

namespace rocksdb {
class DB;
}

namespace eddy::broker {

struct RecordToWrite {
  uint64_t stream_id = 0;
  uint32_t shard_index = 0;
  uint64_t counter = 0;
  absl::string_view partition_key;
  absl::string_view data;
};

struct StoredRecord {
  uint64_t counter = 0;
  std::string partition_key;
  std::string data;
};

// Which records to read: counters in [from_counter, to_counter], at most `max_records`,
// stopping before `max_bytes` of data + keys would be passed (the first record is always
// returned whole).
struct ReadRange {
  uint64_t stream_id = 0;
  uint32_t shard_index = 0;
  uint64_t from_counter = 0;
  uint64_t to_counter = 0;
  int max_records = 10000;
  int64_t max_bytes = 10 << 20;
};

// A seam for tests: consulted before every record append and read (and stream metadata
// write), so that chosen
// operations fail as a failing disk would make them fail (nothing written, nothing read).
// The broker itself never sets one. Fault-injecting implementations: broker/testing/.
class StorageFaults {
 public:
  virtual ~StorageFaults() = default;
  virtual absl::Status BeforeAppend(const std::vector<RecordToWrite>& records) = 0;
  virtual absl::Status BeforeRead(const ReadRange& range) = 0;
  // Before a stream's metadata (settings, shards) is written.
  virtual absl::Status BeforeStreamWrite(const storage::v1::StoredStream&) {
    return absl::OkStatus();
  }
};

struct RecordStoreOptions {
  std::string path;
  // When true an Append returns only once its write is synced to the WAL on disk.
  bool sync = true;
  // Tests only (see StorageFaults); null in production.
  std::shared_ptr<StorageFaults> faults;
};

class RecordStore {
 public:
  static absl::StatusOr<std::unique_ptr<RecordStore>> Open(const RecordStoreOptions& options);
  ~RecordStore();
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // Writes all records, and each touched shard's high-water counter, in one atomic batch.
  absl::Status Append(const std::vector<RecordToWrite>& records);

  absl::StatusOr<std::vector<StoredRecord>> Read(const ReadRange& range) const;

  // The highest counter ever appended to the shard, or 0.
  absl::StatusOr<uint64_t> HighWater(uint64_t stream_id, uint32_t shard_index) const;

  // Deletes the shard's records with counter < `counter` and compacts their key range so
  // the space is reclaimed.
  absl::Status TrimBefore(uint64_t stream_id, uint32_t shard_index, uint64_t counter);

  // Deletes every record and high-water mark of the stream (range tombstones: quick).
  absl::Status DeleteStreamData(uint64_t stream_id);
  // Gives back the space of a deleted stream: drops the files holding only its keys (the
  // rest goes with RocksDB's own compactions). Can take a while: never on the commit thread.
  absl::Status ReclaimStreamFiles(uint64_t stream_id);

  // Number of record keys stored for a shard (tests and diagnostics).
  int64_t CountRecordKeys(uint64_t stream_id, uint32_t shard_index) const;

  // Writes the memtables to SST files (diagnostics and tests: makes sizes exact).
  absl::Status Flush();

  // Approximate bytes the shard's records occupy in SST files (not memtables: Flush first).
  uint64_t ApproximateShardBytes(uint64_t stream_id, uint32_t shard_index) const;

  absl::Status PutStream(const storage::v1::StoredStream& stream);
  absl::Status DeleteStream(absl::string_view name);
  absl::StatusOr<std::vector<storage::v1::StoredStream>> LoadStreams() const;

  absl::Status PutConsumer(const storage::v1::StoredConsumer& consumer);
  absl::Status DeleteConsumer(uint64_t stream_id, absl::string_view name);
  absl::StatusOr<std::vector<storage::v1::StoredConsumer>> LoadConsumers() const;

  // The broker's token key: read, or created and stored on first use.
  absl::StatusOr<std::string> LoadOrCreateSecret();

  // The database itself, for other stores that keep their keys in it (the coordinator,
  // under its own prefix). Owned by this object.
  rocksdb::DB* db() { return db_.get(); }

  // Allocates a stream id, never returned again, even across restarts.
  absl::StatusOr<uint64_t> AllocateStreamId();

 private:
  RecordStore(std::unique_ptr<rocksdb::DB> db, bool sync, std::shared_ptr<StorageFaults> faults);
  absl::Status PutMeta(absl::string_view key, absl::string_view value);

  std::unique_ptr<rocksdb::DB> db_;
  const bool sync_;
  const std::shared_ptr<StorageFaults> faults_;
};

}  // namespace eddy::broker
