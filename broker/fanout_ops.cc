// StreamBroker: enhanced fan-out — consumer registration and SubscribeToShard.
#include "absl/strings/str_cat.h"
#include "broker/sequence_number.h"
#include "broker/stream_broker.h"
#include "broker/validation.h"
#include "common/errors.h"
#include "common/logging.h"

namespace eddy::broker {
namespace {
constexpr char kListConsumersToken = 'C';
}  // namespace

absl::StatusOr<ConsumerInfo> StreamBroker::RegisterStreamConsumer(
    const StreamRef& stream, const std::string& consumer_name) {
  absl::StatusOr<std::shared_ptr<StreamState>> found = catalog_->Find(stream);
  if (!found.ok()) return found.status();
  absl::StatusOr<ConsumerInfo> consumer = consumers_->Register(**found, consumer_name);
  if (consumer.ok()) {
    common::Logger("eddy.broker")
        ->info("stream={} consumer={} registered", (*found)->name, consumer_name);
  }
  return consumer;
}

absl::StatusOr<ConsumerInfo> StreamBroker::FindConsumer(const ConsumerRefParams& ref) const {
  if (!ref.consumer_arn.empty()) {
    if (!ref.consumer_name.empty() || !ref.stream.name.empty() || !ref.stream.arn.empty()) {
      return common::InvalidArgument(
          "Give ConsumerARN alone, or StreamARN (or StreamName) with ConsumerName.");
    }
    return consumers_->FindByArn(ref.consumer_arn);
  }
  if (ref.consumer_name.empty()) {
    return common::InvalidArgument("ConsumerARN, or StreamARN with ConsumerName, is required.");
  }
  absl::StatusOr<std::shared_ptr<StreamState>> stream = catalog_->Find(ref.stream);
  if (!stream.ok()) return stream.status();
  return consumers_->Describe(**stream, ref.consumer_name);
}

absl::Status StreamBroker::DeregisterStreamConsumer(const ConsumerRefParams& ref) {
  absl::StatusOr<ConsumerInfo> consumer = FindConsumer(ref);
  if (!consumer.ok()) return consumer.status();
  std::shared_ptr<StreamState> stream = catalog_->FindById(consumer->stream_id);
  if (stream == nullptr) return common::ResourceNotFound("The consumer's stream is gone.");
  absl::StatusOr<ConsumerInfo> removed = consumers_->Deregister(*stream, consumer->name);
  if (!removed.ok()) return removed.status();
  fanout_->EndConsumer(removed->arn, common::ResourceNotFound(absl::StrCat(
                                         "Consumer ", removed->arn, " was deregistered.")));
  common::Logger("eddy.broker")
      ->info("stream={} consumer={} deregistered", stream->name, removed->name);
  return absl::OkStatus();
}

absl::StatusOr<ConsumerInfo> StreamBroker::DescribeStreamConsumer(
    const ConsumerRefParams& ref) const {
  return FindConsumer(ref);
}

absl::StatusOr<ListConsumersResult> StreamBroker::ListStreamConsumers(
    const ListConsumersParams& params) const {
  if (absl::Status s = ValidateRange("maxResults", params.max_results, 1, 10000); !s.ok()) {
    return s;
  }
  std::shared_ptr<StreamState> stream;
  std::string start_after;
  if (!params.next_token.empty()) {
    absl::StatusOr<std::string> payload = OpenListToken(kListConsumersToken, params.next_token, 16);
    if (!payload.ok()) return payload.status();
    stream = catalog_->FindById(ReadBigEndian64(absl::string_view(*payload).substr(8)));
    if (stream == nullptr) return common::ResourceNotFound("The stream no longer exists.");
    start_after = payload->substr(16);
  } else {
    absl::StatusOr<std::shared_ptr<StreamState>> found = catalog_->Find(params.stream);
    if (!found.ok()) return found.status();
    stream = *found;
  }
  if (absl::Status s = CheckCreationTimestamp(*stream, params.stream_creation_timestamp_millis);
      !s.ok()) {
    return s;
  }
  ListConsumersResult result;
  for (ConsumerInfo& consumer : consumers_->List(stream->id)) {
    if (!start_after.empty() && consumer.name <= start_after) continue;
    if (static_cast<int>(result.consumers.size()) == params.max_results) {
      std::string payload;
      AppendBigEndian64(&payload, static_cast<uint64_t>(clock_.NowMillis()));
      AppendBigEndian64(&payload, stream->id);
      payload.append(result.consumers.back().name);
      result.next_token = tokens_.Seal(kListConsumersToken, payload);
      break;
    }
    result.consumers.push_back(std::move(consumer));
  }
  return result;
}

absl::StatusOr<std::shared_ptr<Subscription>> StreamBroker::SubscribeToShard(
    const SubscribeParams& params) {
  if (params.consumer_arn.empty()) return common::InvalidArgument("ConsumerARN is required.");
  absl::StatusOr<ConsumerInfo> consumer = consumers_->FindByArn(params.consumer_arn);
  if (!consumer.ok()) return consumer.status();
  if (consumer->status != ConsumerStatus::kActive) {
    return common::ResourceInUse(
        absl::StrCat("Consumer ", consumer->arn, " is not ACTIVE yet; retry shortly."));
  }
  std::shared_ptr<StreamState> stream = catalog_->FindById(consumer->stream_id);
  if (stream == nullptr) return common::ResourceNotFound("The consumer's stream is gone.");
  absl::StatusOr<uint32_t> index = ParseShardId(params.shard_id);
  if (!index.ok()) return index.status();
  std::shared_ptr<ShardState> shard = stream->FindShard(*index);
  if (shard == nullptr) {
    return common::ResourceNotFound(
        absl::StrCat("Shard ", params.shard_id, " in stream ", stream->name, " does not exist."));
  }
  absl::StatusOr<uint64_t> next = ResolveStartingCounter(
      *stream, *shard, params.type, params.starting_sequence_number, params.timestamp_millis);
  if (!next.ok()) return next.status();
  return fanout_->Subscribe(consumer->arn, stream, shard, *next);
}

}  // namespace eddy::broker
