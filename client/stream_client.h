#pragma once
// StreamClient: a thin, typed client of eddy-broker's StreamService.
//
// Each method makes one call with a deadline and returns the response or an absl::Status
// carrying the broker's Kinesis error name (common::ErrorType). No retries: callers decide
// with common::IsRetryable. Thread-safe (gRPC stubs are); cheap to share.

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eddy/v1/stream.grpc.pb.h"

namespace eddy::client {

// A running SubscribeToShard call: read events until the broker ends the stream.
// Next() and Finish() from one thread; Cancel() from any. Events are read by a thread of
// the reader's own, one ahead of the caller, so that Next() can wait with a deadline (a
// broker that stops sending — frozen, or cut off without a reset — cannot block the caller).
class ShardSubscriptionReader {
 public:
  ShardSubscriptionReader(std::unique_ptr<grpc::ClientContext> context,
                          std::unique_ptr<grpc::ClientReader<v1::SubscribeToShardEvent>> reader);
  ~ShardSubscriptionReader();
  ShardSubscriptionReader(const ShardSubscriptionReader&) = delete;
  ShardSubscriptionReader& operator=(const ShardSubscriptionReader&) = delete;

  enum class Result { kEvent, kTimedOut, kEnded };
  // Waits up to `timeout` for the next event. kEnded once the stream has ended (call Finish
  // for why); kTimedOut leaves the call running.
  Result Next(v1::SubscribeToShardEvent* event, absl::Duration timeout);
  // How the stream ended: OK after a full session or at a closed shard's end. Cancels the
  // call first if it has not ended.
  absl::Status Finish();
  // Ends the call from the client side (Finish then reports CANCELLED).
  void Cancel();

 private:
  void ReadLoop();

  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeToShardEvent>> reader_;
  absl::Mutex mu_;
  std::optional<v1::SubscribeToShardEvent> ready_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ = false;  // the caller's thread only
  absl::Status status_;    // likewise
  std::thread thread_;
};

struct StreamClientOptions {
  // host:port of the broker; "http://" or "grpc://" prefixes are accepted and dropped.
  std::string endpoint = "127.0.0.1:4567";
  // Deadline of each call.
  std::chrono::milliseconds timeout{30'000};
};

class StreamClient {
 public:
  explicit StreamClient(const StreamClientOptions& options);

  // The endpoint as dialled (prefix dropped).
  const std::string& endpoint() const { return endpoint_; }

  absl::StatusOr<v1::CreateStreamResponse> CreateStream(const v1::CreateStreamRequest& request);
  absl::StatusOr<v1::DeleteStreamResponse> DeleteStream(const v1::DeleteStreamRequest& request);
  absl::StatusOr<v1::DescribeStreamResponse> DescribeStream(
      const v1::DescribeStreamRequest& request);
  absl::StatusOr<v1::DescribeStreamSummaryResponse> DescribeStreamSummary(
      const v1::DescribeStreamSummaryRequest& request);
  absl::StatusOr<v1::ListStreamsResponse> ListStreams(const v1::ListStreamsRequest& request);
  absl::StatusOr<v1::ListShardsResponse> ListShards(const v1::ListShardsRequest& request);
  absl::StatusOr<v1::SplitShardResponse> SplitShard(const v1::SplitShardRequest& request);
  absl::StatusOr<v1::MergeShardsResponse> MergeShards(const v1::MergeShardsRequest& request);
  absl::StatusOr<v1::UpdateShardCountResponse> UpdateShardCount(
      const v1::UpdateShardCountRequest& request);
  absl::StatusOr<v1::ChangeRetentionPeriodResponse> IncreaseStreamRetentionPeriod(
      const v1::ChangeRetentionPeriodRequest& request);
  absl::StatusOr<v1::ChangeRetentionPeriodResponse> DecreaseStreamRetentionPeriod(
      const v1::ChangeRetentionPeriodRequest& request);
  absl::StatusOr<v1::PutRecordResponse> PutRecord(const v1::PutRecordRequest& request);
  absl::StatusOr<v1::PutRecordsResponse> PutRecords(const v1::PutRecordsRequest& request);
  absl::StatusOr<v1::GetShardIteratorResponse> GetShardIterator(
      const v1::GetShardIteratorRequest& request);
  absl::StatusOr<v1::GetRecordsResponse> GetRecords(const v1::GetRecordsRequest& request);
  absl::StatusOr<v1::RegisterStreamConsumerResponse> RegisterStreamConsumer(
      const v1::RegisterStreamConsumerRequest& request);
  absl::StatusOr<v1::DeregisterStreamConsumerResponse> DeregisterStreamConsumer(
      const v1::DeregisterStreamConsumerRequest& request);
  absl::StatusOr<v1::DescribeStreamConsumerResponse> DescribeStreamConsumer(
      const v1::DescribeStreamConsumerRequest& request);
  absl::StatusOr<v1::ListStreamConsumersResponse> ListStreamConsumers(
      const v1::ListStreamConsumersRequest& request);

  // Starts a push subscription (no deadline: the broker ends each session).
  std::unique_ptr<ShardSubscriptionReader> SubscribeToShard(
      const v1::SubscribeToShardRequest& request);

 private:
  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<v1::StreamService::Stub> stub_;
};

}  // namespace eddy::client
