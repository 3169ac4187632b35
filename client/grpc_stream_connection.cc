#include "client/grpc_stream_connection.h"

#include <utility>

namespace eddy::client {
namespace {

v1::StreamRef ToWire(const StreamRef& stream) {
  v1::StreamRef wire;
  wire.set_stream_name(stream.name);
  wire.set_stream_arn(stream.arn);
  return wire;
}

v1::ShardIteratorType ToWire(StartingPosition::Type type) {
  switch (type) {
    case StartingPosition::Type::kTrimHorizon:
      return v1::TRIM_HORIZON;
    case StartingPosition::Type::kLatest:
      return v1::LATEST;
    case StartingPosition::Type::kAtSequenceNumber:
      return v1::AT_SEQUENCE_NUMBER;
    case StartingPosition::Type::kAfterSequenceNumber:
      return v1::AFTER_SEQUENCE_NUMBER;
    case StartingPosition::Type::kAtTimestamp:
      return v1::AT_TIMESTAMP_ITERATOR;
  }
  return v1::SHARD_ITERATOR_TYPE_UNSPECIFIED;
}

v1::ShardFilter ToWire(const ShardFilter& filter) {
  v1::ShardFilter out;
  switch (filter.type) {
    case ShardFilter::Type::kNone:
      break;
    case ShardFilter::Type::kAtTrimHorizon:
      out.set_type(v1::AT_TRIM_HORIZON);
      break;
    case ShardFilter::Type::kAtLatest:
      out.set_type(v1::AT_LATEST);
      break;
    case ShardFilter::Type::kAtTimestamp:
      out.set_type(v1::AT_TIMESTAMP);
      out.set_timestamp_millis(filter.timestamp_millis);
      break;
  }
  return out;
}

common::HashKeyRange FromWire(const v1::HashKeyRange& wire) {
  common::HashKeyRange range;
  common::ParseDecimalUint128(wire.starting_hash_key(), &range.start);
  common::ParseDecimalUint128(wire.ending_hash_key(), &range.end);
  return range;
}

// Moves the records out of `wire` (their data is not copied).
std::vector<StreamRecord> TakeRecords(google::protobuf::RepeatedPtrField<v1::Record>* wire) {
  std::vector<StreamRecord> records;
  records.reserve(static_cast<size_t>(wire->size()));
  for (v1::Record& r : *wire) {
    records.push_back(StreamRecord{
        std::move(*r.mutable_sequence_number()), r.approximate_arrival_timestamp_millis(),
        std::move(*r.mutable_data()), std::move(*r.mutable_partition_key())});
  }
  return records;
}

std::vector<ChildShard> FromWire(const google::protobuf::RepeatedPtrField<v1::ChildShard>& wire) {
  std::vector<ChildShard> children;
  for (const v1::ChildShard& child : wire) {
    children.push_back(ChildShard{child.shard_id(),
                                  {child.parent_shards().begin(), child.parent_shards().end()},
                                  FromWire(child.hash_key_range())});
  }
  return children;
}

ConsumerDescription FromWire(const v1::Consumer& wire) {
  ConsumerDescription consumer;
  consumer.name = wire.consumer_name();
  consumer.arn = wire.consumer_arn();
  consumer.stream_arn = wire.stream_arn();
  switch (wire.consumer_status()) {
    case v1::CONSUMER_ACTIVE:
      consumer.status = ConsumerDescription::Status::kActive;
      break;
    case v1::CONSUMER_DELETING:
      consumer.status = ConsumerDescription::Status::kDeleting;
      break;
    default:
      consumer.status = ConsumerDescription::Status::kCreating;
  }
  return consumer;
}

class GrpcSubscription final : public Subscription {
 public:
  explicit GrpcSubscription(std::unique_ptr<ShardSubscriptionReader> reader)
      : reader_(std::move(reader)) {}

  Result Next(SubscriptionEvent* event, absl::Duration timeout) override {
    v1::SubscribeToShardEvent wire;
    switch (reader_->Next(&wire, timeout)) {
      case ShardSubscriptionReader::Result::kTimedOut:
        return Result::kTimedOut;
      case ShardSubscriptionReader::Result::kEnded:
        return Result::kEnded;
      case ShardSubscriptionReader::Result::kEvent:
        break;
    }
    event->records = TakeRecords(wire.mutable_records());
    event->continuation_sequence_number = std::move(*wire.mutable_continuation_sequence_number());
    event->millis_behind_latest = wire.millis_behind_latest();
    event->child_shards = FromWire(wire.child_shards());
    return Result::kEvent;
  }
  absl::Status Finish() override { return reader_->Finish(); }
  void Cancel() override { reader_->Cancel(); }

 private:
  std::unique_ptr<ShardSubscriptionReader> reader_;
};

class GrpcStreamConnection final : public StreamConnection {
 public:
  explicit GrpcStreamConnection(const StreamClientOptions& options) : client_(options) {}

