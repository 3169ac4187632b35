// `eddy produce`: a load generator whose records can be checked for completeness and order.
//
// Record data is "eddy-produce|<partition key>|<counter>|" padded with '.' to --size bytes;
// each partition key's counter runs 0, 1, 2, … in the order the broker acknowledged them
// (docs/cli.md). Keys are split among --concurrency senders, each sending its batches one at
// a time and retrying throttled records before new ones, so every key's order is preserved.
//
// --aggregate packs records into KPL aggregates (aggregation/aggregate.h). Each aggregate
// holds one partition key's records only, so it always lies within a single shard: a
// reshard racing the producer can never make consumers drop one (they drop aggregates that
// straddle shards, as the KCL does), and per-key order is kept.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "aggregation/aggregate.h"
#include "client/backoff.h"
#include "common/errors.h"
#include "tools/commands.h"

namespace eddy::tools {
namespace {

struct ProduceArgs {
  std::string name, arn, key_prefix = "key-";
  int64_t count = 1000;
  double rate = 0;
  int keys = 16, size = 100, batch_size = 500, concurrency = 1;
  double max_seconds = 600;
  bool aggregate = false;
  int aggregate_max_bytes = static_cast<int>(aggregation::kDefaultMaxAggregateBytes);
};

struct SenderTotals {
  std::atomic<int64_t> acknowledged{0};
  std::atomic<int64_t> throttled{0};
  std::atomic<int64_t> retried_calls{0};
  std::atomic<int64_t> stream_records{0};  // PutRecords entries accepted (aggregates count 1)
};

// Which of a batch's records each PutRecords entry carries.
using EntryRecords = std::vector<std::vector<size_t>>;

std::string RecordData(const std::string& key, int64_t counter, int size) {
  std::string data = absl::StrCat("eddy-produce|", key, "|", counter, "|");
  if (static_cast<int>(data.size()) < size) data.resize(static_cast<size_t>(size), '.');
  return data;
}

struct Pending {
  int key;
  int64_t counter;
};

// Adds `batch` to `request` as aggregates, one partition key's records in each (in order,
// up to --aggregate-max-bytes); returns which records each entry carries.
EntryRecords AddAggregates(const ProduceArgs& args, const std::vector<Pending>& batch,
                           v1::PutRecordsRequest* request) {
  std::vector<int> key_order;
  std::map<int, std::vector<size_t>> by_key;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto [it, inserted] = by_key.try_emplace(batch[i].key);
    if (inserted) key_order.push_back(batch[i].key);
    it->second.push_back(i);
  }
  EntryRecords entries;
  aggregation::AggregateBuilder builder(static_cast<size_t>(args.aggregate_max_bytes));
  std::vector<size_t> carried;
  auto flush = [&] {
    if (builder.empty()) return;
    v1::PutRecordsRequestEntry* entry = request->add_records();
    entry->set_partition_key(std::string(aggregation::kAggregatePartitionKey));
    entry->set_explicit_hash_key(builder.ExplicitHashKey());
    entry->set_data(builder.Build());
    entries.push_back(carried);
    builder.Clear();
    carried.clear();
  };
  for (int key : key_order) {
    const std::string partition_key = absl::StrCat(args.key_prefix, key);
    for (size_t index : by_key[key]) {
      aggregation::UserRecord user{partition_key, "",
                                   RecordData(partition_key, batch[index].counter, args.size)};
      if (!builder.Add(user)) {
        flush();
        builder.Add(std::move(user));
      }
      carried.push_back(index);
    }
    flush();
  }
  return entries;
}

// Sends `quota` records for the keys k with k % concurrency == sender. Returns the first
// non-retryable failure.
absl::Status RunSender(const ProduceArgs& args, int sender, int64_t quota,
                       client::StreamClient& client, SenderTotals& totals,
                       std::chrono::steady_clock::time_point deadline) {
  std::vector<int> my_keys;
  for (int k = sender; k < args.keys; k += args.concurrency) my_keys.push_back(k);
  if (my_keys.empty()) return absl::OkStatus();
  std::vector<int64_t> next_counter(static_cast<size_t>(args.keys), 0);
  std::deque<Pending> retry;
  int64_t generated = 0;
  int64_t acknowledged = 0;
  size_t round_robin = 0;
  const double rate = args.rate / args.concurrency;
  const auto start = std::chrono::steady_clock::now();
  client::Backoff backoff({absl::Milliseconds(20), absl::Seconds(2)});

  while ((acknowledged < quota) && std::chrono::steady_clock::now() < deadline) {
    std::vector<Pending> batch(retry.begin(), retry.end());
    retry.clear();
    while (static_cast<int>(batch.size()) < args.batch_size && generated < quota) {
      const int key = my_keys[round_robin++ % my_keys.size()];
      batch.push_back(Pending{key, next_counter[static_cast<size_t>(key)]++});
      ++generated;
    }
    if (rate > 0) {
      const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(
                                       static_cast<double>(acknowledged + batch.size()) / rate));
      std::this_thread::sleep_until(std::min(due, deadline));
    }
    v1::PutRecordsRequest request;
    request.mutable_stream()->set_stream_name(args.name);
    request.mutable_stream()->set_stream_arn(args.arn);
    EntryRecords entries;
    if (args.aggregate) {
      entries = AddAggregates(args, batch, &request);
    } else {
      for (size_t i = 0; i < batch.size(); ++i) {
        v1::PutRecordsRequestEntry* entry = request.add_records();
        const std::string key = absl::StrCat(args.key_prefix, batch[i].key);
        entry->set_partition_key(key);
        entry->set_data(RecordData(key, batch[i].counter, args.size));
        entries.push_back({i});
      }
    }
    absl::StatusOr<v1::PutRecordsResponse> response = client.PutRecords(request);
    if (!response.ok()) {
      if (!common::IsRetryable(response.status())) return response.status();
      // Resend the same batch; the broker may have stored it (at-least-once).
      totals.retried_calls++;
      retry.assign(batch.begin(), batch.end());
      std::this_thread::sleep_for(absl::ToChronoMicroseconds(backoff.Next()));
      continue;
    }
    backoff.Reset();
    for (int i = 0; i < response->records_size(); ++i) {
      const std::vector<size_t>& carried = entries[static_cast<size_t>(i)];
      if (response->records(i).error_code().empty()) {
        acknowledged += static_cast<int64_t>(carried.size());
        totals.stream_records++;
      } else {
        for (size_t index : carried) retry.push_back(batch[index]);
      }
    }
    totals.acknowledged += static_cast<int64_t>(batch.size() - retry.size());
    if (!retry.empty()) {
      totals.throttled += static_cast<int64_t>(retry.size());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the shard refill
    }
  }
  if (acknowledged < quota) {
    return absl::DeadlineExceededError(absl::StrCat(
        "stopped after --max-seconds with ", acknowledged, " of ", quota, " records acknowledged"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddProduceCommand(CLI::App& app, CliContext& context) {
  auto args = std::make_shared<ProduceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "produce", "Generate load: records carrying their partition key and a per-key counter");
  AddStreamOptions(cmd, &args->name, &args->arn);
  cmd->add_option("--count", args->count, "records to write")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--rate", args->rate, "records per second in all (0 = as fast as possible)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--keys", args->keys, "distinct partition keys")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--size", args->size, "bytes of data per record")
      ->check(CLI::Range(1, 10 << 20))
      ->capture_default_str();
  cmd->add_option("--batch-size", args->batch_size, "records per PutRecords call")
      ->check(CLI::Range(1, 500))
      ->capture_default_str();
  cmd->add_option("--concurrency", args->concurrency, "calls in flight (keys are split)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--key-prefix", args->key_prefix, "partition keys are <prefix><n>")
      ->capture_default_str();
  cmd->add_flag("--aggregate", args->aggregate,
                "pack records into KPL aggregates (one partition key per aggregate)");
  cmd->add_option("--aggregate-max-bytes", args->aggregate_max_bytes, "largest aggregate, in bytes")
      ->check(CLI::Range(64, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--max-seconds", args->max_seconds, "give up after this long")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      SenderTotals totals;
      const auto start = std::chrono::steady_clock::now();
      const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(args->max_seconds));
      // Quotas follow the keys each sender owns, so every key gets its share.
      const int senders = std::min(args->concurrency, args->keys);
      args->concurrency = senders;
      std::vector<int64_t> quotas(static_cast<size_t>(senders), 0);
      for (int64_t i = 0; i < args->count; ++i) {
        quotas[static_cast<size_t>((i % args->keys) % senders)]++;
      }
      std::vector<absl::Status> results(static_cast<size_t>(senders));
      std::vector<std::thread> threads;
      client::StreamClient& client = context.Client();
      for (int s = 0; s < senders; ++s) {
        threads.emplace_back([&, s] {
          results[static_cast<size_t>(s)] =
              RunSender(*args, s, quotas[static_cast<size_t>(s)], client, totals, deadline);
        });
      }
      for (std::thread& t : threads) t.join();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const int64_t acked = totals.acknowledged.load();
      PrintJson(Json{{"StreamName", args->name},
                     {"RecordsAcknowledged", acked},
                     {"Keys", args->keys},
                     {"RecordBytes", args->size},
                     {"Seconds", seconds},
                     {"RecordsPerSecond", seconds > 0 ? static_cast<double>(acked) / seconds : 0.0},
                     {"MegabytesPerSecond",
                      seconds > 0 ? static_cast<double>(acked) * args->size / seconds / 1e6 : 0.0},
                     {"StreamRecords", totals.stream_records.load()},
                     {"ThrottledRecords", totals.throttled.load()},
                     {"RetriedCalls", totals.retried_calls.load()}});
      for (const absl::Status& status : results) {
        if (!status.ok()) return ReportError(status, "PutRecords", context);
      }
      return 0;
    };
  });
}

}  // namespace eddy::tools
