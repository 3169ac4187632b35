// Control-plane actions: streams, shards, retention, resharding, capacity mode, limits.
#include "absl/strings/str_cat.h"
#include "broker/http/actions.h"
#include "broker/http/aws_errors.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace eddy::broker::http {
namespace {

absl::StatusOr<StreamMode> StreamModeOf(const FieldReader& details) {
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> mode, details.String("StreamMode"));
  if (!mode) return MissingMember("streamModeDetails.streamMode");
  if (*mode == "ON_DEMAND") return StreamMode::kOnDemand;
  if (*mode == "PROVISIONED") return StreamMode::kProvisioned;
  return common::ValidationError(absl::StrCat(
      "1 validation error detected: Value '", *mode,
      "' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy "
      "enum value set: [PROVISIONED, ON_DEMAND]"));
}

// An optional integer member that must fit an int when present.
absl::StatusOr<std::optional<int>> OptionalInt(const FieldReader& request,
                                               absl::string_view member) {
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> value, request.Integer(member));
  if (!value) return std::nullopt;
  if (*value < INT32_MIN || *value > INT32_MAX) return WrongType(member, "a 32-bit integer");
  return static_cast<int>(*value);
}

Document EnhancedMonitoringDocument(const StreamSettings& settings) {
  Document metrics = Document::array();
  for (const std::string& metric : settings.shard_level_metrics) metrics.push_back(metric);
  return Document::array({Document{{"ShardLevelMetrics", std::move(metrics)}}});
}

// The members DescribeStream and DescribeStreamSummary share.
Document StreamDescriptionDocument(const StreamInfo& info, BodyEncoding encoding) {
  Document out = {
      {"StreamName", info.name},
      {"StreamARN", info.arn},
      {"StreamStatus", info.updating ? "UPDATING" : "ACTIVE"},
      {"StreamModeDetails", {{"StreamMode", StreamModeName(info.settings.mode)}}},
      {"RetentionPeriodHours", info.retention_hours},
      {"StreamCreationTimestamp", TimestampValue(info.creation_millis, encoding)},
      {"EnhancedMonitoring", EnhancedMonitoringDocument(info.settings)},
      {"EncryptionType", info.settings.encryption_type},
      {"MaxRecordSizeInKiB", info.max_record_size_kib},
  };
  if (!info.settings.key_id.empty()) out["KeyId"] = info.settings.key_id;
  return out;
}

}  // namespace

absl::StatusOr<ActionResponse> CreateStreamAction(StreamBroker& broker,
                                                  const FieldReader& request) {
  CreateStreamParams params;
  EDDY_ASSIGN_OR_RETURN(params.name, RequiredString(request, "StreamName", "streamName"));
  EDDY_ASSIGN_OR_RETURN(params.shard_count, OptionalInt(request, "ShardCount"));
  EDDY_ASSIGN_OR_RETURN(std::optional<FieldReader> mode, request.Object("StreamModeDetails"));
  if (mode) {
    EDDY_ASSIGN_OR_RETURN(params.mode, StreamModeOf(*mode));
  }
  EDDY_ASSIGN_OR_RETURN(std::optional<int> max_kib, OptionalInt(request, "MaxRecordSizeInKiB"));
  if (max_kib) params.max_record_size_kib = *max_kib;
  EDDY_ASSIGN_OR_RETURN(std::optional<StringPairs> tags,
                        request.StringMap("Tags"));
  EDDY_RETURN_IF_ERROR(broker.CreateStream(params));
  if (tags && !tags->empty()) {
    EDDY_RETURN_IF_ERROR(broker.TagStream(StreamRef{params.name, ""}, *tags));
  }
  return Document::object();
}

absl::StatusOr<ActionResponse> DeleteStreamAction(StreamBroker& broker,
                                                  const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::optional<bool> enforce, request.Boolean("EnforceConsumerDeletion"));
  EDDY_RETURN_IF_ERROR(broker.DeleteStream(stream, enforce.value_or(false)));
  return Document::object();
}

absl::StatusOr<ActionResponse> DescribeStreamAction(StreamBroker& broker,
                                                    const FieldReader& request) {
  DescribeStreamParams params;
  EDDY_ASSIGN_OR_RETURN(params.stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::optional<int> limit, OptionalInt(request, "Limit"));
  params.limit = limit.value_or(100);
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> start, request.String("ExclusiveStartShardId"));
  params.exclusive_start_shard_id = start.value_or("");
  EDDY_ASSIGN_OR_RETURN(StreamInfo info, broker.DescribeStream(params));
  Document description = StreamDescriptionDocument(info, request.encoding());
  description.erase("MaxRecordSizeInKiB");
  Document shards = Document::array();
  for (const ShardInfo& shard : info.shards) shards.push_back(ShardDocument(shard));
  description["Shards"] = std::move(shards);
  description["HasMoreShards"] = info.has_more_shards;
  return Document{{"StreamDescription", std::move(description)}};
}