  absl::StatusOr<std::vector<ShardDescription>> ListShards(const StreamRef& stream,
                                                           const ShardFilter& filter) override {
    std::vector<ShardDescription> shards;
    v1::ListShardsRequest request;
    *request.mutable_stream() = ToWire(stream);
    if (filter.type != ShardFilter::Type::kNone) *request.mutable_shard_filter() = ToWire(filter);
    while (true) {
      absl::StatusOr<v1::ListShardsResponse> page = client_.ListShards(request);
      if (!page.ok()) return page.status();
      for (const v1::Shard& shard : page->shards()) {
        shards.push_back(ShardDescription{shard.shard_id(), shard.parent_shard_id(),
                                          shard.adjacent_parent_shard_id(),
                                          FromWire(shard.hash_key_range()),
                                          shard.sequence_number_range().starting_sequence_number(),
                                          shard.sequence_number_range().ending_sequence_number()});
      }
      if (page->next_token().empty()) return shards;
      request.Clear();
      request.set_next_token(page->next_token());
    }
  }

  absl::StatusOr<ShardIterator> GetShardIterator(const StreamRef& stream,
                                                 const std::string& shard_id,
                                                 const StartingPosition& position) override {
    v1::GetShardIteratorRequest request;
    *request.mutable_stream() = ToWire(stream);
    request.set_shard_id(shard_id);
    request.set_shard_iterator_type(ToWire(position.type));
    request.set_starting_sequence_number(position.sequence_number);
    request.set_timestamp_millis(position.timestamp_millis);
    absl::StatusOr<v1::GetShardIteratorResponse> response = client_.GetShardIterator(request);
    if (!response.ok()) return response.status();
    return ShardIterator{response->shard_iterator(), response->starts_after_sequence_number()};
  }

  absl::StatusOr<RecordsPage> GetRecords(const std::string& shard_iterator, int limit) override {
    v1::GetRecordsRequest request;
    request.set_shard_iterator(shard_iterator);
    request.set_limit(limit);
    absl::StatusOr<v1::GetRecordsResponse> response = client_.GetRecords(request);
    if (!response.ok()) return response.status();
    RecordsPage page;
    page.records = TakeRecords(response->mutable_records());
    page.next_shard_iterator = std::move(*response->mutable_next_shard_iterator());
    page.millis_behind_latest = response->millis_behind_latest();
    page.child_shards = FromWire(response->child_shards());
    return page;
  }

  absl::StatusOr<StreamSummary> DescribeStreamSummary(const StreamRef& stream) override {
    v1::DescribeStreamSummaryRequest request;
    *request.mutable_stream() = ToWire(stream);
    absl::StatusOr<v1::DescribeStreamSummaryResponse> response =
        client_.DescribeStreamSummary(request);
    if (!response.ok()) return response.status();
    const v1::StreamDescriptionSummary& wire = response->stream_description_summary();
    StreamSummary summary;
    summary.name = wire.stream_name();
    summary.arn = wire.stream_arn();
    summary.open_shard_count = wire.open_shard_count();
    switch (wire.stream_status()) {
      case v1::ACTIVE:
        summary.status = StreamSummary::Status::kActive;
        break;
      case v1::UPDATING:
        summary.status = StreamSummary::Status::kUpdating;
        break;
      case v1::DELETING:
        summary.status = StreamSummary::Status::kDeleting;
        break;
      default:
        summary.status = StreamSummary::Status::kCreating;
    }
    return summary;
  }

  absl::StatusOr<ConsumerDescription> DescribeStreamConsumer(const std::string& stream_arn,
                                                             const std::string& name) override {
    v1::DescribeStreamConsumerRequest request;
    request.mutable_stream()->set_stream_arn(stream_arn);
    request.set_consumer_name(name);
    absl::StatusOr<v1::DescribeStreamConsumerResponse> response =
        client_.DescribeStreamConsumer(request);
    if (!response.ok()) return response.status();
    return FromWire(response->consumer_description());
  }

  absl::StatusOr<ConsumerDescription> RegisterStreamConsumer(const std::string& stream_arn,
                                                             const std::string& name) override {
    v1::RegisterStreamConsumerRequest request;
    request.mutable_stream()->set_stream_arn(stream_arn);
    request.set_consumer_name(name);
    absl::StatusOr<v1::RegisterStreamConsumerResponse> response =
        client_.RegisterStreamConsumer(request);
    if (!response.ok()) return response.status();
    return FromWire(response->consumer());
  }

  std::unique_ptr<Subscription> SubscribeToShard(const std::string& consumer_arn,
                                                 const std::string& shard_id,
                                                 const StartingPosition& position) override {
    v1::SubscribeToShardRequest request;
    request.set_consumer_arn(consumer_arn);
    request.set_shard_id(shard_id);
    request.mutable_starting_position()->set_type(ToWire(position.type));
    request.mutable_starting_position()->set_sequence_number(position.sequence_number);
    request.mutable_starting_position()->set_timestamp_millis(position.timestamp_millis);
    return std::make_unique<GrpcSubscription>(client_.SubscribeToShard(request));
  }

 private:
  StreamClient client_;
};

}  // namespace

std::unique_ptr<StreamConnection> MakeGrpcStreamConnection(const StreamClientOptions& options) {
  return std::make_unique<GrpcStreamConnection>(options);
}

}  // namespace eddy::client
