// `eddy` data-plane sub-commands: put-record, put-records, get-shard-iterator, get-records.
#include "absl/strings/str_split.h"
#include "tools/commands.h"
#include "tools/json_format.h"

namespace eddy::tools {
namespace {

// --records as aws takes it: a JSON array (inline or file://) of {Data, PartitionKey,
// ExplicitHashKey}, or shorthand entries "Data=…,PartitionKey=…[,ExplicitHashKey=…]".
absl::Status ParseRecords(const std::vector<std::string>& values, const CliContext& context,
                          v1::PutRecordsRequest* request) {
  for (const std::string& value : values) {
    absl::StatusOr<std::string> text = MaybeReadFile(value);
    if (!text.ok()) return text.status();
    if (!text->empty() && text->front() == '[') {
      Json json = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (!json.is_array()) return absl::InvalidArgumentError("--records: invalid JSON array");
      for (const Json& item : json) {
        if (!item.is_object() || !item.contains("Data") || !item.contains("PartitionKey") ||
            !item["Data"].is_string() || !item["PartitionKey"].is_string()) {
          return absl::InvalidArgumentError(
              "--records: every entry needs string Data and PartitionKey");
        }
        v1::PutRecordsRequestEntry* entry = request->add_records();
        absl::StatusOr<std::string> data = BlobArgument(item["Data"].get<std::string>(), context);
        if (!data.ok()) return data.status();
        entry->set_data(*data);
        entry->set_partition_key(item["PartitionKey"].get<std::string>());
        if (item.contains("ExplicitHashKey") && item["ExplicitHashKey"].is_string()) {
          entry->set_explicit_hash_key(item["ExplicitHashKey"].get<std::string>());
        }
      }
      continue;
    }
    v1::PutRecordsRequestEntry* entry = request->add_records();
    bool has_data = false;
    for (absl::string_view part : absl::StrSplit(*text, ',')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
      if (kv.first == "Data") {
        absl::StatusOr<std::string> data = BlobArgument(kv.second, context);
        if (!data.ok()) return data.status();
        entry->set_data(*data);
        has_data = true;
      } else if (kv.first == "PartitionKey") {
        entry->set_partition_key(kv.second);
      } else if (kv.first == "ExplicitHashKey") {
        entry->set_explicit_hash_key(kv.second);
      } else {
        return absl::InvalidArgumentError("--records: unknown field '" + kv.first + "'");
      }
    }
    if (!has_data) return absl::InvalidArgumentError("--records: entry without Data: " + *text);
  }
  return absl::OkStatus();
}

void AddPutRecord(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, data, key, hash_key, ordering;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("put-record", "Write one record");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--data", args->data, "the record (base64 unless raw-in-base64-out)")->required();
  cmd->add_option("--partition-key", args->key, "routes the record to a shard")->required();
  CLI::Option* hash_key_given =
      cmd->add_option("--explicit-hash-key", args->hash_key, "route by this hash key instead");
  cmd->add_option("--sequence-number-for-ordering", args->ordering,
                  "the sequence number this record must follow");
  cmd->callback([&context, args, hash_key_given] {
    context.run = [&context, args, hash_key_given]() -> int {
      absl::StatusOr<std::string> data = BlobArgument(args->data, context);
      if (!data.ok()) return ReportError(data.status(), "PutRecord", context);
      v1::PutRecordRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_data(*data);
      request.set_partition_key(args->key);
      if (*hash_key_given) request.set_explicit_hash_key(args->hash_key);
      request.set_sequence_number_for_ordering(args->ordering);
      auto response = context.Client().PutRecord(request);
      if (!response.ok()) return ReportError(response.status(), "PutRecord", context);
      PrintJson(Json{{"ShardId", response->shard_id()},
                     {"SequenceNumber", response->sequence_number()},
                     {"EncryptionType", response->encryption_type()}});
      return 0;
    };
  });
}

void AddPutRecords(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, records;
    std::vector<std::string> more_records;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("put-records", "Write up to 500 records in one call");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--records", args->records,
                  "JSON array (or file://…) of {Data, PartitionKey[, ExplicitHashKey]}, or "
                  "shorthand Data=…,PartitionKey=… entries (one argument each)")
      ->required();
  // Further shorthand entries follow --records as separate arguments, as with aws. (A
  // vector --records would not do: CLI11 splits a "[…]" argument at its commas.)
  cmd->add_option("more-records", args->more_records, "further shorthand entries");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      std::vector<std::string> entries = {args->records};
      entries.insert(entries.end(), args->more_records.begin(), args->more_records.end());
      v1::PutRecordsRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      if (absl::Status s = ParseRecords(entries, context, &request); !s.ok()) {
        return ReportError(s, "PutRecords", context);
      }
      auto response = context.Client().PutRecords(request);
      if (!response.ok()) return ReportError(response.status(), "PutRecords", context);
      PrintJson(PutRecordsJson(*response));
      return 0;
    };
  });
}

void AddGetShardIterator(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, shard, type, sequence, timestamp;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("get-shard-iterator", "Get an iterator to read a shard");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--shard-id", args->shard, "shardId-000000000000")->required();
  cmd->add_option("--shard-iterator-type", args->type, "where to start reading")
      ->required()
      ->check(CLI::IsMember({"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON",
                             "LATEST", "AT_TIMESTAMP"}));
  cmd->add_option("--starting-sequence-number", args->sequence, "with AT_/AFTER_SEQUENCE_NUMBER");
  cmd->add_option("--timestamp", args->timestamp, "with AT_TIMESTAMP: epoch seconds or ISO 8601");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::GetShardIteratorRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_shard_id(args->shard);
      absl::StatusOr<v1::ShardIteratorType> type = ParseIteratorType(args->type);
      if (!type.ok()) return ReportError(type.status(), "GetShardIterator", context);
      request.set_shard_iterator_type(*type);
      request.set_starting_sequence_number(args->sequence);
      if (!args->timestamp.empty()) {
        absl::StatusOr<int64_t> millis = ParseTimestamp(args->timestamp);
        if (!millis.ok()) return ReportError(millis.status(), "GetShardIterator", context);
        request.set_timestamp_millis(*millis);
      }
      auto response = context.Client().GetShardIterator(request);
      if (!response.ok()) return ReportError(response.status(), "GetShardIterator", context);
      PrintJson(Json{{"ShardIterator", response->shard_iterator()}});
      return 0;
    };
  });
}

void AddGetRecords(CLI::App& app, CliContext& context) {
  struct Args {
    std::string iterator, arn;
    int limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("get-records", "Read records at a shard iterator");
  cmd->add_option("--shard-iterator", args->iterator,
                  "from get-shard-iterator or a previous "
                  "get-records")
      ->required();
  CLI::Option* limit_given =
      cmd->add_option("--limit", args->limit, "at most this many records (1 … 10000)");
  cmd->add_option("--stream-arn", args->arn, "optional");
  cmd->callback([&context, args, limit_given] {
    context.run = [&context, args, limit_given]() -> int {
      v1::GetRecordsRequest request;
      request.set_shard_iterator(args->iterator);
      if (*limit_given) request.set_limit(args->limit);
      request.set_stream_arn(args->arn);
      auto response = context.Client().GetRecords(request);
      if (!response.ok()) return ReportError(response.status(), "GetRecords", context);
      PrintJson(GetRecordsJson(*response));
      return 0;
    };
  });
}

}  // namespace

void AddRecordCommands(CLI::App& app, CliContext& context) {
  AddPutRecord(app, context);
  AddPutRecords(app, context);
  AddGetShardIterator(app, context);
  AddGetRecords(app, context);
}

}  // namespace eddy::tools
