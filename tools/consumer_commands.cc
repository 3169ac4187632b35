// `eddy` enhanced fan-out sub-commands: register-, deregister-, describe-stream-consumer,
// list-stream-consumers, and subscribe-to-shard (one JSON event per line).
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_split.h"
#include "tools/commands.h"
#include "tools/interrupt_watcher.h"
#include "tools/json_format.h"

namespace eddy::tools {
namespace {

Json ConsumerJson(const v1::Consumer& consumer, bool with_stream) {
  static const std::map<v1::ConsumerStatus, const char*> kStatus = {
      {v1::CONSUMER_CREATING, "CREATING"},
      {v1::CONSUMER_ACTIVE, "ACTIVE"},
      {v1::CONSUMER_DELETING, "DELETING"}};
  auto status = kStatus.find(consumer.consumer_status());
  Json json{{"ConsumerName", consumer.consumer_name()},
            {"ConsumerARN", consumer.consumer_arn()},
            {"ConsumerStatus", status == kStatus.end() ? "CREATING" : status->second},
            {"ConsumerCreationTimestamp",
             FormatTimestamp(consumer.consumer_creation_timestamp_millis())}};
  if (with_stream) json["StreamARN"] = consumer.stream_arn();
  return json;
}

void AddRegister(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, consumer;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("register-stream-consumer",
                                     "Register an enhanced fan-out consumer of a stream");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--consumer-name", args->consumer, "name of the consumer")->required();
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::RegisterStreamConsumerRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_consumer_name(args->consumer);
      auto response = context.Client().RegisterStreamConsumer(request);
      if (!response.ok()) return ReportError(response.status(), "RegisterStreamConsumer", context);
      PrintJson(Json{{"Consumer", ConsumerJson(response->consumer(), false)}});
      return 0;
    };
  });
}

struct ConsumerArgs {
  std::string name, arn, consumer, consumer_arn;
};

void AddConsumerOptions(CLI::App* cmd, ConsumerArgs* args) {
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--consumer-name", args->consumer, "with --stream-arn or --stream-name");
  cmd->add_option("--consumer-arn", args->consumer_arn, "instead of stream and name");
}

void AddDeregister(CLI::App& app, CliContext& context) {
  auto args = std::make_shared<ConsumerArgs>();
  CLI::App* cmd = app.add_subcommand("deregister-stream-consumer",
                                     "Deregister a consumer; its subscriptions end");
  AddConsumerOptions(cmd, args.get());
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::DeregisterStreamConsumerRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_consumer_name(args->consumer);
      request.set_consumer_arn(args->consumer_arn);
      auto response = context.Client().DeregisterStreamConsumer(request);
      return response.ok() ? 0
                           : ReportError(response.status(), "DeregisterStreamConsumer", context);
    };
  });
}

void AddDescribe(CLI::App& app, CliContext& context) {
  auto args = std::make_shared<ConsumerArgs>();
  CLI::App* cmd = app.add_subcommand("describe-stream-consumer", "Describe a consumer");
  AddConsumerOptions(cmd, args.get());
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::DescribeStreamConsumerRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      request.set_consumer_name(args->consumer);
      request.set_consumer_arn(args->consumer_arn);
      auto response = context.Client().DescribeStreamConsumer(request);
      if (!response.ok()) return ReportError(response.status(), "DescribeStreamConsumer", context);
      PrintJson(
          Json{{"ConsumerDescription", ConsumerJson(response->consumer_description(), true)}});
      return 0;
    };
  });
}

void AddList(CLI::App& app, CliContext& context) {
  struct Args {
    std::string name, arn, token;
    int max_results = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("list-stream-consumers", "List a stream's consumers");
  AddStreamOptions(cmd, &args->name, &args->arn);
  CLI::Option* max_results_given = cmd->add_option("--max-results", args->max_results,
                                                   "consumers per page (one page when given)");
  cmd->add_option("--next-token", args->token, "continue a previous listing");
  cmd->callback([&context, args, max_results_given] {
    context.run = [&context, args, max_results_given]() -> int {
      v1::ListStreamConsumersRequest request;
      *request.mutable_stream() = StreamRefOf(args->name, args->arn);
      if (*max_results_given) request.set_max_results(args->max_results);
      request.set_next_token(args->token);
      const bool one_page = *max_results_given || !args->token.empty();
      Json consumers = Json::array();
      Json out;
      while (true) {
        auto response = context.Client().ListStreamConsumers(request);
        if (!response.ok()) return ReportError(response.status(), "ListStreamConsumers", context);
        for (const v1::Consumer& c : response->consumers()) {
          consumers.push_back(ConsumerJson(c, false));
        }
        out = Json{{"Consumers", consumers}};
        if (one_page && !response->next_token().empty()) out["NextToken"] = response->next_token();
        if (one_page || response->next_token().empty()) break;
        request.set_next_token(response->next_token());
      }
      PrintJson(out);
      return 0;
    };
  });
}

// Parses --starting-position "Type=…[,SequenceNumber=…][,Timestamp=…]".
absl::Status ParseStartingPosition(const std::string& text, v1::StartingPosition* out) {
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.first == "Type") {
      absl::StatusOr<v1::ShardIteratorType> type = ParseIteratorType(kv.second);
      if (!type.ok()) return type.status();
      out->set_type(*type);
    } else if (kv.first == "SequenceNumber") {
      out->set_sequence_number(kv.second);
    } else if (kv.first == "Timestamp") {
      absl::StatusOr<int64_t> millis = ParseTimestamp(kv.second);
      if (!millis.ok()) return millis.status();
      out->set_timestamp_millis(*millis);
    } else {
      return absl::InvalidArgumentError("Unknown StartingPosition field '" + kv.first + "'");
    }
  }
  if (out->type() == v1::SHARD_ITERATOR_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError("--starting-position needs Type=…");
  }
  return absl::OkStatus();
}

