// Data-plane actions: PutRecord(s), GetShardIterator, GetRecords.
#include <memory>

#include "absl/strings/str_cat.h"
#include "broker/http/actions.h"
#include "broker/http/aws_errors.h"
#include "broker/http/record_responses.h"
#include "common/errors.h"
#include "common/status_macros.h"

namespace eddy::broker::http {
namespace {

// One record to put, owning its bytes until the put completes (PutEntry only views them).
struct OwnedEntry {
  std::string data;
  std::string partition_key;
  std::optional<std::string> explicit_hash_key;
};

// Reads Data / PartitionKey / ExplicitHashKey; `path` prefixes the member names in errors
// ("records.3.member." inside PutRecords).
absl::StatusOr<OwnedEntry> EntryOf(const FieldReader& entry, const std::string& path) {
  OwnedEntry out;
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> data, entry.Blob("Data"));
  if (!data) return MissingMember(path + "data");
  out.data = std::move(*data);
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> key, entry.String("PartitionKey"));
  if (!key) return MissingMember(path + "partitionKey");
  out.partition_key = std::move(*key);
  EDDY_ASSIGN_OR_RETURN(out.explicit_hash_key, entry.String("ExplicitHashKey"));
  return out;
}

PutEntry ViewOf(const OwnedEntry& entry) {
  return PutEntry{entry.data, entry.partition_key,
                  entry.explicit_hash_key ? std::optional<absl::string_view>(*entry.explicit_hash_key)
                                          : std::nullopt};
}

absl::StatusOr<IteratorType> IteratorTypeOf(const std::string& type, absl::string_view member) {
  static const std::pair<const char*, IteratorType> kTypes[] = {
      {"AT_SEQUENCE_NUMBER", IteratorType::kAtSequenceNumber},
      {"AFTER_SEQUENCE_NUMBER", IteratorType::kAfterSequenceNumber},
      {"TRIM_HORIZON", IteratorType::kTrimHorizon},
      {"LATEST", IteratorType::kLatest},
      {"AT_TIMESTAMP", IteratorType::kAtTimestamp}};
  for (const auto& [name, value] : kTypes) {
    if (type == name) return value;
  }
  return common::ValidationError(absl::StrCat(
      "1 validation error detected: Value '", type, "' at '", member,
      "' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, "
      "AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"));
}

}  // namespace

void PutRecordAction(StreamBroker& broker, const FieldReader& request, ActionReply reply) {
  absl::StatusOr<StreamRef> stream = StreamRefOf(request);
  if (!stream.ok()) return reply(stream.status());
  auto entry = std::make_shared<absl::StatusOr<OwnedEntry>>(EntryOf(request, ""));
  if (!entry->ok()) return reply(entry->status());
  absl::StatusOr<std::optional<std::string>> ordering =
      request.String("SequenceNumberForOrdering");
  if (!ordering.ok()) return reply(ordering.status());
  broker.PutRecord(*stream, ViewOf(**entry), ordering->value_or(""),
                   [entry, reply](absl::StatusOr<std::vector<PutOutcome>> outcomes) {
                     if (!outcomes.ok()) return reply(outcomes.status());
                     const PutOutcome& outcome = outcomes->front();
                     reply(Document{{"ShardId", outcome.shard_id},
                                    {"SequenceNumber", outcome.sequence_number},
                                    {"EncryptionType", "NONE"}});
                   });
}

void PutRecordsAction(StreamBroker& broker, const FieldReader& request, ActionReply reply) {
  absl::StatusOr<StreamRef> stream = StreamRefOf(request);
  if (!stream.ok()) return reply(stream.status());
  absl::StatusOr<std::vector<const Document*>> records = request.List("Records");
  if (!records.ok()) return reply(records.status());
  if (!request.Has("Records")) return reply(MissingMember("records"));
  if (records->empty()) {
    return reply(common::ValidationError(
        "1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"));
  }
  auto owned = std::make_shared<std::vector<OwnedEntry>>();
  owned->reserve(records->size());
  for (size_t i = 0; i < records->size(); ++i) {
    const Document& element = *(*records)[i];
    if (!element.is_object()) return reply(WrongType("Records", "a list of objects"));
    absl::StatusOr<OwnedEntry> entry =
        EntryOf(request.Element(element), absl::StrCat("records.", i + 1, ".member."));
    if (!entry.ok()) return reply(entry.status());
    owned->push_back(std::move(*entry));
  }
  std::vector<PutEntry> entries;
  entries.reserve(owned->size());
  for (const OwnedEntry& entry : *owned) entries.push_back(ViewOf(entry));
  broker.PutRecords(*stream, std::move(entries),
                    [owned, reply, encoding = request.encoding()](
                        absl::StatusOr<std::vector<PutOutcome>> outcomes) {
                      if (!outcomes.ok()) return reply(outcomes.status());
                      reply(PutRecordsResponse(*outcomes, encoding));
                    });
}

absl::StatusOr<ActionResponse> GetShardIteratorAction(StreamBroker& broker,
                                                      const FieldReader& request) {
  GetShardIteratorParams params;
  EDDY_ASSIGN_OR_RETURN(params.stream, StreamRefOf(request));
  EDDY_ASSIGN_OR_RETURN(params.shard_id, RequiredString(request, "ShardId", "shardId"));
  EDDY_ASSIGN_OR_RETURN(std::string type,
                        RequiredString(request, "ShardIteratorType", "shardIteratorType"));
  EDDY_ASSIGN_OR_RETURN(params.type, IteratorTypeOf(type, "shardIteratorType"));
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> sequence,
                        request.String("StartingSequenceNumber"));
  params.starting_sequence_number = sequence.value_or("");
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> timestamp, request.TimestampMillis("Timestamp"));
  params.timestamp_millis = timestamp.value_or(0);
  if (params.type == IteratorType::kAtTimestamp && !timestamp) {
    return common::InvalidArgument(
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP.");
  }
  EDDY_ASSIGN_OR_RETURN(ShardIteratorResult iterator, broker.GetShardIterator(params));
  return Document{{"ShardIterator", iterator.iterator}};
}

absl::StatusOr<ActionResponse> GetRecordsAction(StreamBroker& broker, const FieldReader& request) {
  EDDY_ASSIGN_OR_RETURN(std::string iterator,
                        RequiredString(request, "ShardIterator", "shardIterator"));
  EDDY_ASSIGN_OR_RETURN(std::optional<int64_t> limit, request.Integer("Limit"));
  if (limit && (*limit < 1 || *limit > 10000)) {
    return common::ValidationError(
        absl::StrCat("1 validation error detected: Value '", *limit,
                     "' at 'limit' failed to satisfy constraint: Member must have value ",
                     *limit < 1 ? "greater than or equal to 1" : "less than or equal to 10000"));
  }
  EDDY_ASSIGN_OR_RETURN(std::optional<std::string> arn, request.String("StreamARN"));
  EDDY_ASSIGN_OR_RETURN(
      GetRecordsResult result,
      broker.GetRecords(iterator, static_cast<int>(limit.value_or(10000)), arn.value_or("")));
  return GetRecordsResponse(result, request.encoding());
}

}  // namespace eddy::broker::http
