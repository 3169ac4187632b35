// `eddy` control-plane sub-commands: create-stream, delete-stream, describe-stream,
// describe-stream-summary, list-streams, list-shards, increase-/decrease-stream-retention-period.
#include <map>

#include "absl/strings/str_split.h"
#include "tools/commands.h"
#include "tools/json_format.h"

namespace eddy::tools {
namespace {

// "Key=Value,Key=Value" (aws shorthand) or a JSON object, into a flat map.
absl::StatusOr<std::map<std::string, std::string>> ParseShorthand(const std::string& text) {
  std::map<std::string, std::string> fields;
  if (!text.empty() && text.front() == '{') {
    Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object()) return absl::InvalidArgumentError("Invalid JSON: " + text);
    for (const auto& [key, value] : json.items()) {
      fields[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    return fields;
  }
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.first.empty() || kv.second.empty()) {
      return absl::InvalidArgumentError("Expected Key=Value pairs, got: " + text);
    }
    fields[kv.first] = kv.second;
  }
  return fields;
}

void AddCreateStream(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, mode, mode_details;
    int shard_count = 0, max_record_kib = 0, retention = 0;
    // Only options given are sent: the broker tells absent (the default) from 0 (refused).
    CLI::Option *shard_count_given = nullptr, *max_record_kib_given = nullptr,
                *retention_given = nullptr;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("create-stream", "Create a stream");
  cmd->add_option("--stream-name", args->name, "name of the new stream")->required();
  args->shard_count_given =
      cmd->add_option("--shard-count", args->shard_count, "number of shards (default 1)");
  cmd->add_option("--stream-mode", args->mode, "PROVISIONED or ON_DEMAND")
      ->check(CLI::IsMember({"PROVISIONED", "ON_DEMAND"}));
  cmd->add_option("--stream-mode-details", args->mode_details, "StreamMode=ON_DEMAND");
  args->max_record_kib_given =
      cmd->add_option("--max-record-size-in-ki-b,--max-record-size-in-kib", args->max_record_kib,
                      "largest record, 1024 … 10240 KiB");
  args->retention_given =
      cmd->add_option("--retention-period-hours", args->retention, "24 … 8760 (default 24)");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::CreateStreamRequest request;
      request.set_stream_name(args->name);
      if (*args->shard_count_given) request.set_shard_count(args->shard_count);
      std::string mode = args->mode;
      if (!args->mode_details.empty()) {
        auto fields = ParseShorthand(args->mode_details);
        if (!fields.ok()) return ReportError(fields.status(), "CreateStream", context);
        mode = (*fields)["StreamMode"];
      }
      request.set_stream_mode(mode == "ON_DEMAND" ? v1::ON_DEMAND : v1::PROVISIONED);
      if (*args->max_record_kib_given) request.set_max_record_size_in_kib(args->max_record_kib);
      if (*args->retention_given) request.set_retention_period_hours(args->retention);
      auto response = context.Client().CreateStream(request);
      return response.ok() ? 0 : ReportError(response.status(), "CreateStream", context);
    };
  });
}

void AddDeleteStream(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn;
    bool enforce = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("delete-stream", "Delete a stream and all its records");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_flag("--enforce-consumer-deletion", args->enforce,
                "delete even if consumers are registered");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::DeleteStreamRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_enforce_consumer_deletion(args->enforce);
      auto response = context.Client().DeleteStream(request);
      return response.ok() ? 0 : ReportError(response.status(), "DeleteStream", context);
    };
  });
}

void AddDescribeStream(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, start;
    int limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("describe-stream", "Describe a stream and its shards");
  AddStreamOptions(cmd, &args->name, &args->arn);
  CLI::Option* limit_given =
      cmd->add_option("--limit", args->limit, "shards per page (one page only when given)");
  cmd->add_option("--exclusive-start-shard-id", args->start, "list shards after this one");
  cmd->callback([&context, args, limit_given] {
    context.run = [&context, args, limit_given]() -> int {
      v1::DescribeStreamRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      if (*limit_given) request.set_limit(args->limit);
      request.set_exclusive_start_shard_id(args->start);
      const bool one_page = *limit_given || !args->start.empty();
      Json description;
      Json shards = Json::array();
      while (true) {
        auto response = context.Client().DescribeStream(request);
        if (!response.ok()) return ReportError(response.status(), "DescribeStream", context);
        const v1::StreamDescription& d = response->stream_description();
        if (description.is_null()) description = StreamDescriptionJson(d);
        for (const v1::Shard& shard : d.shards()) shards.push_back(ShardJson(shard));
        description["HasMoreShards"] = d.has_more_shards();
        if (one_page || !d.has_more_shards() || d.shards_size() == 0) break;
        request.set_exclusive_start_shard_id(d.shards(d.shards_size() - 1).shard_id());
      }
      description["Shards"] = shards;
      PrintJson(Json{{"StreamDescription", description}});
      return 0;
    };
  });
}

