#include "broker/grpc_service.h"

#include "broker/subscribe_reactor.h"
#include "common/errors.h"
#include "common/hash_key.h"
#include "proto/grpc_status.h"

namespace eddy::broker {
namespace {

StreamRef RefOf(const v1::StreamRef& ref) { return StreamRef{ref.stream_name(), ref.stream_arn()}; }

v1::StreamMode ModeToProto(StreamMode mode) {
  return mode == StreamMode::kOnDemand ? v1::ON_DEMAND : v1::PROVISIONED;
}

void HashRangeToProto(const common::HashKeyRange& range, v1::HashKeyRange* out) {
  out->set_starting_hash_key(common::FormatUint128(range.start));
  out->set_ending_hash_key(common::FormatUint128(range.end));
}

void ShardToProto(const ShardInfo& shard, v1::Shard* out) {
  out->set_shard_id(shard.shard_id);
  out->set_parent_shard_id(shard.parent_shard_id);
  out->set_adjacent_parent_shard_id(shard.adjacent_parent_shard_id);
  HashRangeToProto(shard.hash_range, out->mutable_hash_key_range());
  out->mutable_sequence_number_range()->set_starting_sequence_number(
      shard.starting_sequence_number);
  out->mutable_sequence_number_range()->set_ending_sequence_number(shard.ending_sequence_number);
}

void ConsumerToProto(const ConsumerInfo& consumer, v1::Consumer* out) {
  out->set_consumer_name(consumer.name);
  out->set_consumer_arn(consumer.arn);
  out->set_consumer_status(consumer.status == ConsumerStatus::kActive     ? v1::CONSUMER_ACTIVE
                           : consumer.status == ConsumerStatus::kDeleting ? v1::CONSUMER_DELETING
                                                                          : v1::CONSUMER_CREATING);
  out->set_consumer_creation_timestamp_millis(consumer.creation_millis);
  out->set_stream_arn(consumer.stream_arn);
}

}  // namespace

bool StreamServiceImpl::BeginCall() { return gate_.Enter(); }

void StreamServiceImpl::EndCall() { gate_.Leave(); }

grpc::ServerUnaryReactor* StreamServiceImpl::Finish(grpc::CallbackServerContext* context,
                                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(proto::ToGrpcStatus(status, context));
  EndCall();
  return reactor;
}

grpc::ServerUnaryReactor* StreamServiceImpl::Refuse(grpc::CallbackServerContext* context) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(
      proto::ToGrpcStatus(absl::UnavailableError("the broker is shutting down"), context));
  return reactor;
}

grpc::ServerUnaryReactor* StreamServiceImpl::CreateStream(grpc::CallbackServerContext* context,
                                                          const v1::CreateStreamRequest* request,
                                                          v1::CreateStreamResponse*) {
  if (!BeginCall()) return Refuse(context);
  if (!v1::StreamMode_IsValid(request->stream_mode())) {
    return Finish(context, common::ValidationError(
                               "StreamModeDetails.StreamMode must be PROVISIONED or ON_DEMAND."));
  }
  CreateStreamParams params;
  params.name = request->stream_name();
  // Absent means the default; a value sent, 0 included, is the caller's and is validated.
  if (request->has_shard_count()) params.shard_count = request->shard_count();
  params.mode =
      request->stream_mode() == v1::ON_DEMAND ? StreamMode::kOnDemand : StreamMode::kProvisioned;
  if (request->has_max_record_size_in_kib()) {
    params.max_record_size_kib = request->max_record_size_in_kib();
  }
  if (request->has_retention_period_hours()) {
    params.retention_hours = request->retention_period_hours();
  }
  return Finish(context, broker_.CreateStream(params));
}

grpc::ServerUnaryReactor* StreamServiceImpl::DeleteStream(grpc::CallbackServerContext* context,
                                                          const v1::DeleteStreamRequest* request,
                                                          v1::DeleteStreamResponse*) {
  if (!BeginCall()) return Refuse(context);
  return Finish(context, broker_.DeleteStream(RefOf(request->stream()),
                                              request->enforce_consumer_deletion()));
}

