#include "tools/json_format.h"

#include "absl/strings/escaping.h"

namespace eddy::tools {
namespace {

Json HashKeyRangeJson(const v1::HashKeyRange& range) {
  return Json{{"StartingHashKey", range.starting_hash_key()},
              {"EndingHashKey", range.ending_hash_key()}};
}

}  // namespace

const char* StreamStatusName(v1::StreamStatus status) {
  switch (status) {
    case v1::CREATING:
      return "CREATING";
    case v1::DELETING:
      return "DELETING";
    case v1::UPDATING:
      return "UPDATING";
    default:
      return "ACTIVE";
  }
}

const char* StreamModeName(v1::StreamMode mode) {
  return mode == v1::ON_DEMAND ? "ON_DEMAND" : "PROVISIONED";
}

Json ShardJson(const v1::Shard& shard) {
  Json json;
  json["ShardId"] = shard.shard_id();
  if (!shard.parent_shard_id().empty()) json["ParentShardId"] = shard.parent_shard_id();
  if (!shard.adjacent_parent_shard_id().empty()) {
    json["AdjacentParentShardId"] = shard.adjacent_parent_shard_id();
  }
  json["HashKeyRange"] = HashKeyRangeJson(shard.hash_key_range());
  Json range{{"StartingSequenceNumber", shard.sequence_number_range().starting_sequence_number()}};
  if (!shard.sequence_number_range().ending_sequence_number().empty()) {
    range["EndingSequenceNumber"] = shard.sequence_number_range().ending_sequence_number();
  }
  json["SequenceNumberRange"] = range;
  return json;
}

Json ChildShardJson(const v1::ChildShard& child) {
  Json parents = Json::array();
  for (const std::string& parent : child.parent_shards()) parents.push_back(parent);
  return Json{{"ShardId", child.shard_id()},
              {"ParentShards", parents},
              {"HashKeyRange", HashKeyRangeJson(child.hash_key_range())}};
}

Json StreamDescriptionJson(const v1::StreamDescription& d) {
  Json shards = Json::array();
  for (const v1::Shard& shard : d.shards()) shards.push_back(ShardJson(shard));
  return Json{{"Shards", shards},
              {"StreamARN", d.stream_arn()},
              {"StreamName", d.stream_name()},
              {"StreamStatus", StreamStatusName(d.stream_status())},
              {"StreamModeDetails", {{"StreamMode", StreamModeName(d.stream_mode())}}},
              {"HasMoreShards", d.has_more_shards()},
              {"RetentionPeriodHours", d.retention_period_hours()},
              {"StreamCreationTimestamp", FormatTimestamp(d.stream_creation_timestamp_millis())},
              {"EnhancedMonitoring", Json::array({Json{{"ShardLevelMetrics", Json::array()}}})},
              {"EncryptionType", d.encryption_type()}};  // AWS: MaxRecordSizeInKiB is in the summary only
}

Json StreamSummaryJson(const v1::StreamDescriptionSummary& s) {
  return Json{{"StreamName", s.stream_name()},
              {"StreamARN", s.stream_arn()},
              {"StreamStatus", StreamStatusName(s.stream_status())},
              {"StreamModeDetails", {{"StreamMode", StreamModeName(s.stream_mode())}}},
              {"RetentionPeriodHours", s.retention_period_hours()},
              {"StreamCreationTimestamp", FormatTimestamp(s.stream_creation_timestamp_millis())},
              {"EnhancedMonitoring", Json::array({Json{{"ShardLevelMetrics", Json::array()}}})},
              {"EncryptionType", s.encryption_type()},
              {"OpenShardCount", s.open_shard_count()},
              {"ConsumerCount", s.consumer_count()},
              {"MaxRecordSizeInKiB", s.max_record_size_in_kib()}};
}

Json RecordJson(const v1::Record& record) {
  return Json{{"SequenceNumber", record.sequence_number()},
              {"ApproximateArrivalTimestamp",
               FormatTimestamp(record.approximate_arrival_timestamp_millis())},
              {"Data", absl::Base64Escape(record.data())},
              {"PartitionKey", record.partition_key()}};
}

Json GetRecordsJson(const v1::GetRecordsResponse& response) {
  Json records = Json::array();
  for (const v1::Record& record : response.records()) records.push_back(RecordJson(record));
  Json json{{"Records", records}};
  if (!response.next_shard_iterator().empty()) {
    json["NextShardIterator"] = response.next_shard_iterator();
  }
  json["MillisBehindLatest"] = response.millis_behind_latest();
  if (response.child_shards_size() > 0) {
    Json children = Json::array();
    for (const v1::ChildShard& child : response.child_shards()) {
      children.push_back(ChildShardJson(child));
    }
    json["ChildShards"] = children;
  }
  return json;
}

Json PutRecordsJson(const v1::PutRecordsResponse& response) {
  Json records = Json::array();
  for (const v1::PutRecordsResultEntry& entry : response.records()) {
    if (entry.error_code().empty()) {
      records.push_back(
          Json{{"SequenceNumber", entry.sequence_number()}, {"ShardId", entry.shard_id()}});
    } else {
      records.push_back(
          Json{{"ErrorCode", entry.error_code()}, {"ErrorMessage", entry.error_message()}});
    }
  }
  return Json{{"FailedRecordCount", response.failed_record_count()},
              {"Records", records},
              {"EncryptionType", response.encryption_type()}};
}

}  // namespace eddy::tools