void AddDescribeStreamSummary(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("describe-stream-summary", "Summarise a stream");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::DescribeStreamSummaryRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      auto response = context.Client().DescribeStreamSummary(request);
      if (!response.ok()) return ReportError(response.status(), "DescribeStreamSummary", context);
      PrintJson(Json{
          {"StreamDescriptionSummary", StreamSummaryJson(response->stream_description_summary())}});
      return 0;
    };
  });
}

void AddListStreams(CLI::App& app, CliContext& context) {
  struct Args {
    std::string start, token;
    int limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("list-streams", "List streams");
  CLI::Option* limit_given =
      cmd->add_option("--limit", args->limit, "streams per page (one page only when given)");
  cmd->add_option("--exclusive-start-stream-name", args->start, "list streams after this one");
  cmd->add_option("--next-token", args->token, "continue a previous listing");
  cmd->callback([&context, args, limit_given] {
    context.run = [&context, args, limit_given]() -> int {
      v1::ListStreamsRequest request;
      if (*limit_given) request.set_limit(args->limit);
      request.set_exclusive_start_stream_name(args->start);
      request.set_next_token(args->token);
      const bool one_page = *limit_given || !args->token.empty() || !args->start.empty();
      Json names = Json::array();
      Json summaries = Json::array();
      Json out;
      while (true) {
        auto response = context.Client().ListStreams(request);
        if (!response.ok()) return ReportError(response.status(), "ListStreams", context);
        for (const std::string& name : response->stream_names()) names.push_back(name);
        for (const v1::StreamSummary& s : response->stream_summaries()) {
          summaries.push_back(Json{
              {"StreamName", s.stream_name()},
              {"StreamARN", s.stream_arn()},
              {"StreamStatus", StreamStatusName(s.stream_status())},
              {"StreamModeDetails", {{"StreamMode", StreamModeName(s.stream_mode())}}},
              {"StreamCreationTimestamp", FormatTimestamp(s.stream_creation_timestamp_millis())}});
        }
        out = Json{{"StreamNames", names}, {"HasMoreStreams", response->has_more_streams()}};
        if (one_page && !response->next_token().empty()) out["NextToken"] = response->next_token();
        if (one_page || !response->has_more_streams()) break;
        request.set_next_token(response->next_token());
      }
      out["StreamSummaries"] = summaries;
      PrintJson(out);
      return 0;
    };
  });
}

void AddListShards(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, token, start, filter, creation;
    int max_results = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("list-shards", "List the shards of a stream");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--next-token", args->token, "continue a previous listing");
  cmd->add_option("--exclusive-start-shard-id", args->start, "list shards after this one");
  CLI::Option* max_results_given =
      cmd->add_option("--max-results", args->max_results, "shards per page (one page when given)");
  cmd->add_option("--shard-filter", args->filter,
                  "Type=AT_LATEST | Type=AFTER_SHARD_ID,ShardId=… | Type=AT_TIMESTAMP,Timestamp=… "
                  "(also AT_TRIM_HORIZON, FROM_TRIM_HORIZON, FROM_TIMESTAMP)");
  cmd->add_option("--stream-creation-timestamp", args->creation, "must match the stream's");
  cmd->callback([&context, args, max_results_given] {
    context.run = [&context, args, max_results_given]() -> int {
      v1::ListShardsRequest request;
      if (args->token.empty()) *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_next_token(args->token);
      request.set_exclusive_start_shard_id(args->start);
      if (*max_results_given) request.set_max_results(args->max_results);
      if (!args->filter.empty()) {
        auto fields = ParseShorthand(args->filter);
        if (!fields.ok()) return ReportError(fields.status(), "ListShards", context);
        static const std::map<std::string, v1::ShardFilterType> kTypes = {
            {"AFTER_SHARD_ID", v1::AFTER_SHARD_ID},       {"AT_TRIM_HORIZON", v1::AT_TRIM_HORIZON},
            {"FROM_TRIM_HORIZON", v1::FROM_TRIM_HORIZON}, {"AT_LATEST", v1::AT_LATEST},
            {"AT_TIMESTAMP", v1::AT_TIMESTAMP},           {"FROM_TIMESTAMP", v1::FROM_TIMESTAMP}};
        auto type = kTypes.find((*fields)["Type"]);
        if (type == kTypes.end()) {
          return ReportError(
              absl::InvalidArgumentError("Unknown ShardFilter Type '" + (*fields)["Type"] + "'"),
              "ListShards", context);
        }
        request.mutable_shard_filter()->set_type(type->second);
        request.mutable_shard_filter()->set_shard_id((*fields)["ShardId"]);
        if (!(*fields)["Timestamp"].empty()) {
          auto millis = ParseTimestamp((*fields)["Timestamp"]);
          if (!millis.ok()) return ReportError(millis.status(), "ListShards", context);
          request.mutable_shard_filter()->set_timestamp_millis(*millis);
        }
      }
      if (!args->creation.empty()) {
        auto millis = ParseTimestamp(args->creation);
        if (!millis.ok()) return ReportError(millis.status(), "ListShards", context);
        request.set_stream_creation_timestamp_millis(*millis);
      }
      const bool one_page = *max_results_given || !args->token.empty();
      Json shards = Json::array();
      Json out;
      while (true) {
        auto response = context.Client().ListShards(request);
        if (!response.ok()) return ReportError(response.status(), "ListShards", context);
        for (const v1::Shard& shard : response->shards()) shards.push_back(ShardJson(shard));
        out = Json{{"Shards", shards}};
        if (one_page && !response->next_token().empty()) out["NextToken"] = response->next_token();
        if (one_page || response->next_token().empty()) break;
        request.Clear();
        request.set_next_token(response->next_token());
      }
      PrintJson(out);
      return 0;
    };
  });
}

void AddRetentionCommand(CLI::App& app, CliContext& context, bool increase) {
  struct Args {
    std::string name, arn;
    int hours = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      increase ? "increase-stream-retention-period" : "decrease-stream-retention-period",
      increase ? "Lengthen how long records are kept" : "Shorten how long records are kept");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--retention-period-hours", args->hours, "24 … 8760")->required();
  cmd->callback([&context, args, increase] {
    context.run = [&context, args, increase]() -> int {
      v1::ChangeRetentionPeriodRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_retention_period_hours(args->hours);
      auto response = increase ? context.Client().IncreaseStreamRetentionPeriod(request)
                               : context.Client().DecreaseStreamRetentionPeriod(request);
      if (response.ok()) return 0;
      return ReportError(
          response.status(),
          increase ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod", context);
    };
  });
}

void AddReshardCommands(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, shard, other, key, scaling = "UNIFORM_SCALING";
    int target = 0;
  };
  auto split_args = std::make_shared<Args>();
  CLI::App* split = app.add_subcommand("split-shard", "Split an open shard in two");
  AddStreamOptions(split, &split_args->name, &split_args->arn);
  split->add_option("--shard-to-split", split_args->shard, "the shard")->required();
  split
      ->add_option("--new-starting-hash-key", split_args->key,
                   "first hash key of the upper child (decimal)")
      ->required();
  split->callback([&context, split_args] {
    context.run = [&context, split_args]() -> int {
      v1::SplitShardRequest request;
      *request.mutable_stream() = StreamRefOf(split_args->name, split_args->arn);
      request.set_shard_to_split(split_args->shard);
      request.set_new_starting_hash_key(split_args->key);
      auto response = context.Client().SplitShard(request);
      return response.ok() ? 0 : ReportError(response.status(), "SplitShard", context);
    };
  });

  auto merge_args = std::make_shared<Args>();
  CLI::App* merge = app.add_subcommand("merge-shards", "Merge two adjacent open shards");
  AddStreamOptions(merge, &merge_args->name, &merge_args->arn);
  merge->add_option("--shard-to-merge", merge_args->shard, "one shard")->required();
  merge->add_option("--adjacent-shard-to-merge", merge_args->other, "its neighbour")->required();
  merge->callback([&context, merge_args] {
    context.run = [&context, merge_args]() -> int {
      v1::MergeShardsRequest request;
      *request.mutable_stream() = StreamRefOf(merge_args->name, merge_args->arn);
      request.set_shard_to_merge(merge_args->shard);
      request.set_adjacent_shard_to_merge(merge_args->other);
      auto response = context.Client().MergeShards(request);
      return response.ok() ? 0 : ReportError(response.status(), "MergeShards", context);
    };
  });

  auto count_args = std::make_shared<Args>();
  CLI::App* count =
      app.add_subcommand("update-shard-count", "Scale to a number of open shards (½× … 2×)");
  AddStreamOptions(count, &count_args->name, &count_args->arn);
  count->add_option("--target-shard-count", count_args->target, "open shards wanted")->required();
  count->add_option("--scaling-type", count_args->scaling, "UNIFORM_SCALING")
      ->check(CLI::IsMember({"UNIFORM_SCALING"}));
  count->callback([&context, count_args] {
    context.run = [&context, count_args]() -> int {
      v1::UpdateShardCountRequest request;
      *request.mutable_stream() = StreamRefOf(count_args->name, count_args->arn);
      request.set_target_shard_count(count_args->target);
      request.set_scaling_type(v1::UNIFORM_SCALING);
      auto response = context.Client().UpdateShardCount(request);
      if (!response.ok()) return ReportError(response.status(), "UpdateShardCount", context);
      Json out{{"StreamName", response->stream_name()},
               {"CurrentShardCount", response->current_shard_count()},
               {"TargetShardCount", response->target_shard_count()}};
      if (!response->stream_arn().empty()) out["StreamARN"] = response->stream_arn();
      PrintJson(out);
      return 0;
    };
  });
}

}  // namespace

void AddStreamCommands(CLI::App& app, CliContext& context) {
  AddReshardCommands(app, context);
  AddCreateStream(app, context);
  AddDeleteStream(app, context);
  AddDescribeStream(app, context);
  AddDescribeStreamSummary(app, context);
  AddListStreams(app, context);
  AddListShards(app, context);
  AddRetentionCommand(app, context, /*increase=*/true);
  AddRetentionCommand(app, context, /*increase=*/false);
}

}  // namespace eddy::tools