grpc::ServerUnaryReactor* StreamServiceImpl::DescribeStream(
    grpc::CallbackServerContext* context, const v1::DescribeStreamRequest* request,
    v1::DescribeStreamResponse* response) {
  if (!BeginCall()) return Refuse(context);
  DescribeStreamParams params{RefOf(request->stream()),
                              request->has_limit() ? request->limit() : 100,
                              request->exclusive_start_shard_id()};
  absl::StatusOr<StreamInfo> info = broker_.DescribeStream(params);
  if (info.ok()) {
    v1::StreamDescription* out = response->mutable_stream_description();
    out->set_stream_name(info->name);
    out->set_stream_arn(info->arn);
    out->set_stream_status(info->updating ? v1::UPDATING : v1::ACTIVE);
    out->set_stream_mode(ModeToProto(info->mode));
    for (const ShardInfo& shard : info->shards) ShardToProto(shard, out->add_shards());
    out->set_has_more_shards(info->has_more_shards);
    out->set_retention_period_hours(info->retention_hours);
    out->set_stream_creation_timestamp_millis(info->creation_millis);
    out->set_encryption_type("NONE");
    out->set_max_record_size_in_kib(info->max_record_size_kib);
  }
  return Finish(context, info.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::DescribeStreamSummary(
    grpc::CallbackServerContext* context, const v1::DescribeStreamSummaryRequest* request,
    v1::DescribeStreamSummaryResponse* response) {
  if (!BeginCall()) return Refuse(context);
  absl::StatusOr<StreamInfo> info = broker_.DescribeStreamSummary(RefOf(request->stream()));
  if (info.ok()) {
    v1::StreamDescriptionSummary* out = response->mutable_stream_description_summary();
    out->set_stream_name(info->name);
    out->set_stream_arn(info->arn);
    out->set_stream_status(info->updating ? v1::UPDATING : v1::ACTIVE);
    out->set_stream_mode(ModeToProto(info->mode));
    out->set_retention_period_hours(info->retention_hours);
    out->set_stream_creation_timestamp_millis(info->creation_millis);
    out->set_encryption_type("NONE");
    out->set_open_shard_count(info->open_shard_count);
    out->set_consumer_count(info->consumer_count);
    out->set_max_record_size_in_kib(info->max_record_size_kib);
  }
  return Finish(context, info.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::ListStreams(grpc::CallbackServerContext* context,
                                                         const v1::ListStreamsRequest* request,
                                                         v1::ListStreamsResponse* response) {
  if (!BeginCall()) return Refuse(context);
  ListStreamsParams params{request->has_limit() ? request->limit() : 100,
                           request->exclusive_start_stream_name(), request->next_token()};
  absl::StatusOr<ListStreamsResult> result = broker_.ListStreams(params);
  if (result.ok()) {
    for (const StreamInfo& stream : result->streams) {
      response->add_stream_names(stream.name);
      v1::StreamSummary* summary = response->add_stream_summaries();
      summary->set_stream_name(stream.name);
      summary->set_stream_arn(stream.arn);
      summary->set_stream_status(v1::ACTIVE);
      summary->set_stream_mode(ModeToProto(stream.mode));
      summary->set_stream_creation_timestamp_millis(stream.creation_millis);
    }
    response->set_has_more_streams(result->has_more_streams);
    response->set_next_token(result->next_token);
  }
  return Finish(context, result.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::ListShards(grpc::CallbackServerContext* context,
                                                        const v1::ListShardsRequest* request,
                                                        v1::ListShardsResponse* response) {
  if (!BeginCall()) return Refuse(context);
  ListShardsParams params;
  params.stream = RefOf(request->stream());
  params.next_token = request->next_token();
  params.exclusive_start_shard_id = request->exclusive_start_shard_id();
  params.max_results = request->has_max_results() ? request->max_results() : 1000;
  params.filter = static_cast<ShardFilterType>(request->shard_filter().type());
  params.filter_shard_id = request->shard_filter().shard_id();
  params.filter_timestamp_millis = request->shard_filter().timestamp_millis();
  params.stream_creation_timestamp_millis = request->stream_creation_timestamp_millis();
  absl::StatusOr<ListShardsResult> result = broker_.ListShards(params);
  if (result.ok()) {
    for (const ShardInfo& shard : result->shards) ShardToProto(shard, response->add_shards());
    response->set_next_token(result->next_token);
  }
  return Finish(context, result.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::SplitShard(grpc::CallbackServerContext* context,
                                                        const v1::SplitShardRequest* request,
                                                        v1::SplitShardResponse*) {
  if (!BeginCall()) return Refuse(context);
  return Finish(context, broker_.SplitShard(RefOf(request->stream()), request->shard_to_split(),
                                            request->new_starting_hash_key()));
}

grpc::ServerUnaryReactor* StreamServiceImpl::MergeShards(grpc::CallbackServerContext* context,
                                                         const v1::MergeShardsRequest* request,
                                                         v1::MergeShardsResponse*) {
  if (!BeginCall()) return Refuse(context);
  return Finish(context, broker_.MergeShards(RefOf(request->stream()), request->shard_to_merge(),
                                             request->adjacent_shard_to_merge()));
}

grpc::ServerUnaryReactor* StreamServiceImpl::UpdateShardCount(
    grpc::CallbackServerContext* context, const v1::UpdateShardCountRequest* request,
    v1::UpdateShardCountResponse* response) {
  if (!BeginCall()) return Refuse(context);
  if (request->scaling_type() != v1::SCALING_TYPE_UNSPECIFIED &&
      request->scaling_type() != v1::UNIFORM_SCALING) {
    return Finish(context, common::ValidationError("ScalingType must be UNIFORM_SCALING."));
  }
  absl::StatusOr<int> before =
      broker_.UpdateShardCount(RefOf(request->stream()), request->target_shard_count());
  if (before.ok()) {
    response->set_stream_name(request->stream().stream_name());
    response->set_stream_arn(request->stream().stream_arn());
    response->set_current_shard_count(*before);
    response->set_target_shard_count(request->target_shard_count());
  }
  return Finish(context, before.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::IncreaseStreamRetentionPeriod(
    grpc::CallbackServerContext* context, const v1::ChangeRetentionPeriodRequest* request,
    v1::ChangeRetentionPeriodResponse*) {
  if (!BeginCall()) return Refuse(context);
  return Finish(context, broker_.ChangeRetention(RefOf(request->stream()),
                                                 request->retention_period_hours(), true));
}

grpc::ServerUnaryReactor* StreamServiceImpl::DecreaseStreamRetentionPeriod(
    grpc::CallbackServerContext* context, const v1::ChangeRetentionPeriodRequest* request,
    v1::ChangeRetentionPeriodResponse*) {
  if (!BeginCall()) return Refuse(context);
  return Finish(context, broker_.ChangeRetention(RefOf(request->stream()),
                                                 request->retention_period_hours(), false));
}

grpc::ServerUnaryReactor* StreamServiceImpl::PutRecord(grpc::CallbackServerContext* context,
                                                       const v1::PutRecordRequest* request,
                                                       v1::PutRecordResponse* response) {
  if (!BeginCall()) return Refuse(context);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  broker_.PutRecord(
      RefOf(request->stream()),
      PutEntry{request->data(), request->partition_key(),
               request->has_explicit_hash_key()
                   ? std::optional<absl::string_view>(request->explicit_hash_key())
                   : std::nullopt},
      request->sequence_number_for_ordering(),
      [this, context, reactor, response](absl::StatusOr<std::vector<PutOutcome>> outcomes) {
        if (outcomes.ok()) {
          response->set_shard_id(outcomes->front().shard_id);
          response->set_sequence_number(outcomes->front().sequence_number);
          response->set_encryption_type("NONE");
        }
        reactor->Finish(proto::ToGrpcStatus(outcomes.status(), context));
        EndCall();
      });
  return reactor;
}

grpc::ServerUnaryReactor* StreamServiceImpl::PutRecords(grpc::CallbackServerContext* context,
                                                        const v1::PutRecordsRequest* request,
                                                        v1::PutRecordsResponse* response) {
  if (!BeginCall()) return Refuse(context);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::vector<PutEntry> entries;
  entries.reserve(request->records_size());
  for (const v1::PutRecordsRequestEntry& entry : request->records()) {
    entries.push_back(PutEntry{entry.data(), entry.partition_key(),
                               entry.has_explicit_hash_key()
                                   ? std::optional<absl::string_view>(entry.explicit_hash_key())
                                   : std::nullopt});
  }
  broker_.PutRecords(
      RefOf(request->stream()), std::move(entries),
      [this, context, reactor, response](absl::StatusOr<std::vector<PutOutcome>> outcomes) {
        if (outcomes.ok()) {
          int failed = 0;
          for (const PutOutcome& outcome : *outcomes) {
            v1::PutRecordsResultEntry* out = response->add_records();
            if (outcome.status.ok()) {
              out->set_shard_id(outcome.shard_id);
              out->set_sequence_number(outcome.sequence_number);
            } else {
              ++failed;
              out->set_error_code(common::ErrorType(outcome.status));
              out->set_error_message(std::string(outcome.status.message()));
            }
          }
          response->set_failed_record_count(failed);
          response->set_encryption_type("NONE");
        }
        reactor->Finish(proto::ToGrpcStatus(outcomes.status(), context));
        EndCall();
      });
  return reactor;
}

grpc::ServerUnaryReactor* StreamServiceImpl::GetShardIterator(
    grpc::CallbackServerContext* context, const v1::GetShardIteratorRequest* request,
    v1::GetShardIteratorResponse* response) {
  if (!BeginCall()) return Refuse(context);
  GetShardIteratorParams params;
  params.stream = RefOf(request->stream());
  params.shard_id = request->shard_id();
  params.type = static_cast<IteratorType>(request->shard_iterator_type());
  params.starting_sequence_number = request->starting_sequence_number();
  params.timestamp_millis = request->timestamp_millis();
  absl::StatusOr<ShardIteratorResult> iterator = broker_.GetShardIterator(params);
  if (iterator.ok()) {
    response->set_shard_iterator(iterator->iterator);
    response->set_starts_after_sequence_number(iterator->starts_after_sequence_number);
  }
  return Finish(context, iterator.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::GetRecords(grpc::CallbackServerContext* context,
                                                        const v1::GetRecordsRequest* request,
                                                        v1::GetRecordsResponse* response) {
  if (!BeginCall()) return Refuse(context);
  absl::StatusOr<GetRecordsResult> result =
      broker_.GetRecords(request->shard_iterator(),
                         request->has_limit() ? request->limit() : 10000, request->stream_arn());
  if (result.ok()) {
    for (RecordOut& record : result->records) {
      v1::Record* out = response->add_records();
      out->set_sequence_number(std::move(record.sequence_number));
      out->set_approximate_arrival_timestamp_millis(record.arrival_millis);
      out->set_data(std::move(record.data));
      out->set_partition_key(std::move(record.partition_key));
      out->set_encryption_type("NONE");
    }
    response->set_next_shard_iterator(result->next_shard_iterator);
    response->set_millis_behind_latest(result->millis_behind_latest);
    for (const ChildShardInfo& child : result->child_shards) {
      v1::ChildShard* out = response->add_child_shards();
      out->set_shard_id(child.shard_id);
      for (const std::string& parent : child.parent_shards) out->add_parent_shards(parent);
      HashRangeToProto(child.hash_range, out->mutable_hash_key_range());
    }
  }
  return Finish(context, result.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::RegisterStreamConsumer(
    grpc::CallbackServerContext* context, const v1::RegisterStreamConsumerRequest* request,
    v1::RegisterStreamConsumerResponse* response) {
  if (!BeginCall()) return Refuse(context);
  absl::StatusOr<ConsumerInfo> consumer =
      broker_.RegisterStreamConsumer(RefOf(request->stream()), request->consumer_name());
  if (consumer.ok()) ConsumerToProto(*consumer, response->mutable_consumer());
  return Finish(context, consumer.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::DeregisterStreamConsumer(
    grpc::CallbackServerContext* context, const v1::DeregisterStreamConsumerRequest* request,
    v1::DeregisterStreamConsumerResponse*) {
  if (!BeginCall()) return Refuse(context);
  return Finish(context,
                broker_.DeregisterStreamConsumer(ConsumerRefParams{
                    RefOf(request->stream()), request->consumer_name(), request->consumer_arn()}));
}

grpc::ServerUnaryReactor* StreamServiceImpl::DescribeStreamConsumer(
    grpc::CallbackServerContext* context, const v1::DescribeStreamConsumerRequest* request,
    v1::DescribeStreamConsumerResponse* response) {
  if (!BeginCall()) return Refuse(context);
  absl::StatusOr<ConsumerInfo> consumer = broker_.DescribeStreamConsumer(ConsumerRefParams{
      RefOf(request->stream()), request->consumer_name(), request->consumer_arn()});
  if (consumer.ok()) ConsumerToProto(*consumer, response->mutable_consumer_description());
  return Finish(context, consumer.status());
}

grpc::ServerUnaryReactor* StreamServiceImpl::ListStreamConsumers(
    grpc::CallbackServerContext* context, const v1::ListStreamConsumersRequest* request,
    v1::ListStreamConsumersResponse* response) {
  if (!BeginCall()) return Refuse(context);
  ListConsumersParams params{RefOf(request->stream()),
                             request->has_max_results() ? request->max_results() : 100,
                             request->next_token(), request->stream_creation_timestamp_millis()};
  absl::StatusOr<ListConsumersResult> result = broker_.ListStreamConsumers(params);
  if (result.ok()) {
    for (const ConsumerInfo& consumer : result->consumers) {
      ConsumerToProto(consumer, response->add_consumers());
    }
    response->set_next_token(result->next_token);
  }
  return Finish(context, result.status());
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamServiceImpl::SubscribeToShard(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  v1::SubscribeToShardRequest parsed;
  grpc::ByteBuffer bytes(*request);  // Deserialize consumes its buffer
  if (!grpc::SerializationTraits<v1::SubscribeToShardRequest>::Deserialize(&bytes, &parsed).ok()) {
    return new SubscribeRefusal(
        context, common::InvalidArgument("SubscribeToShard request does not parse."));
  }
  if (!BeginCall()) {
    return new SubscribeRefusal(context, absl::UnavailableError("the broker is shutting down"));
  }
  return new SubscribeReactor(context, broker_, parsed, [this] { EndCall(); });
}

}  // namespace eddy::broker
