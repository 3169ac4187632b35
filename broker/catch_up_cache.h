#pragma once
// CatchUpCache: one shard's most recent storage reads by subscribers catching up below
// the in-memory tail. Subscribers reading the same backlog from the same start move in
// lockstep (each event starts where the last ended, with the same limits), so the first
// one's read serves the others: one RocksDB scan and one copy of each record instead of
// one per subscriber — the records go out zero-copy from the shared buffers.
//
// An entry is the records of one read, starting at its first counter. A hit returns a
// prefix of it within the caller's bounds. Entries older than kMaxAgeMillis are ignored,
// so records that expire by retention are not served from here for long. Thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/shard_tail.h"

namespace eddy::broker {

class CatchUpCache {
 public:
  static constexpr size_t kMaxEntries = 32;  // ~32 MiB with 1 MiB events
  static constexpr int64_t kMaxAgeMillis = 5'000;

  // The cached records from `from` (counters ≤ `to`, at most `max_records`, stopping before
  // `max_bytes` would be passed — the first record always), or empty on a miss.
  std::vector<SharedRecord> Get(uint64_t from, uint64_t to, int max_records, int64_t max_bytes,
                                int64_t now_millis) const;
  // Remembers the records of a storage read that started at records.front()->counter.
  void Put(std::vector<SharedRecord> records, int64_t now_millis);

 private:
  struct Entry {
    std::vector<SharedRecord> records;
    int64_t stored_millis = 0;
  };
  mutable absl::Mutex mu_;
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> order_ ABSL_GUARDED_BY(mu_);  // oldest first
};

}  // namespace eddy::broker
