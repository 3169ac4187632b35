// Enhanced fan-out actions: stream consumers, and SubscribeToShard's request.
#include "absl/strings/str_cat.h"
#include "broker/http/actions.h"
#include "broker/http/aws_errors.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace eddy::broker::http {
namespace {

// ConsumerARN alone, or StreamARN with ConsumerName.
absl::StatusOr<ConsumerRefParams> ConsumerRefOf(const FieldReader& request) {
  ConsumerRefParams ref;
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> consumer_arn, request.String("ConsumerARN"));
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> stream_arn, request.String("StreamARN"));
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> name, request.String("ConsumerName"));
  if (!consumer_arn && !(stream_arn && name)) {
    return common::InvalidArgument(
        "Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  }
  ref.consumer_arn = consumer_arn.value_or("");
  ref.stream.arn = stream_arn.value_or("");
  ref.consumer_name = name.value_or("");
  return ref;
}

}  // namespace

absl::StatusOr<ActionResponse> RegisterStreamConsumerAction(StreamBroker& broker,
                                                            const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(std::string arn, RequiredString(request, "StreamARN", "streamARN"));
  EDDY_ASSIGN_OR_RETURN(std::string name, RequiredString(request, "ConsumerName", "consumerName"));
  EDDY_ASSIGN_OR_RETURN(ConsumerInfo consumer,
                        broker.RegisterStreamConsumer(StreamRef{"", arn}, name));
  return Document{{"Consumer", ConsumerDocument(consumer, request.encoding(), false)}};
}

absl::StatusOr<ActionResponse> DeregisterStreamConsumerAction(StreamBroker& broker,
                                                              const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(ConsumerRefParams ref, ConsumerRefOf(request));
  EDDY_RETURN_IF_ERROR(broker.DeregisterStreamConsumer(ref));
  return Document::object();
}

absl::StatusOr<ActionResponse> DescribeStreamConsumerAction(StreamBroker& broker,
                                                            const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(ConsumerRefParams ref, ConsumerRefOf(request));
  EDDY_ASSIGN_OR_RETURN(ConsumerInfo consumer, broker.DescribeStreamConsumer(ref));
  return Document{{"ConsumerDescription", ConsumerDocument(consumer, request.encoding(), true)}};
}

absl::StatusOr<ActionResponse> ListStreamConsumersAction(StreamBroker& broker,
                                                         const FieldReader& request) {
  ListConsumersParams params;
  EDDY_ASSIGN_OR_RETURN(params.stream.arn, RequiredString(request, "StreamARN", "streamARN"));
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> token, request.String("NextToken"));
  params.next_token = token.value_or("");
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> max_results, request.Integer("MaxResults"));
  if (max_results && (*max_results < 1 || *max_results > 10000)) {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '", *max_results,
        "' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and "
        "10000"));
  }
  params.max_results = static_cast<int>(max_results.value_or(100));
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> created,
                        request.TimestampMillis("StreamCreationTimestamp"));
  params.stream_creation_timestamp_millis = created.value_or(0);
  EDDY_ASSIGN_OR_RETURN(ListConsumersResult result, broker.ListStreamConsumers(params));
  Document consumers = Document::array();
  for (const ConsumerInfo& consumer : result.consumers) {
    consumers.push_back(ConsumerDocument(consumer, request.encoding(), false));
  }
  Document out = {{"Consumers", std::move(consumers)}};
  if (!result.next_token.empty()) out["NextToken"] = result.next_token;
  return out;
}

absl::StatusOr<SubscribeParams> SubscribeParamsOf(const FieldReader& request) {
  SubscribeParams params;
  EDDY_ASSIGN_OR_RETURN(params.consumer_arn, RequiredString(request, "ConsumerARN", "consumerARN"));
  EDDY_ASSIGN_OR_RETURN(params.shard_id, RequiredString(request, "ShardId", "shardId"));
  EDDY_ASSIGN_OR_RETURN(std::optional<FieldReader> position, request.Object("StartingPosition"));
  if (!position) return MissingMember("startingPosition");
  EDDY_ASSIGN_OR_RETURN(std::string type,
                        RequiredString(*position, "Type", "startingPosition.type"));
  static const std::pair<const char*, IteratorType> kTypes[] = {
      {"AT_SEQUENCE_NUMBER", IteratorType::kAtSequenceNumber},
      {"AFTER_SEQUENCE_NUMBER", IteratorType::kAfterSequenceNumber},
      {"TRIM_HORIZON", IteratorType::kTrimHorizon},
      {"LATEST", IteratorType::kLatest},
      {"AT_TIMESTAMP", IteratorType::kAtTimestamp}};
  bool known = false;
  for (const auto& [name, value] : kTypes) {
    if (type == name) {
      params.type = value;
      known = true;
    }
  }
  if (!known) {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '", type,
        "' at 'startingPosition.type' failed to satisfy constraint: Member must satisfy enum "
        "value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, "
        "AT_TIMESTAMP]"));
  }
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> sequence, position->String("SequenceNumber"));
  params.starting_sequence_number = sequence.value_or("");
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> timestamp, position->TimestampMillis("Timestamp"));
  params.timestamp_millis = timestamp.value_or(0);
  return params;
}

}  // namespace eddy::broker::http
