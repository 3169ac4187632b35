#pragma once
// KeyedProducer: writes records in the `eddy produce` data format ("eddy-produce|<key>|
// <counter>|") from inside a test, so the test knows exactly which records the broker
// acknowledged, on which shard, and can continue a key's counters across reshards and
// broker restarts (the verdict, tools/processing_verdict.h, judges by key and counter).

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
  int64_t acked_at_micros = 0;
};

class KeyedProducer {
 public:
  // Writes to `stream` at `endpoint` (a client of its own).
  KeyedProducer(const std::string& endpoint, std::string stream);

  // Puts the next `per_key` records of each key, in rounds of one record per key (one
  // PutRecords a round). A record refused or lost with a failed call is retried before any
  // later record of its key, so each key's counters are acknowledged in order; gives up
  // (and says so) once `deadline` has passed.
  absl::Status Put(const std::vector<std::string>& keys, int per_key,
                   absl::Duration deadline = absl::Seconds(60));

  // Records acknowledged so far, per key (counters 0 … n−1), for tools::Judge.
  std::map<std::string, int64_t> Produced() const;
  std::vector<AckedRecord> Acked() const;

 private:
  const std::string stream_;
  std::unique_ptr<client::StreamClient> client_;
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> next_ ABSL_GUARDED_BY(mu_);
  std::vector<AckedRecord> acked_ ABSL_GUARDED_BY(mu_);
};

// The hash key of a partition key as a decimal (for choosing keys by shard).
std::string HashKeyOf(const std::string& partition_key);

}  // namespace eddy::testing
