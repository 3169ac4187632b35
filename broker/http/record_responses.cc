#include "broker/http/record_responses.h"

#include "absl/strings/str_cat.h"
#include "broker/http/actions.h"
#include "broker/http/json_writer.h"
#include "common/errors.h"

namespace eddy::broker::http {

// Members in nlohmann's order (sorted by name), as SerializeBody writes them.

void AppendJsonRecordsObjectOpening(const std::vector<ChildShardInfo>& children, std::string* out) {
  if (children.empty()) {
    out->push_back('{');
  } else {
    absl::StrAppend(out, R"({"ChildShards":)",
                    SerializeBody(ChildShardsDocument(children), BodyEncoding::kJson), ",");
  }
}

void AppendJsonRecord(int64_t arrival_millis, absl::string_view data,
                      absl::string_view partition_key, absl::string_view sequence_number,
                      std::string* out) {
  *out += R"({"ApproximateArrivalTimestamp":)";
  AppendJsonEpochSeconds(arrival_millis, out);
  *out += R"(,"Data":)";
  AppendJsonBase64(data, out);
  *out += R"(,"PartitionKey":)";
  AppendJsonString(partition_key, out);
  *out += R"(,"SequenceNumber":)";
  AppendJsonString(sequence_number, out);
  out->push_back('}');
}

Document GetRecordsDocument(const GetRecordsResult& result, BodyEncoding encoding) {
  Document records = Document::array();
  for (const RecordOut& record : result.records) {
    records.push_back(
        {{"SequenceNumber", record.sequence_number},
         {"ApproximateArrivalTimestamp", TimestampValue(record.arrival_millis, encoding)},
         {"Data", BlobValue(record.data, encoding)},
         {"PartitionKey", record.partition_key}});
  }
  Document out = {{"Records", std::move(records)},
                  {"MillisBehindLatest", result.millis_behind_latest}};
  if (!result.next_shard_iterator.empty()) out["NextShardIterator"] = result.next_shard_iterator;
  if (!result.child_shards.empty()) out["ChildShards"] = ChildShardsDocument(result.child_shards);
  return out;
}

std::string GetRecordsJson(const GetRecordsResult& result) {
  size_t estimate = 96 + result.next_shard_iterator.size();
  for (const RecordOut& record : result.records) {
    estimate += 128 + record.data.size() / 3 * 4 + record.partition_key.size() +
                record.sequence_number.size();
  }
  std::string out;
  out.reserve(estimate);
  AppendJsonRecordsObjectOpening(result.child_shards, &out);
  absl::StrAppend(&out, R"("MillisBehindLatest":)", result.millis_behind_latest);
  if (!result.next_shard_iterator.empty()) {
    out += R"(,"NextShardIterator":)";
    AppendJsonString(result.next_shard_iterator, &out);
  }
  out += R"(,"Records":[)";
  for (size_t i = 0; i < result.records.size(); ++i) {
    const RecordOut& record = result.records[i];
    if (i > 0) out.push_back(',');
    AppendJsonRecord(record.arrival_millis, record.data, record.partition_key,
                     record.sequence_number, &out);
  }
  out += "]}";
  return out;
}

Document PutRecordsDocument(const std::vector<PutOutcome>& outcomes) {
  Document results = Document::array();
  int failed = 0;
  for (const PutOutcome& outcome : outcomes) {
    if (outcome.status.ok()) {
      results.push_back({{"SequenceNumber", outcome.sequence_number},
                         {"ShardId", outcome.shard_id}});
    } else {
      ++failed;
      results.push_back({{"ErrorCode", common::ErrorType(outcome.status)},
                         {"ErrorMessage", std::string(outcome.status.message())}});
    }
  }
  return Document{{"FailedRecordCount", failed},
                  {"Records", std::move(results)},
                  {"EncryptionType", "NONE"}};
}

std::string PutRecordsJson(const std::vector<PutOutcome>& outcomes) {
  int failed = 0;
  for (const PutOutcome& outcome : outcomes) failed += outcome.status.ok() ? 0 : 1;
  std::string out;
  out.reserve(64 + outcomes.size() * 96);
  absl::StrAppend(&out, R"({"EncryptionType":"NONE","FailedRecordCount":)", failed,
                  R"(,"Records":[)");
  bool first = true;
  for (const PutOutcome& outcome : outcomes) {
    if (!first) out.push_back(',');
    first = false;
    if (outcome.status.ok()) {
      out += R"({"SequenceNumber":)";
      AppendJsonString(outcome.sequence_number, &out);
      out += R"(,"ShardId":)";
      AppendJsonString(outcome.shard_id, &out);
    } else {
      out += R"({"ErrorCode":)";
      AppendJsonString(common::ErrorType(outcome.status), &out);
      out += R"(,"ErrorMessage":)";
      AppendJsonString(outcome.status.message(), &out);
    }
    out.push_back('}');
  }
  out += "]}";
  return out;
}

ActionResponse GetRecordsResponse(const GetRecordsResult& result, BodyEncoding encoding) {
  if (encoding == BodyEncoding::kJson) return ActionResponse::Serialized(GetRecordsJson(result));
  return GetRecordsDocument(result, encoding);
}

ActionResponse PutRecordsResponse(const std::vector<PutOutcome>& outcomes, BodyEncoding encoding) {
  if (encoding == BodyEncoding::kJson) return ActionResponse::Serialized(PutRecordsJson(outcomes));
  return PutRecordsDocument(outcomes);
}

}  // namespace eddy::broker::http
