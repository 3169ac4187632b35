#include "client/stream_client.h"

#include "client/channel.h"
#include "proto/grpc_status.h"

namespace eddy::client {
StreamClient::StreamClient(const StreamClientOptions& options)
    : endpoint_(NormalizeEndpoint(options.endpoint)),
      timeout_(options.timeout),
      stub_(v1::StreamService::NewStub(MakeChannel(endpoint_))) {}

#define EDDY_CLIENT_METHOD(Name, Request, Response)                                              \
  absl::StatusOr<v1::Response> StreamClient::Name(const v1::Request& request) {                  \
    return UnaryCall<v1::StreamService::Stub, decltype(&v1::StreamService::Stub::Name),          \
                     v1::Request, v1::Response>(*stub_, &v1::StreamService::Stub::Name, request, \
                                                timeout_);                                       \
  }

EDDY_CLIENT_METHOD(CreateStream, CreateStreamRequest, CreateStreamResponse)
EDDY_CLIENT_METHOD(DeleteStream, DeleteStreamRequest, DeleteStreamResponse)
EDDY_CLIENT_METHOD(DescribeStream, DescribeStreamRequest, DescribeStreamResponse)
EDDY_CLIENT_METHOD(DescribeStreamSummary, DescribeStreamSummaryRequest,
                   DescribeStreamSummaryResponse)
EDDY_CLIENT_METHOD(ListStreams, ListStreamsRequest, ListStreamsResponse)
EDDY_CLIENT_METHOD(ListShards, ListShardsRequest, ListShardsResponse)
EDDY_CLIENT_METHOD(SplitShard, SplitShardRequest, SplitShardResponse)
EDDY_CLIENT_METHOD(MergeShards, MergeShardsRequest, MergeShardsResponse)
EDDY_CLIENT_METHOD(UpdateShardCount, UpdateShardCountRequest, UpdateShardCountResponse)
EDDY_CLIENT_METHOD(IncreaseStreamRetentionPeriod, ChangeRetentionPeriodRequest,
                   ChangeRetentionPeriodResponse)
EDDY_CLIENT_METHOD(DecreaseStreamRetentionPeriod, ChangeRetentionPeriodRequest,
                   ChangeRetentionPeriodResponse)
EDDY_CLIENT_METHOD(PutRecord, PutRecordRequest, PutRecordResponse)
EDDY_CLIENT_METHOD(PutRecords, PutRecordsRequest, PutRecordsResponse)
EDDY_CLIENT_METHOD(GetShardIterator, GetShardIteratorRequest, GetShardIteratorResponse)
EDDY_CLIENT_METHOD(GetRecords, GetRecordsRequest, GetRecordsResponse)
EDDY_CLIENT_METHOD(RegisterStreamConsumer, RegisterStreamConsumerRequest,
                   RegisterStreamConsumerResponse)
EDDY_CLIENT_METHOD(DeregisterStreamConsumer, DeregisterStreamConsumerRequest,
                   DeregisterStreamConsumerResponse)
EDDY_CLIENT_METHOD(DescribeStreamConsumer, DescribeStreamConsumerRequest,
                   DescribeStreamConsumerResponse)
EDDY_CLIENT_METHOD(ListStreamConsumers, ListStreamConsumersRequest, ListStreamConsumersResponse)

#undef EDDY_CLIENT_METHOD

std::unique_ptr<ShardSubscriptionReader> StreamClient::SubscribeToShard(
    const v1::SubscribeToShardRequest& request) {
  auto context = std::make_unique<grpc::ClientContext>();
  auto reader = stub_->SubscribeToShard(context.get(), request);
  return std::make_unique<ShardSubscriptionReader>(std::move(context), std::move(reader));
}

ShardSubscriptionReader::ShardSubscriptionReader(
    std::unique_ptr<grpc::ClientContext> context,
    std::unique_ptr<grpc::ClientReader<v1::SubscribeToShardEvent>> reader)
    : context_(std::move(context)), reader_(std::move(reader)) {
  thread_ = std::thread([this] { ReadLoop(); });
}

ShardSubscriptionReader::~ShardSubscriptionReader() { Finish().IgnoreError(); }

void ShardSubscriptionReader::ReadLoop() {
  while (true) {
    v1::SubscribeToShardEvent event;
    const bool more = reader_->Read(&event);
    absl::MutexLock lock(&mu_);
    if (!more) {
      ended_ = true;
      return;
    }
    ready_ = std::move(event);
    // One event ahead at most: the next Read waits until this one is taken (or the call
    // is cancelled, which Finish does before it joins).
    mu_.Await(absl::Condition(
        +[](ShardSubscriptionReader* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
          return !self->ready_.has_value() || self->ended_;
        },
        this));
    if (ended_) return;
  }
}

ShardSubscriptionReader::Result ShardSubscriptionReader::Next(v1::SubscribeToShardEvent* event,
                                                              absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](ShardSubscriptionReader* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                self->mu_) { return self->ready_.has_value() || self->ended_; },
                           this),
                       timeout);
  if (ready_.has_value()) {
    *event = std::move(*ready_);
    ready_.reset();
    return Result::kEvent;
  }
  return ended_ ? Result::kEnded : Result::kTimedOut;
}

absl::Status ShardSubscriptionReader::Finish() {
  if (finished_) return status_;
  finished_ = true;
  bool ended = false;
  {
    absl::MutexLock lock(&mu_);
    ended = ended_;
  }
  if (!ended) context_->TryCancel();
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;  // releases a reader thread waiting for its event to be taken
  }
  if (thread_.joinable()) thread_.join();
  status_ = proto::FromGrpcStatus(reader_->Finish(), *context_);
  return status_;
}

void ShardSubscriptionReader::Cancel() { context_->TryCancel(); }

}  // namespace eddy::client
