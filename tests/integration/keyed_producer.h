#pragma once
// KeyedProducer: writes records in the `eddy produce` data format ("eddy-produce|<key>|
// <counter>|") from inside a test, so the test knows exactly which records the broker
// acknowledged, on which shard, and can continue a key's counters across reshards and
// broker restarts (the verdict, tools/processing_verdict.h, judges by key and counter).
// Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/stream_client.h"

namespace eddy::testing {

struct AckedRecord {
  std::string key;
  int64_t counter = 0;
  std::string shard_id;
  std::string sequence_number;
  uint64_t sub_sequence_number = 0;  // its place in an aggregate
  int64_t acked_at_micros = 0;
};

class KeyedProducer {
 public:
  // Writes to `stream` at `endpoint` (a client of its own). With `records_per_aggregate` >
  // 0, each key's records go in KPL aggregates of that many (one key per aggregate, put
  // under that key, as `eddy produce --aggregate` does); they share a sequence number.
  KeyedProducer(const std::string& endpoint, std::string stream, int records_per_aggregate = 0);

  // Puts the next `per_key` records (or aggregates) of each key, in rounds of one per key
  // (one PutRecords a round). A record refused, or lost with a failed call, is sent again
  // before any later record of its key, so each key's counters are acknowledged in order;
  // gives up (and says so) once `deadline` has passed.
  absl::Status Put(const std::vector<std::string>& keys, int per_key,
                   absl::Duration deadline = absl::Seconds(60));

  // Records acknowledged so far, per key (counters 0 … n−1), for tools::Judge.
  std::map<std::string, int64_t> Produced() const;
  std::vector<AckedRecord> Acked() const;

 private:
  // The data of `key`'s next entry (a record, or an aggregate of records from `counter`).
  std::string EntryData(const std::string& key, int64_t counter) const;

  const std::string stream_;
  const int records_per_aggregate_;
  const std::unique_ptr<client::StreamClient> client_;
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> next_ ABSL_GUARDED_BY(mu_);
  std::vector<AckedRecord> acked_ ABSL_GUARDED_BY(mu_);
};

// The hash key of a partition key as a decimal (for choosing keys by shard).
std::string HashKeyOf(const std::string& partition_key);

}  // namespace eddy::testing
