#pragma once
// Plain C++ request and result types of the broker core (no protobuf): the gRPC service
// translates to and from these and nothing else.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "broker/consumer_registry.h"
#include "broker/stream_catalog.h"
#include "common/hash_key.h"

namespace eddy::broker {

struct ShardInfo {
  std::string shard_id;
  std::string parent_shard_id;
  std::string adjacent_parent_shard_id;
  common::HashKeyRange hash_range;
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // empty while open
};

struct StreamInfo {
  std::string name;
  std::string arn;
  StreamMode mode = StreamMode::kProvisioned;
  int retention_hours = 24;
  int64_t creation_millis = 0;
  int max_record_size_kib = 1024;
  StreamSettings settings;
  int open_shard_count = 0;
  int consumer_count = 0;
  bool updating = false;          // a split or merge is being applied
  std::vector<ShardInfo> shards;  // DescribeStream only
  bool has_more_shards = false;
};

struct MonitoringChange {
  std::vector<std::string> current;  // before
  std::vector<std::string> desired;  // after
};

struct BrokerLimitsInfo {
  int shard_limit = 0;
  int open_shard_count = 0;
  int on_demand_stream_count = 0;
  int on_demand_stream_count_limit = 0;
};

struct DescribeStreamParams {
  StreamRef stream;
  int limit = 100;
  std::string exclusive_start_shard_id;
};

struct ListStreamsParams {
  int limit = 100;
  std::string exclusive_start_stream_name;
  std::string next_token;
};
struct ListStreamsResult {
  std::vector<StreamInfo> streams;
  bool has_more_streams = false;
  std::string next_token;
};

enum class ShardFilterType {
  kNone = 0,
  kAfterShardId = 1,
  kAtTrimHorizon = 2,
  kFromTrimHorizon = 3,
  kAtLatest = 4,
  kAtTimestamp = 5,
  kFromTimestamp = 6,
};
struct ListShardsParams {
  StreamRef stream;
  std::string next_token;
  std::string exclusive_start_shard_id;
  int max_results = 1000;
  ShardFilterType filter = ShardFilterType::kNone;
  std::string filter_shard_id;
  int64_t filter_timestamp_millis = 0;
  int64_t stream_creation_timestamp_millis = 0;
};
struct ListShardsResult {
  std::vector<ShardInfo> shards;
  std::string next_token;
};

struct PutEntry {
  absl::string_view data;
  absl::string_view partition_key;
  // Absent = route by the partition key's MD5. Sent, it must be a decimal 0 … 2^128-1: an
  // empty one is refused, as AWS refuses it, not taken for "none".
  std::optional<absl::string_view> explicit_hash_key;
};
struct PutOutcome {
  absl::Status status;  // OK, or ProvisionedThroughputExceeded / InternalFailure
  std::string shard_id;
  std::string sequence_number;
};

enum class IteratorType {
  kAtSequenceNumber = 1,
  kAfterSequenceNumber = 2,
  kTrimHorizon = 3,
  kLatest = 4,
  kAtTimestamp = 5,
};
struct GetShardIteratorParams {
  StreamRef stream;
  std::string shard_id;
  IteratorType type = IteratorType::kTrimHorizon;
  std::string starting_sequence_number;
  int64_t timestamp_millis = 0;
};
struct ShardIteratorResult {
  std::string iterator;
  // The position just before the first record the iterator reads (Eddy's addition to the
  // API): everything at or before it lies behind the iterator — how a reader at LATEST
  // learns where "latest" was before any record arrives.
  std::string starts_after_sequence_number;
};

struct RecordOut {
  std::string sequence_number;
  int64_t arrival_millis = 0;
  std::string partition_key;
  std::string data;
};
struct GetRecordsResult {
  std::vector<RecordOut> records;
  std::string next_shard_iterator;  // empty when a closed shard is fully read
  int64_t millis_behind_latest = 0;
  std::vector<ChildShardInfo> child_shards;
};

struct ConsumerRefParams {
  StreamRef stream;  // with consumer_name …
  std::string consumer_name;
  std::string consumer_arn;  // … or this alone
};

struct ListConsumersParams {
  StreamRef stream;
  int max_results = 100;
  std::string next_token;
  int64_t stream_creation_timestamp_millis = 0;
};
struct ListConsumersResult {
  std::vector<ConsumerInfo> consumers;
  std::string next_token;
};

struct SubscribeParams {
  std::string consumer_arn;
  std::string shard_id;
  IteratorType type = IteratorType::kLatest;
  std::string starting_sequence_number;
  int64_t timestamp_millis = 0;
};

}  // namespace eddy::broker
