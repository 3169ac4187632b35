// eddy-kcl-bench: the consumer framework over each transport, same broker, same run —
// Eddy's gRPC API, the Kinesis API over HTTP/1.1, and over HTTP/2 (h2c). For each: a
// backlog read to its end by one worker (records/s, MB/s, the worker's CPU seconds per GB),
// then producer-to-processor latency at a steady rate (p50/p99/max, measured in this one
// process: the producer stamps each record with the monotonic clock, the processor reads it).
//
//   eddy-broker --limits none --listen 127.0.0.1:P --kinesis-listen 127.0.0.1:Q &
//   eddy-kcl-bench --endpoint 127.0.0.1:P --kinesis-url http://127.0.0.1:Q
//                  [--transports grpc,kinesis,kinesis-h2] [--shards 4] [--backlog 100000]
//                  [--size 1024] [--rate 1000] [--seconds 10]
//
// Prints one JSON line per transport, then a markdown table (docs/benchmarks.md). Without
// --limits none the broker holds each shard's fan-out to Kinesis' 2 MB/s, and that is what
// the backlog numbers would show.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/stream_client.h"
#include "kcl/scheduler.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string endpoint = "127.0.0.1:4567";
  std::string kinesis_url = "http://127.0.0.1:4568";
  std::string transports = "grpc,kinesis,kinesis-h2";
  int shards = 4;
  int backlog = 100'000;
  int size = 1024;
  int rate = 1000;
  int seconds = 10;
};

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// What the processors saw, shared by all shards of one run.
struct Tally {
  std::atomic<int64_t> records{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> first_nanos{0};  // when the first record reached a processor
  std::mutex mu;
  std::vector<double> latencies_ms;  // stamped records only
};

// Counts every record; a record stamped 'L' + 8 bytes of send time adds its latency.
class BenchProcessor final : public eddy::kcl::RecordProcessor {
 public:
  explicit BenchProcessor(Tally& tally) : tally_(tally) {}
  void ProcessRecords(const eddy::kcl::ProcessRecordsInput& input) override {
    const int64_t now = NowNanos();
    int64_t unset = 0;
    tally_.first_nanos.compare_exchange_strong(unset, now);
    int64_t bytes = 0;
    std::vector<double> latencies;
    for (const eddy::kcl::KinesisClientRecord& r : input.records) {
      bytes += static_cast<int64_t>(r.data.size());
      if (r.data.size() >= 9 && r.data[0] == 'L') {
        int64_t sent = 0;
        std::memcpy(&sent, r.data.data() + 1, sizeof(sent));
        latencies.push_back(static_cast<double>(now - sent) / 1e6);
      }
    }
    if (!latencies.empty()) {
      std::lock_guard<std::mutex> lock(tally_.mu);
      tally_.latencies_ms.insert(tally_.latencies_ms.end(), latencies.begin(), latencies.end());
    }
    tally_.bytes += bytes;
    tally_.records += static_cast<int64_t>(input.records.size());
    if (Clock::now() - last_checkpoint_ > std::chrono::seconds(1)) {
      (void)input.checkpointer.Checkpoint();  // as applications do: about once a second
      last_checkpoint_ = Clock::now();
    }
  }
  void ShardEnded(eddy::kcl::Checkpointer& checkpointer) override {
    (void)checkpointer.Checkpoint();
  }