void AddSubscribe(CLI::App& app, CliContext& context) {
  struct Args {
    std::string consumer_arn, shard, position;
    long long max_events = 0;
    bool follow = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "subscribe-to-shard", "Receive a shard's records as they are written (one JSON line each)");
  cmd->add_option("--consumer-arn", args->consumer_arn, "the registered consumer")->required();
  cmd->add_option("--shard-id", args->shard, "shardId-000000000000")->required();
  cmd->add_option("--starting-position", args->position,
                  "Type=LATEST|TRIM_HORIZON|AT_SEQUENCE_NUMBER|AFTER_SEQUENCE_NUMBER|"
                  "AT_TIMESTAMP[,SequenceNumber=…][,Timestamp=…]")
      ->required();
  cmd->add_option("--max-events", args->max_events, "stop after this many events");
  cmd->add_flag("--follow", args->follow,
                "when a session ends, resubscribe after its last continuation sequence number");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      v1::SubscribeToShardRequest request;
      request.set_consumer_arn(args->consumer_arn);
      request.set_shard_id(args->shard);
      if (absl::Status s =
              ParseStartingPosition(args->position, request.mutable_starting_position());
          !s.ok()) {
        return ReportError(s, "SubscribeToShard", context);
      }
      // Ctrl-C (or SIGTERM) ends the subscription cleanly: the call is cancelled.
      std::atomic<bool> interrupted{false};
      std::mutex mu;
      client::ShardSubscriptionReader* current = nullptr;
      InterruptWatcher watcher([&] {
        interrupted = true;
        std::lock_guard<std::mutex> lock(mu);
        if (current != nullptr) current->Cancel();
      });
      long long events = 0;
      int exit_code = 0;
      while (!interrupted.load()) {
        std::unique_ptr<client::ShardSubscriptionReader> reader =
            context.Client().SubscribeToShard(request);
        {
          std::lock_guard<std::mutex> lock(mu);
          current = reader.get();
          if (interrupted.load()) reader->Cancel();
        }
        v1::SubscribeToShardEvent event;
        std::string continuation;
        bool shard_ended = false;
        while (reader->Next(&event, absl::InfiniteDuration()) ==
               client::ShardSubscriptionReader::Result::kEvent) {
          Json records = Json::array();
          for (const v1::Record& record : event.records()) records.push_back(RecordJson(record));
          Json body{{"Records", records}};
          if (!event.continuation_sequence_number().empty()) {
            body["ContinuationSequenceNumber"] = event.continuation_sequence_number();
            continuation = event.continuation_sequence_number();
          }
          body["MillisBehindLatest"] = event.millis_behind_latest();
          if (event.child_shards_size() > 0) {
            Json children = Json::array();
            for (const v1::ChildShard& child : event.child_shards()) {
              children.push_back(ChildShardJson(child));
            }
            body["ChildShards"] = children;
            shard_ended = true;
          }
          std::cout << Json{{"SubscribeToShardEvent", body}}.dump() << std::endl;
          if (args->max_events > 0 && ++events >= args->max_events) {
            reader->Cancel();
            interrupted = true;
          }
        }
        absl::Status status = reader->Finish();
        {
          std::lock_guard<std::mutex> lock(mu);
          current = nullptr;
        }
        if (interrupted.load()) break;
        if (!status.ok()) {
          exit_code = ReportError(status, "SubscribeToShard", context);
          break;
        }
        if (!args->follow || shard_ended || continuation.empty()) break;
        request.mutable_starting_position()->set_type(v1::AFTER_SEQUENCE_NUMBER);
        request.mutable_starting_position()->set_sequence_number(continuation);
        request.mutable_starting_position()->set_timestamp_millis(0);
      }
      return exit_code;
    };
  });
}

}  // namespace

void AddConsumerCommands(CLI::App& app, CliContext& context) {
  AddRegister(app, context);
  AddDeregister(app, context);
  AddDescribe(app, context);
  AddList(app, context);
  AddSubscribe(app, context);
}

}  // namespace eddy::tools
