#pragma once
// StreamBroker: the stream service's core — every operation of proto/eddy/v1/stream.proto
// in plain C++, with Kinesis semantics, validation and limits. The gRPC layer
// (grpc_service.h) only translates.
//
// Lifecycle: Open() → Start() → Stop(). Start launches the commit thread and the
// retention trimmer; Stop finishes queued writes and joins both.
// Thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "broker/broker_types.h"
#include "broker/capacity_manager.h"
#include "broker/commit_queue.h"
#include "broker/consumer_registry.h"
#include "broker/fanout_hub.h"
#include "broker/limits.h"
#include "broker/record_store.h"
#include "broker/stream_catalog.h"
#include "broker/task_runner.h"
#include "broker/token_codec.h"
#include "common/clock.h"
#include "lease/coordinator_store.h"

namespace eddy::broker {

struct StreamBrokerOptions {
  // Directory of the RocksDB database; created if missing.
  std::string data_dir;
  // Sync the WAL before acknowledging a put (default). False trades durability of the last
  // moments before a crash for throughput (`--sync=none`).
  bool sync = true;
  BrokerLimits limits;
  // How often expired records are deleted and their space reclaimed.
  int64_t retention_check_interval_millis = 60'000;
  // How ON_DEMAND streams are scaled.
  OnDemandOptions on_demand;
  // Push subscriptions (enhanced fan-out).
  FanOutOptions fanout;
  // Lifetime of shard iterators and list tokens.
  int64_t iterator_ttl_millis = 300'000;
  // Clock for arrival times, expiry and rate limits; must outlive the broker.
  const common::Clock* clock = &common::SystemClock::Get();
  // Tests only: fails chosen storage reads and writes (record_store.h).
  std::shared_ptr<StorageFaults> storage_faults;
};

class StreamBroker {
 public:
  static absl::StatusOr<std::unique_ptr<StreamBroker>> Open(const StreamBrokerOptions& options);
  ~StreamBroker();

  void Start();
  void Stop();

  // Control plane.
  absl::Status CreateStream(const CreateStreamParams& params);
  absl::Status DeleteStream(const StreamRef& stream, bool enforce_consumer_deletion);
  absl::StatusOr<StreamInfo> DescribeStream(const DescribeStreamParams& params) const;
  absl::StatusOr<StreamInfo> DescribeStreamSummary(const StreamRef& stream) const;
  absl::StatusOr<ListStreamsResult> ListStreams(const ListStreamsParams& params) const;
  absl::StatusOr<ListShardsResult> ListShards(const ListShardsParams& params) const;
  absl::Status ChangeRetention(const StreamRef& stream, int hours, bool increase);

  // Settings recorded and reported (stream_settings.cc). Each is stored before it applies.
  // ON_DEMAND ↔ PROVISIONED; ResourceInUse while a split or merge is being applied.
  absl::Status UpdateStreamMode(const StreamRef& stream, StreamMode mode);
  // Adds or overwrites tags (at most 10 a call, 50 a stream; keys 1–128 characters, values
  // 0–256, no "aws:" prefix).
  absl::Status TagStream(const StreamRef& stream,
                         const std::vector<std::pair<std::string, std::string>>& tags);
  // Removes tags by key (1–50 keys; absent keys are ignored, as AWS does).
  absl::Status UntagStream(const StreamRef& stream, const std::vector<std::string>& keys);
  absl::StatusOr<StreamSettings> StreamSettingsOf(const StreamRef& stream) const;
  // Adds (`enable`) or removes shard-level metrics ("ALL" names every one); returns the
  // metrics before and after.
  absl::StatusOr<MonitoringChange> ChangeEnhancedMonitoring(const StreamRef& stream,
                                                            const std::vector<std::string>& metrics,
                                                            bool enable);
  // Records KMS encryption (`start`, with a key id) or its end. Eddy does not encrypt at
  // rest yet: this is reported, not applied (docs/kinesis-api.md).
  absl::Status ChangeEncryption(const StreamRef& stream, const std::string& encryption_type,
                                const std::string& key_id, bool start);
  BrokerLimitsInfo DescribeLimits() const;

  // Data plane. Puts complete asynchronously, once durable (or refused), on the commit
  // thread: `done` must not block. A whole-request failure (validation, unknown stream)
  // arrives as the StatusOr's error; otherwise one outcome per entry, in order.
  using PutDone = std::function<void(absl::StatusOr<std::vector<PutOutcome>>)>;
  void PutRecords(const StreamRef& stream, std::vector<PutEntry> entries, PutDone done);
  // PutRecord: as PutRecords with one entry, but `sequence_number_for_ordering` is checked
  // and a throttled record fails the call.
  void PutRecord(const StreamRef& stream, PutEntry entry,
                 absl::string_view sequence_number_for_ordering, PutDone done);