 private:
  Tally& tally_;
  Clock::time_point last_checkpoint_ = Clock::now();
};

bool CreateStream(eddy::client::StreamClient& client, const std::string& name, int shards) {
  eddy::v1::CreateStreamRequest create;
  create.set_stream_name(name);
  create.set_shard_count(shards);
  if (auto s = client.CreateStream(create); !s.ok()) {
    std::cerr << "CreateStream " << name << ": " << s.status() << "\n";
    return false;
  }
  for (int i = 0; i < 600; ++i) {
    eddy::v1::DescribeStreamSummaryRequest describe;
    describe.mutable_stream()->set_stream_name(name);
    auto summary = client.DescribeStreamSummary(describe);
    if (summary.ok() && summary->stream_description_summary().stream_status() ==
                            eddy::v1::ACTIVE) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "stream " << name << " never became ACTIVE\n";
  return false;
}

// PutRecords of `count` unstamped records of `size` bytes, 500 a call, over 64 keys.
bool PutBacklog(eddy::client::StreamClient& client, const std::string& stream, int count,
                int size) {
  const std::string data(static_cast<size_t>(size), 'b');
  for (int done = 0; done < count;) {
    eddy::v1::PutRecordsRequest request;
    request.mutable_stream()->set_stream_name(stream);
    for (int i = 0; i < 500 && done + i < count; ++i) {
      auto* entry = request.add_records();
      entry->set_partition_key(absl::StrCat("k", (done + i) % 64));
      entry->set_data(data);
    }
    auto answer = client.PutRecords(request);
    if (!answer.ok()) {
      std::cerr << "PutRecords: " << answer.status() << "\n";
      return false;
    }
    for (const auto& r : answer->records()) {
      if (r.error_code().empty()) ++done;  // failed ones are simply put again
    }
  }
  return true;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[at];
}

// One transport: backlog, then latency. Empty JSON if it could not run.
nlohmann::json RunTransport(const Args& args, const std::string& transport) {
  eddy::client::StreamClient client({args.endpoint});
  const std::string stream = absl::StrCat("kclbench-", transport, "-", getpid());
  if (!CreateStream(client, stream, args.shards)) return {};
  if (!PutBacklog(client, stream, args.backlog, args.size)) return {};

  eddy::kcl::Config config;
  config.application_name = stream + "-app";
  config.stream_name = stream;
  config.endpoint = args.endpoint;
  config.worker_id = "bench-worker";
  config.initial_position = eddy::kcl::InitialPosition::kTrimHorizon;
  if (transport != "grpc") {
    config.transport = eddy::kcl::Transport::kKinesisHttp;
    config.kinesis.endpoint_url = args.kinesis_url;
    config.kinesis.region = "us-east-1";
    config.kinesis.http2_cleartext = transport == "kinesis-h2";
  }
  Tally tally;
  auto scheduler = eddy::kcl::Scheduler::Create(
      config, [&](const std::string&) { return std::make_unique<BenchProcessor>(tally); });
  if (!scheduler.ok()) {
    std::cerr << transport << ": " << scheduler.status() << "\n";
    return {};
  }
  const double cpu_start = CpuSeconds();
  const auto start = Clock::now();
  std::thread worker([&] {
    if (absl::Status s = (*scheduler)->Run(); !s.ok()) std::cerr << transport << ": " << s << "\n";
  });
  const auto backlog_deadline = start + std::chrono::minutes(5);
  while (tally.records < args.backlog && Clock::now() < backlog_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // From the first record processed: lease taking and consumer registration are not reading.
  const double backlog_seconds = static_cast<double>(NowNanos() - tally.first_nanos) / 1e9;
  const double startup_seconds =
      static_cast<double>(tally.first_nanos - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  start.time_since_epoch())
                                                  .count()) /
      1e9;
  const double cpu_seconds = CpuSeconds() - cpu_start;
  const int64_t backlog_bytes = tally.bytes;
  const bool backlog_done = tally.records >= args.backlog;

  // Latency: one stamped record every 1/rate s, PutRecord each, for --seconds.
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / std::max(1, args.rate));
  const auto latency_start = Clock::now();
  int64_t sent = 0;
  std::string payload(static_cast<size_t>(std::max(args.size, 9)), 'l');
  payload[0] = 'L';
  while (Clock::now() < latency_start + std::chrono::seconds(args.seconds)) {
    std::this_thread::sleep_until(latency_start + interval * sent);
    const int64_t stamp = NowNanos();
    std::memcpy(payload.data() + 1, &stamp, sizeof(stamp));
    eddy::v1::PutRecordRequest put;
    put.mutable_stream()->set_stream_name(stream);
    put.set_partition_key(absl::StrCat("k", sent % 64));
    put.set_data(payload);
    if (client.PutRecord(put).ok()) ++sent;
  }
  const int64_t expected = args.backlog + sent;
  const auto drain_deadline = Clock::now() + std::chrono::seconds(30);
  while (tally.records < expected && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  (*scheduler)->Shutdown();
  worker.join();

  std::vector<double> latencies;
  {
    std::lock_guard<std::mutex> lock(tally.mu);
    latencies = tally.latencies_ms;
  }
  nlohmann::json result = {
      {"Transport", transport},
      {"Shards", args.shards},
      {"BacklogRecords", args.backlog},
      {"BacklogComplete", backlog_done},
      {"StartupSeconds", startup_seconds},
      {"BacklogRecordsPerSecond", args.backlog / backlog_seconds},
      {"BacklogMBPerSecond", static_cast<double>(backlog_bytes) / 1e6 / backlog_seconds},
      {"WorkerCpuSecondsPerGB", cpu_seconds / (static_cast<double>(backlog_bytes) / 1e9)},
      {"LatencyRecordsSent", sent},
      {"LatencyRecordsSeen", static_cast<int64_t>(latencies.size())},
      {"LatencyP50Ms", Percentile(latencies, 0.50)},
      {"LatencyP99Ms", Percentile(latencies, 0.99)},
      {"LatencyMaxMs", Percentile(latencies, 1.0)}};
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  CLI::App app{"The consumer framework over gRPC, Kinesis HTTP/1.1 and Kinesis HTTP/2"};
  app.add_option("--endpoint", args.endpoint, "the broker's gRPC host:port");
  app.add_option("--kinesis-url", args.kinesis_url, "the broker's Kinesis endpoint URL");
  app.add_option("--transports", args.transports, "comma-separated: grpc, kinesis, kinesis-h2");
  app.add_option("--shards", args.shards)->check(CLI::Range(1, 64));
  app.add_option("--backlog", args.backlog, "records read from a backlog")->check(CLI::Range(1, 10'000'000));
  app.add_option("--size", args.size, "bytes per record")->check(CLI::Range(9, 1 << 20));
  app.add_option("--rate", args.rate, "records/s in the latency run")->check(CLI::Range(1, 100'000));
  app.add_option("--seconds", args.seconds, "length of the latency run")->check(CLI::Range(1, 600));
  CLI11_PARSE(app, argc, argv);
  // Eddy's Kinesis endpoint checks no signature; the client still signs with something.
  setenv("AWS_ACCESS_KEY_ID", "eddy-bench", 0);
  setenv("AWS_SECRET_ACCESS_KEY", "eddy-bench-secret", 0);

  std::vector<nlohmann::json> results;
  for (absl::string_view transport : absl::StrSplit(args.transports, ',')) {
    nlohmann::json result = RunTransport(args, std::string(transport));
    if (result.is_null()) return 1;
    std::cout << result.dump() << std::endl;
    results.push_back(std::move(result));
  }
  std::cout << "\n| transport | backlog MB/s | records/s | worker CPU s/GB | p50 ms | p99 ms | max ms |\n"
            << "|---|---|---|---|---|---|---|\n";
  for (const nlohmann::json& r : results) {
    std::cout << "| " << r["Transport"].get<std::string>() << " | "
              << absl::StrCat(r["BacklogMBPerSecond"].get<double>()) << " | "
              << absl::StrCat(static_cast<int64_t>(r["BacklogRecordsPerSecond"].get<double>())) << " | "
              << absl::StrCat(r["WorkerCpuSecondsPerGB"].get<double>()) << " | "
              << absl::StrCat(r["LatencyP50Ms"].get<double>()) << " | "
              << absl::StrCat(r["LatencyP99Ms"].get<double>()) << " | "
              << absl::StrCat(r["LatencyMaxMs"].get<double>()) << " |\n";
  }
  return 0;
}