absl::StatusOr<ActionResponse> DescribeStreamSummaryAction(StreamBroker& broker,
                                                           const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(StreamInfo info, broker.DescribeStreamSummary(stream));
  Document summary = StreamDescriptionDocument(info, request.encoding());
  summary["OpenShardCount"] = info.open_shard_count;
  summary["ConsumerCount"] = info.consumer_count;
  return Document{{"StreamDescriptionSummary", std::move(summary)}};
}

absl::StatusOr<ActionResponse> ListStreamsAction(StreamBroker& broker, const FieldReader& request) {
  ListStreamsParams params;
  EDDY_ASSIGN_OR_RETURN(std::optional<int> limit, OptionalInt(request, "Limit"));
  params.limit = limit.value_or(100);
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> start,
                        request.String("ExclusiveStartStreamName"));
  params.exclusive_start_stream_name = start.value_or("");
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> token, request.String("NextToken"));
  params.next_token = token.value_or("");
  EDDY_ASSIGN_OR_RETURN(ListStreamsResult result, broker.ListStreams(params));
  Document names = Document::array();
  Document summaries = Document::array();
  for (const StreamInfo& stream : result.streams) {
    names.push_back(stream.name);
    summaries.push_back(
        {{"StreamName", stream.name},
         {"StreamARN", stream.arn},
         {"StreamStatus", "ACTIVE"},
         {"StreamModeDetails", {{"StreamMode", StreamModeName(stream.mode)}}},
         {"StreamCreationTimestamp", TimestampValue(stream.creation_millis, request.encoding())}});
  }
  Document out = {{"StreamNames", std::move(names)},
                  {"HasMoreStreams", result.has_more_streams},
                  {"StreamSummaries", std::move(summaries)}};
  if (!result.next_token.empty()) out["NextToken"] = result.next_token;
  return out;
}

absl::StatusOr<ActionResponse> ListShardsAction(StreamBroker& broker, const FieldReader& request) {
  ListShardsParams params;
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> token, request.String("NextToken"));
  params.next_token = token.value_or("");
  if (params.next_token.empty()) {
    EDDY_ASSIGN_OR_RETURN(params.stream, StreamRefOf(request));
  } else {
    // With a NextToken AWS refuses a StreamName beside it; the token names the stream.
    EDDY_ASSIGN_OR_RETURN(std::optional<std::string> name, request.String("StreamName"));
    if (name) {
      return common::InvalidArgument(
          "NextToken and StreamName cannot be provided together.");
    }
  }
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> start, request.String("ExclusiveStartShardId"));
  params.exclusive_start_shard_id = start.value_or("");
  EDDY_ASSIGN_OR_RETURN(std::optional<int> max_results, OptionalInt(request, "MaxResults"));
  params.max_results = max_results.value_or(1000);
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> created,
                        request.TimestampMillis("StreamCreationTimestamp"));
  params.stream_creation_timestamp_millis = created.value_or(0);
  EDDY_ASSIGN_OR_RETURN(std::optional<FieldReader> filter, request.Object("ShardFilter"));
  if (filter) {
    EDDY_ASSIGN_OR_RETURN(std::string type, RequiredString(*filter, "Type", "shardFilter.type"));
    static const std::pair<const char*, ShardFilterType> kTypes[] = {
        {"AFTER_SHARD_ID", ShardFilterType::kAfterShardId},
        {"AT_TRIM_HORIZON", ShardFilterType::kAtTrimHorizon},
        {"FROM_TRIM_HORIZON", ShardFilterType::kFromTrimHorizon},
        {"AT_LATEST", ShardFilterType::kAtLatest},
        {"AT_TIMESTAMP", ShardFilterType::kAtTimestamp},
        {"FROM_TIMESTAMP", ShardFilterType::kFromTimestamp}};
    params.filter = ShardFilterType::kNone;
    for (const auto& [name, value] : kTypes) {
      if (type == name) params.filter = value;
    }
    if (params.filter == ShardFilterType::kNone) {
      return common::ValidationError(absl::StrCat(
          "1 validation error detected: Value '", type,
          "' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value "
          "set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, "
          "FROM_TIMESTAMP]"));
    }
    EDDY_ASSIGN_OR_RETURN(std::optional<std::string> shard_id, filter->String("ShardId"));
    params.filter_shard_id = shard_id.value_or("");
    EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> timestamp, filter->TimestampMillis("Timestamp"));
    params.filter_timestamp_millis = timestamp.value_or(0);
  }
  EDDY_ASSIGN_OR_RETURN(ListShardsResult result, broker.ListShards(params));
  Document shards = Document::array();
  for (const ShardInfo& shard : result.shards) shards.push_back(ShardDocument(shard));
  Document out = {{"Shards", std::move(shards)}};
  if (!result.next_token.empty()) out["NextToken"] = result.next_token;
  return out;
}

