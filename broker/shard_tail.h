#pragma once
// ShardTail: the newest records of one shard, kept in memory so that push subscribers at
// the head of the shard are served without reading RocksDB.
//
// The tail holds every committed record of the shard with counter ≥ floor(), in order and
// without holes; older ones are evicted from the front once the tail passes its byte
// budget. A reader at or above floor() reads here; below it, from storage.
// Records are shared (immutable), so any number of readers cost no copies.
// Thread-safe: the commit thread appends, subscription pumps read.

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/record_store.h"

namespace eddy::broker {

using SharedRecord = std::shared_ptr<const StoredRecord>;

class ShardTail {
 public:
  // `floor`: the first counter the tail will be complete from (the shard's committed
  // counter + 1 when created). `max_bytes` 0 keeps nothing in memory.
  ShardTail(uint64_t floor, int64_t max_bytes);

  // Appends records committed in this order, with counters above every earlier one.
  void Append(std::vector<SharedRecord> records);

  // The lowest counter from which the tail holds every committed record.
  uint64_t floor() const;

  struct ReadResult {
    // False when `from` is below the floor: the tail cannot answer; read storage.
    bool covered = false;
    std::vector<SharedRecord> records;
  };
  // Records with counter ≥ `from`, at most `max_records`, stopping before `max_bytes`
  // would be passed (the first one is always returned). Checking the floor and reading
  // happen under one lock, so an eviction can never open a gap in what is returned.
  ReadResult Read(uint64_t from, int max_records, int64_t max_bytes) const;

 private:
  const int64_t max_bytes_;
  mutable absl::Mutex mu_;
  std::deque<SharedRecord> records_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t floor_ ABSL_GUARDED_BY(mu_);
};

// Bytes a record counts for in budgets and limits: data plus partition key.
inline int64_t RecordBytes(const StoredRecord& record) {
  return static_cast<int64_t>(record.data.size() + record.partition_key.size());
}

}  // namespace eddy::broker
