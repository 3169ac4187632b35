#include "client/stream_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "proto/grpc_status.h"

namespace eddy::client {
namespace {

constexpr int kMaxMessageBytes = 64 << 20;

std::string StripScheme(std::string endpoint) {
  for (const char* scheme : {"http://", "grpc://", "dns:///"}) {
    if (absl::StartsWith(endpoint, scheme)) return endpoint.substr(std::string(scheme).size());
  }
  return endpoint;
}

}  // namespace

StreamClient::StreamClient(const StreamClientOptions& options)
    : endpoint_(StripScheme(options.endpoint)), timeout_(options.timeout) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Each client its own connection: gRPC would otherwise share one TCP connection among
  // every channel to the same broker, and many subscribers would queue on it.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  stub_ = v1::StreamService::NewStub(
      grpc::CreateCustomChannel(endpoint_, grpc::InsecureChannelCredentials(), args));
}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> StreamClient::Call(Method method, const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout_);
  Response response;
  grpc::Status status = ((*stub_).*method)(&context, request, &response);
  if (!status.ok()) return proto::FromGrpcStatus(status, context);
  return response;
}

#define EDDY_CLIENT_METHOD(Name, Request, Response)                               \
  absl::StatusOr<v1::Response> StreamClient::Name(const v1::Request& request) {   \
    return Call<v1::Request, v1::Response>(&v1::StreamService::Stub::Name, request); \
  }

EDDY_CLIENT_METHOD(CreateStream, CreateStreamRequest, CreateStreamResponse)
EDDY_CLIENT_METHOD(DeleteStream, DeleteStreamRequest, DeleteStreamResponse)
EDDY_CLIENT_METHOD(DescribeStream, DescribeStreamRequest, DescribeStreamResponse)
EDDY_CLIENT_METHOD(DescribeStreamSummary, DescribeStreamSummaryRequest,
                   DescribeStreamSummaryResponse)
EDDY_CLIENT_METHOD(ListStreams, ListStreamsRequest, ListStreamsResponse)
EDDY_CLIENT_METHOD(ListShards, ListShardsRequest, ListShardsResponse)
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
    : context_(std::move(context)), reader_(std::move(reader)) {}

bool ShardSubscriptionReader::Next(v1::SubscribeToShardEvent* event) {
  return reader_->Read(event);
}

absl::Status ShardSubscriptionReader::Finish() {
  grpc::Status status = reader_->Finish();
  return proto::FromGrpcStatus(status, *context_);
}

void ShardSubscriptionReader::Cancel() { context_->TryCancel(); }

}  // namespace eddy::client