namespace {
absl::StatusOr<Document> ChangeRetention(StreamBroker& broker, const FieldReader& request,
                                         bool increase) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::optional<int> hours, OptionalInt(request, "RetentionPeriodHours"));
  if (!hours) return MissingMember("retentionPeriodHours");
  EDDY_RETURN_IF_ERROR(broker.ChangeRetention(stream, *hours, increase));
  return Document::object();
}
}  // namespace

absl::StatusOr<ActionResponse> IncreaseRetentionAction(StreamBroker& broker,
                                                       const FieldReader& request) {
  return ChangeRetention(broker, request, true);
}

absl::StatusOr<ActionResponse> DecreaseRetentionAction(StreamBroker& broker,
                                                       const FieldReader& request) {
  return ChangeRetention(broker, request, false);
}

absl::StatusOr<ActionResponse> SplitShardAction(StreamBroker& broker, const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::string shard, RequiredString(request, "ShardToSplit", "shardToSplit"));
  EDDY_ASSIGN_OR_RETURN(std::string key,
                        RequiredString(request, "NewStartingHashKey", "newStartingHashKey"));
  EDDY_RETURN_IF_ERROR(broker.SplitShard(stream, shard, key));
  return Document::object();
}

absl::StatusOr<ActionResponse> MergeShardsAction(StreamBroker& broker, const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::string shard, RequiredString(request, "ShardToMerge", "shardToMerge"));
  EDDY_ASSIGN_OR_RETURN(std::string adjacent, RequiredString(request, "AdjacentShardToMerge",
                                                             "adjacentShardToMerge"));
  EDDY_RETURN_IF_ERROR(broker.MergeShards(stream, shard, adjacent));
  return Document::object();
}

absl::StatusOr<ActionResponse> UpdateShardCountAction(StreamBroker& broker,
                                                      const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(StreamRef stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(std::optional<int> target, OptionalInt(request, "TargetShardCount"));
  if (!target) return MissingMember("targetShardCount");
  EDDY_ASSIGN_OR_RETURN(std::string scaling,
                        RequiredString(request, "ScalingType", "scalingType"));
  if (scaling != "UNIFORM_SCALING") {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '", scaling,
        "' at 'scalingType' failed to satisfy constraint: Member must satisfy enum value set: "
        "[UNIFORM_SCALING]"));
  }
  EDDY_ASSIGN_OR_RETURN(int before, broker.UpdateShardCount(stream, *target));
  EDDY_ASSIGN_OR_RETURN(StreamInfo info, broker.DescribeStreamSummary(stream));
  return Document{{"StreamName", info.name},
                  {"StreamARN", info.arn},
                  {"CurrentShardCount", before},
                  {"TargetShardCount", *target}};
}

absl::StatusOr<ActionResponse> UpdateStreamModeAction(StreamBroker& broker,
                                                      const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(std::string arn, RequiredString(request, "StreamARN", "streamARN"));
  EDDY_ASSIGN_OR_RETURN(std::optional<FieldReader> details, request.Object("StreamModeDetails"));
  if (!details) return MissingMember("streamModeDetails");
  EDDY_ASSIGN_OR_RETURN(StreamMode mode, StreamModeOf(*details));
  EDDY_RETURN_IF_ERROR(broker.UpdateStreamMode(StreamRef{"", arn}, mode));
  return Document::object();
}

absl::StatusOr<ActionResponse> DescribeLimitsAction(StreamBroker& broker, const FieldReader&) {
  const BrokerLimitsInfo limits = broker.DescribeLimits();
  return Document{{"ShardLimit", limits.shard_limit},
                  {"OpenShardCount", limits.open_shard_count},
                  {"OnDemandStreamCount", limits.on_demand_stream_count},
                  {"OnDemandStreamCountLimit", limits.on_demand_stream_count_limit}};
}

}  // namespace eddy::broker::http
