#pragma once
// StreamConnection: what a consumer needs from a stream service, in Eddy's own types —
// shards with their lineage, record batches, child shards, consumers, push subscriptions —
// whatever carries it (Eddy's gRPC API today; the Kinesis HTTP API next). The consumer
// framework (kcl/) talks to this interface only; no transport type crosses it.
//
// Errors are absl::Status values carrying the Kinesis exception name (common::ErrorType);
// callers match names, never message text. Where one name covers two cases (a
// ResourceNotFound from DescribeStreamConsumer: no stream, or no consumer?), the caller asks
// a second question (DescribeStreamSummary), as it would have to against AWS. Each call is
// one attempt: the caller decides with common::IsRetryable and a Backoff (backoff.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/hash_key.h"

namespace eddy::client {

// One record as the stream stores it (an aggregate of the KPL is one record here).
struct StreamRecord {
  std::string sequence_number;
  int64_t approximate_arrival_millis = 0;
  std::string data;
  std::string partition_key;
};

// A shard as ListShards describes it.
struct ShardDescription {
  std::string shard_id;
  std::string parent_shard_id;           // "" for a shard of the stream's creation
  std::string adjacent_parent_shard_id;  // "" unless made by a merge
  common::HashKeyRange hash_range;
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // "" while the shard is open

  bool closed() const { return !ending_sequence_number.empty(); }
};

// Which shards ListShards answers with (Kinesis' ShardFilter, the types a consumer starting
// on an empty lease table needs): kNone lists every shard within the retention period;
// kAtTrimHorizon the shards open at the trim horizon; kAtLatest the open shards;
// kAtTimestamp the shards open at `timestamp_millis` (and those created after it without a
// parent).
struct ShardFilter {
  enum class Type { kNone, kAtTrimHorizon, kAtLatest, kAtTimestamp };
  Type type = Type::kNone;
  int64_t timestamp_millis = 0;  // with kAtTimestamp
};

// A child of a shard that was read to its end.
struct ChildShard {
  std::string shard_id;
  std::vector<std::string> parent_shard_ids;
  common::HashKeyRange hash_range;
};

// Where reading starts (GetShardIterator's types, SubscribeToShard's StartingPosition).
struct StartingPosition {
  enum class Type { kTrimHorizon, kLatest, kAtSequenceNumber, kAfterSequenceNumber, kAtTimestamp };
  Type type = Type::kTrimHorizon;
  std::string sequence_number;   // with kAt/kAfterSequenceNumber
  int64_t timestamp_millis = 0;  // with kAtTimestamp
};

struct ShardIterator {
  std::string iterator;
  // Eddy only: the last sequence number before the iterator's start, when known (so that a
  // start at LATEST can be recorded before any record arrives). "" from other endpoints.
  std::string starts_after_sequence_number;
};

// A GetRecords answer; an empty next_shard_iterator means the shard was read to its end.
struct RecordsPage {
  std::vector<StreamRecord> records;
  std::string next_shard_iterator;
  int64_t millis_behind_latest = 0;
  std::vector<ChildShard> child_shards;
};

// One SubscribeToShardEvent: records (none in a heartbeat), where to resume, and the
// children in the last event of a shard read to its end.
struct SubscriptionEvent {
  std::vector<StreamRecord> records;
  std::string continuation_sequence_number;
  int64_t millis_behind_latest = 0;
  std::vector<ChildShard> child_shards;
};

struct ConsumerDescription {
  enum class Status { kCreating, kActive, kDeleting };
  std::string name;
  std::string arn;
  Status status = Status::kCreating;
  std::string stream_arn;
};

// A stream named by name or ARN (AWS accepts either; newer SDKs send only the ARN).
struct StreamRef {
  std::string name;
  std::string arn;
};

struct StreamSummary {
  enum class Status { kCreating, kActive, kUpdating, kDeleting };
  std::string name;
  std::string arn;
  Status status = Status::kCreating;
  int open_shard_count = 0;
};

// A running push subscription (one SubscribeToShard session). Next() and Finish() from one
// thread; Cancel() from any.
class Subscription {
 public:
  virtual ~Subscription() = default;
  enum class Result { kEvent, kTimedOut, kEnded };
  // Waits up to `timeout` for the next event. kEnded once the session has ended (Finish
  // says why); kTimedOut leaves the session running.
  virtual Result Next(SubscriptionEvent* event, absl::Duration timeout) = 0;
  // How the session ended: OK after a full session or at a closed shard's end. Cancels the
  // session first if it has not ended.
  virtual absl::Status Finish() = 0;
  // Ends the session from the client side (Finish then reports CANCELLED).
  virtual void Cancel() = 0;
};

class StreamConnection {
 public:
  virtual ~StreamConnection() = default;

  // Every shard of the stream that passes `filter` (all pages), parents before children as
  // the stream lists them.
  virtual absl::StatusOr<std::vector<ShardDescription>> ListShards(const StreamRef& stream,
                                                                   const ShardFilter& filter) = 0;
  virtual absl::StatusOr<ShardIterator> GetShardIterator(const StreamRef& stream,
                                                         const std::string& shard_id,
                                                         const StartingPosition& position) = 0;
  virtual absl::StatusOr<RecordsPage> GetRecords(const std::string& shard_iterator, int limit) = 0;

  // The stream's status and ARN (ResourceNotFound: it does not exist).
  virtual absl::StatusOr<StreamSummary> DescribeStreamSummary(const StreamRef& stream) = 0;

  // The consumer named `name` of the stream with ARN `stream_arn` (ResourceNotFound if the
  // stream has none of that name).
  virtual absl::StatusOr<ConsumerDescription> DescribeStreamConsumer(const std::string& stream_arn,
                                                                     const std::string& name) = 0;
  // Registers it (ResourceInUse if a consumer of that name exists).
  virtual absl::StatusOr<ConsumerDescription> RegisterStreamConsumer(const std::string& stream_arn,
                                                                     const std::string& name) = 0;

  // Starts a push subscription of consumer `consumer_arn` to the shard.
  virtual std::unique_ptr<Subscription> SubscribeToShard(const std::string& consumer_arn,
                                                         const std::string& shard_id,
                                                         const StartingPosition& position) = 0;
};

}  // namespace eddy::client