  absl::StatusOr<ShardIteratorResult> GetShardIterator(const GetShardIteratorParams& params) const;
  // `stream_arn`, when not empty, must be the ARN of the iterator's stream.
  absl::StatusOr<GetRecordsResult> GetRecords(absl::string_view shard_iterator, int limit,
                                              absl::string_view stream_arn = "") const;

  // Resharding (resharding.cc). Refused on ON_DEMAND streams, which the broker scales.
  absl::Status SplitShard(const StreamRef& stream, const std::string& shard_id,
                          const std::string& new_starting_hash_key);
  absl::Status MergeShards(const StreamRef& stream, const std::string& shard_id,
                           const std::string& adjacent_shard_id);
  // Returns the open shard count before the change.
  absl::StatusOr<int> UpdateShardCount(const StreamRef& stream, int target_shard_count);

  // Enhanced fan-out (fanout_ops.cc).
  absl::StatusOr<ConsumerInfo> RegisterStreamConsumer(const StreamRef& stream,
                                                      const std::string& consumer_name);
  absl::Status DeregisterStreamConsumer(const ConsumerRefParams& consumer);
  absl::StatusOr<ConsumerInfo> DescribeStreamConsumer(const ConsumerRefParams& consumer) const;
  absl::StatusOr<ListConsumersResult> ListStreamConsumers(const ListConsumersParams& params) const;
  // A push session, not yet attached to its sink (see subscription.h).
  absl::StatusOr<std::shared_ptr<Subscription>> SubscribeToShard(const SubscribeParams& params);

  FanOutHub& fanout() { return *fanout_; }
  // The lease tables and checkpoints of consumer applications, kept in this broker's
  // database under the prefix "c".
  lease::CoordinatorStore& coordinator() { return *coordinator_; }

  CapacityManager& capacity() { return *capacity_; }

  // Deletes expired records of every shard now (the trimmer's pass; tests call it).
  void TrimExpiredRecords();

  RecordStore& store() { return *store_; }

 private:
  StreamBroker(const StreamBrokerOptions& options, std::unique_ptr<RecordStore> store,
               std::unique_ptr<StreamCatalog> catalog, std::unique_ptr<ConsumerRegistry> consumers,
               std::string secret);
  absl::StatusOr<ConsumerInfo> FindConsumer(const ConsumerRefParams& consumer) const;

  struct ChildSpec {
    common::HashKeyRange range;
    std::string parent;
    std::string adjacent_parent;
  };
  // Closes `parents` and opens `children` on the commit thread (see resharding.cc).
  absl::Status ApplyReshard(const std::shared_ptr<StreamState>& stream,
                            const std::vector<std::shared_ptr<ShardState>>& parents,
                            const std::vector<ChildSpec>& children);
  absl::Status SplitShardInternal(const std::shared_ptr<StreamState>& stream,
                                  const std::string& shard_id,
                                  const std::string& new_starting_hash_key);
  absl::Status MergeShardsInternal(const std::shared_ptr<StreamState>& stream,
                                   const std::string& shard_id,
                                   const std::string& adjacent_shard_id);
  void PutInternal(const StreamRef& stream, std::vector<PutEntry> entries, bool single,
                   PutDone done);
  ShardInfo DescribeShard(const StreamState& stream, const ShardState& shard) const;
  // The first counter to read for a starting position (GetShardIterator, SubscribeToShard).
  absl::StatusOr<uint64_t> ResolveStartingCounter(const StreamState& stream,
                                                  const ShardState& shard, IteratorType type,
                                                  const std::string& starting_sequence_number,
                                                  int64_t timestamp_millis) const;
  // The payload of a list token of `kind` (at least `min_bytes`, starting with its issue
  // time), or InvalidArgument / ExpiredNextToken.
  absl::StatusOr<std::string> OpenListToken(char kind, const std::string& token,
                                            size_t min_bytes) const;
  // ResourceNotFound unless `creation_millis` is 0 or the stream's creation time.
  static absl::Status CheckCreationTimestamp(const StreamState& stream, int64_t creation_millis);
  uint64_t TrimHorizonCounter(const StreamState& stream) const {
    return stream.TrimHorizonCounter(clock_.NowMillis());
  }

  const StreamBrokerOptions options_;
  const common::Clock& clock_;
  std::unique_ptr<RecordStore> store_;
  std::unique_ptr<StreamCatalog> catalog_;
  std::unique_ptr<ConsumerRegistry> consumers_;
  std::unique_ptr<FanOutHub> fanout_;
  std::unique_ptr<lease::CoordinatorStore> coordinator_;
  CommitQueue commit_queue_;
  std::unique_ptr<CapacityManager> capacity_;
  const TokenCodec tokens_;
  absl::Notification stop_trimmer_;
  std::thread trimmer_;
  TaskRunner maintenance_{1};  // slow storage upkeep (space reclaim after deletions)
};

}  // namespace eddy::broker
