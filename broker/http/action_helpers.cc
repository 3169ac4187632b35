// Pieces shared by the actions: addressing a stream, required members, and the response
// shapes several actions return.
#include "absl/strings/str_cat.h"
#include "broker/http/actions.h"
#include "broker/http/aws_errors.h"
#include "common/hash_key.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace eddy::broker::http {

absl::StatusOr<StreamRef> StreamRefOf(const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> name, request.String("StreamName"));
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> arn, request.String("StreamARN"));
  if (!name && !arn) {
    return common::InvalidArgument("Either StreamName or StreamARN must be provided.");
  }
  return StreamRef{name.value_or(""), arn.value_or("")};
}

absl::StatusOr<std::string> RequiredString(const FieldReader& request, absl::string_view member,
                                           absl::string_view constraint_name) {
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> value, request.String(member));
  if (!value) return MissingMember(constraint_name);
  return *value;
}

Document HashKeyRangeDocument(const common::HashKeyRange& range) {
  return Document{{"StartingHashKey", common::FormatUint128(range.start)},
                  {"EndingHashKey", common::FormatUint128(range.end)}};
}

Document ShardDocument(const ShardInfo& shard) {
  Document out = {{"ShardId", shard.shard_id},
                  {"HashKeyRange", HashKeyRangeDocument(shard.hash_range)}};
  if (!shard.parent_shard_id.empty()) out["ParentShardId"] = shard.parent_shard_id;
  if (!shard.adjacent_parent_shard_id.empty()) {
    out["AdjacentParentShardId"] = shard.adjacent_parent_shard_id;
  }
  Document range = {{"StartingSequenceNumber", shard.starting_sequence_number}};
  if (!shard.ending_sequence_number.empty()) {
    range["EndingSequenceNumber"] = shard.ending_sequence_number;
  }
  out["SequenceNumberRange"] = std::move(range);
  return out;
}

Document ChildShardsDocument(const std::vector<ChildShardInfo>& children) {
  Document out = Document::array();
  for (const ChildShardInfo& child : children) {
    out.push_back({{"ShardId", child.shard_id},
                   {"ParentShards", child.parent_shards},
                   {"HashKeyRange", HashKeyRangeDocument(child.hash_range)}});
  }
  return out;
}

Document ConsumerDocument(const ConsumerInfo& consumer, BodyEncoding encoding, bool with_stream) {
  Document out = {{"ConsumerName", consumer.name},
                  {"ConsumerARN", consumer.arn},
                  {"ConsumerStatus", consumer.status == ConsumerStatus::kActive     ? "ACTIVE"
                                     : consumer.status == ConsumerStatus::kDeleting ? "DELETING"
                                                                                    : "CREATING"},
                  {"ConsumerCreationTimestamp", TimestampValue(consumer.creation_millis, encoding)}};
  if (with_stream) out["StreamARN"] = consumer.stream_arn;
  return out;
}

std::string StreamModeName(StreamMode mode) {
  return mode == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}

}  // namespace eddy::broker::http
