#pragma once
// StreamServiceImpl: the gRPC face of StreamBroker. Each method converts the request to
// the core's types, calls the core, converts the result back — nothing else (STYLE §4).
// Uses the callback API; puts finish from the commit thread once durable.
//
// Shutdown: once the CallGate drains, new calls are refused with UNAVAILABLE and those in
// flight are waited for, so the gRPC server can then stop without cancelling anything.

#include "broker/call_gate.h"
#include "broker/stream_broker.h"
#include "eddy/v1/stream.grpc.pb.h"

namespace eddy::broker {

// SubscribeToShard is served raw (bytes out, see event_encoder.h); every other method typed.
class StreamServiceImpl final : public v1::StreamService::WithRawCallbackMethod_SubscribeToShard<
                                    v1::StreamService::CallbackService> {
 public:
  // `broker` and `gate` must outlive the service.
  StreamServiceImpl(StreamBroker& broker, CallGate& gate) : broker_(broker), gate_(gate) {}

  grpc::ServerUnaryReactor* CreateStream(grpc::CallbackServerContext* context,
                                         const v1::CreateStreamRequest* request,
                                         v1::CreateStreamResponse* response) override;
  grpc::ServerUnaryReactor* DeleteStream(grpc::CallbackServerContext* context,
                                         const v1::DeleteStreamRequest* request,
                                         v1::DeleteStreamResponse* response) override;
  grpc::ServerUnaryReactor* DescribeStream(grpc::CallbackServerContext* context,
                                           const v1::DescribeStreamRequest* request,
                                           v1::DescribeStreamResponse* response) override;
  grpc::ServerUnaryReactor* DescribeStreamSummary(
      grpc::CallbackServerContext* context, const v1::DescribeStreamSummaryRequest* request,
      v1::DescribeStreamSummaryResponse* response) override;
  grpc::ServerUnaryReactor* ListStreams(grpc::CallbackServerContext* context,
                                        const v1::ListStreamsRequest* request,
                                        v1::ListStreamsResponse* response) override;
  grpc::ServerUnaryReactor* ListShards(grpc::CallbackServerContext* context,
                                       const v1::ListShardsRequest* request,
                                       v1::ListShardsResponse* response) override;
  grpc::ServerUnaryReactor* SplitShard(grpc::CallbackServerContext* context,
                                       const v1::SplitShardRequest* request,
                                       v1::SplitShardResponse* response) override;
  grpc::ServerUnaryReactor* MergeShards(grpc::CallbackServerContext* context,
                                        const v1::MergeShardsRequest* request,
                                        v1::MergeShardsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateShardCount(grpc::CallbackServerContext* context,
                                             const v1::UpdateShardCountRequest* request,
                                             v1::UpdateShardCountResponse* response) override;
  grpc::ServerUnaryReactor* IncreaseStreamRetentionPeriod(
      grpc::CallbackServerContext* context, const v1::ChangeRetentionPeriodRequest* request,
      v1::ChangeRetentionPeriodResponse* response) override;
  grpc::ServerUnaryReactor* DecreaseStreamRetentionPeriod(
      grpc::CallbackServerContext* context, const v1::ChangeRetentionPeriodRequest* request,
      v1::ChangeRetentionPeriodResponse* response) override;
  grpc::ServerUnaryReactor* PutRecord(grpc::CallbackServerContext* context,
                                      const v1::PutRecordRequest* request,
                                      v1::PutRecordResponse* response) override;
  grpc::ServerUnaryReactor* PutRecords(grpc::CallbackServerContext* context,
                                       const v1::PutRecordsRequest* request,
                                       v1::PutRecordsResponse* response) override;
  grpc::ServerUnaryReactor* GetShardIterator(grpc::CallbackServerContext* context,
                                             const v1::GetShardIteratorRequest* request,
                                             v1::GetShardIteratorResponse* response) override;
  grpc::ServerUnaryReactor* GetRecords(grpc::CallbackServerContext* context,
                                       const v1::GetRecordsRequest* request,
                                       v1::GetRecordsResponse* response) override;
  grpc::ServerUnaryReactor* RegisterStreamConsumer(
      grpc::CallbackServerContext* context, const v1::RegisterStreamConsumerRequest* request,
      v1::RegisterStreamConsumerResponse* response) override;
  grpc::ServerUnaryReactor* DeregisterStreamConsumer(
      grpc::CallbackServerContext* context, const v1::DeregisterStreamConsumerRequest* request,
      v1::DeregisterStreamConsumerResponse* response) override;
  grpc::ServerUnaryReactor* DescribeStreamConsumer(
      grpc::CallbackServerContext* context, const v1::DescribeStreamConsumerRequest* request,
      v1::DescribeStreamConsumerResponse* response) override;
  grpc::ServerUnaryReactor* ListStreamConsumers(grpc::CallbackServerContext* context,
                                                const v1::ListStreamConsumersRequest* request,
                                                v1::ListStreamConsumersResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeToShard(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;

 private:
  // Admits a call (false once draining); every admitted call is ended with EndCall().
  bool BeginCall();
  void EndCall();
  // Finishes a call that completed on the calling thread.
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                   const absl::Status& status);
  // Refuses a call while draining.
  grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context);

  StreamBroker& broker_;
  CallGate& gate_;
};

}  // namespace eddy::broker
