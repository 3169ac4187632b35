#pragma once
// KPL-compatible record aggregation (../shared/reference/kinesis-api.md, "KPL aggregation
// format"): many small user records packed into one stream record, which Kinesis consumers
// (the Java KCL, Eddy's kcl) expand again into sub-records sharing one sequence number.
//
// Data of an aggregate: magic F3 89 9A C2 | AggregatedRecord protobuf | MD5 of the protobuf.
// Put it with partition key kAggregatePartitionKey and the explicit hash key the builder
// names (the first user record's), as the KPL does, so it lands on that record's shard.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::aggregation {

inline constexpr absl::string_view kMagic = "\xF3\x89\x9A\xC2";
inline constexpr size_t kChecksumBytes = 16;
// The KPL puts every aggregate under this partition key; the explicit hash key routes it.
inline constexpr absl::string_view kAggregatePartitionKey = "a";
// The KPL's default AggregationMaxSize.
inline constexpr size_t kDefaultMaxAggregateBytes = 51'200;

// One user record inside an aggregate.
struct UserRecord {
  std::string partition_key;
  std::string explicit_hash_key;  // decimal; empty when the partition key's MD5 routes it
  std::string data;
};

// True when `data` starts with the aggregation magic (it may still be malformed).
bool HasMagic(absl::string_view data);

// Collects user records into one aggregate of at most `max_bytes` encoded.
class AggregateBuilder {
 public:
  explicit AggregateBuilder(size_t max_bytes = kDefaultMaxAggregateBytes) : max_bytes_(max_bytes) {}

  // Adds `record` if the aggregate stays within max_bytes; the first record is always
  // taken (an aggregate of one record may exceed it — the stream's own limit decides).
  bool Add(UserRecord record);

  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  const std::vector<UserRecord>& records() const { return records_; }
  // An upper bound of what Build() returns, in bytes.
  size_t EncodedBytesBound() const { return encoded_bound_; }

  // The aggregate's data. Needs at least one record.
  std::string Build() const;
  // The explicit hash key to put the aggregate with: the first record's hash key, decimal.
  std::string ExplicitHashKey() const;

  void Clear();

 private:
  size_t max_bytes_;
  std::vector<UserRecord> records_;
  size_t encoded_bound_ = kMagic.size() + kChecksumBytes;
};

// Expands an aggregate into its user records, in order (sub-sequence number = index).
// Fails with InvalidArgument when `data` is not a well-formed aggregate — bad magic, bad
// checksum, unparsable protobuf, a table index out of range, no records — in which case a
// consumer passes the record through unchanged.
absl::StatusOr<std::vector<UserRecord>> Deaggregate(absl::string_view data);

}  // namespace eddy::aggregation
