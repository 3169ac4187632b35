// `eddy consume`: a ready worker of the consumer framework that prints each record as one
// JSON line and checkpoints after every batch — the `kcat` of Eddy.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "kcl/scheduler.h"
#include "tools/commands.h"
#include "tools/coordinator_url.h"
#include "tools/interrupt_watcher.h"

namespace eddy::tools {
namespace {

// Prints records; checkpoints after each batch and when asked to shut down or at shard end.
class PrintingProcessor final : public kcl::RecordProcessor {
 public:
  PrintingProcessor(std::string worker_id, std::mutex& out_mu)
      : worker_id_(std::move(worker_id)), out_mu_(out_mu) {}

  void ProcessRecords(const kcl::ProcessRecordsInput& input) override {
    {
      std::lock_guard<std::mutex> lock(out_mu_);
      const int64_t now_micros = absl::ToUnixMicros(absl::Now());
      for (const kcl::KinesisClientRecord& r : input.records) {
        std::cout << Json{{"ShardId", r.shard_id},
                          {"SequenceNumber", r.sequence_number},
                          {"SubSequenceNumber", r.sub_sequence_number},
                          {"PartitionKey", r.partition_key},
                          {"Data", absl::Base64Escape(r.data)},
                          {"WorkerId", worker_id_},
                          {"ProcessedAtMicros", now_micros},
                          {"MillisBehindLatest", input.millis_behind_latest}}
                         .dump()
                  << "\n";
      }
      std::cout.flush();
    }
    input.checkpointer.Checkpoint().IgnoreError();  // a lost lease is reported by the framework
  }
  void ShardEnded(kcl::Checkpointer& checkpointer) override {
    checkpointer.Checkpoint().IgnoreError();
  }
  void ShutdownRequested(kcl::Checkpointer& checkpointer) override {
    checkpointer.Checkpoint().IgnoreError();
  }

 private:
  const std::string worker_id_;
  std::mutex& out_mu_;
};

struct ConsumeArgs {
  std::string application, stream, worker_id, position = "TRIM_HORIZON", retrieval = "fan-out";
  std::string transport;  // "" = kinesis for an http(s):// endpoint or a region / profile
  std::string region, profile, ca_bundle;
  bool http2 = false;
  bool no_verify_ssl = false;
  std::string coordinator;       // eddy://HOST:PORT, etcd://HOST:PORT,... or file://DIR
  std::string coordinator_path;  // --embedded-coordinator DIR (= file://DIR)
  int64_t failover_ms = 10'000;
  int64_t session_ttl_ms = 0;
  int max_leases = 1 << 30;
};

bool HasHttpScheme(const std::string& url) {
  return absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://");
}

// The transport, the endpoints and the coordinator of the command line, into `config`.
absl::Status ApplyEndpoints(const ConsumeArgs& args, const CliContext& context,
                            kcl::Config& config) {
  const bool url_endpoint = context.endpoint_given && HasHttpScheme(context.endpoint);
  std::string transport = args.transport;
  if (transport.empty()) {
    transport = url_endpoint || !args.region.empty() || !args.profile.empty() ? "kinesis" : "grpc";
  }
  if (transport == "kinesis") {
    config.transport = kcl::Transport::kKinesisHttp;
    if (context.endpoint_given) {
      if (!url_endpoint) {
        return absl::InvalidArgumentError(
            "--transport kinesis needs an http:// or https:// --endpoint-url, not \"" +
            context.endpoint + "\".");
      }
      config.kinesis.endpoint_url = context.endpoint;
    }
    config.kinesis.region = args.region;
    config.kinesis.profile = args.profile;
    config.kinesis.http2_cleartext = args.http2;
    config.kinesis.ca_bundle = args.ca_bundle;
    config.kinesis.verify_tls = !args.no_verify_ssl;
    config.endpoint = context.eddy_endpoint;  // the default coordinator
  } else {
    if (url_endpoint) {
      return absl::InvalidArgumentError("--transport grpc takes a HOST:PORT endpoint, not \"" +
                                        context.endpoint + "\".");
    }
    config.endpoint = context.endpoint;
  }
  if (!args.coordinator.empty() && !args.coordinator_path.empty()) {
    return absl::InvalidArgumentError("Give --coordinator or --embedded-coordinator, not both.");
  }
  if (!args.coordinator_path.empty()) config.embedded_coordinator_path = args.coordinator_path;
  if (!args.coordinator.empty()) {
    absl::StatusOr<CoordinatorUrl> url = ParseCoordinatorUrl(args.coordinator);
    if (!url.ok()) return absl::InvalidArgumentError(url.status().message());
    ApplyCoordinatorUrl(*url, config);
  }
  return absl::OkStatus();
}

}  // namespace

void AddConsumeCommand(CLI::App& app, CliContext& context) {
  auto args = std::make_shared<ConsumeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "consume", "Run a consumer worker that prints every record as a JSON line");
  cmd->add_option("--application", args->application, "consumer application name")->required();
  cmd->add_option("--stream-name", args->stream, "stream to consume")->required();
  cmd->add_option("--worker-id", args->worker_id, "unique per worker (default: host-pid-n)");
  cmd->add_option("--initial-position", args->position, "for shards without a checkpoint")
      ->check(CLI::IsMember({"TRIM_HORIZON", "LATEST"}))
      ->capture_default_str();
  cmd->add_option("--retrieval", args->retrieval, "fan-out (push) or polling")
      ->check(CLI::IsMember({"fan-out", "polling"}))
      ->capture_default_str();
  cmd->add_option("--transport", args->transport,
                  "grpc (Eddy's API) or kinesis (the Kinesis HTTP API: AWS, eddy-broker "
                  "--kinesis-listen, kinesis-mock, LocalStack); default kinesis for an "
                  "http(s):// --endpoint-url or a --region / --profile, else grpc")
      ->check(CLI::IsMember({"grpc", "kinesis"}));
  cmd->add_option("--region", args->region, "AWS region (default $AWS_REGION, the profile's)");
  cmd->add_option("--profile", args->profile, "AWS profile (default $AWS_PROFILE, default)");
  cmd->add_flag("--http2", args->http2,
                "HTTP/2 with prior knowledge over an http:// Kinesis endpoint (h2c)");
  cmd->add_option("--ca-bundle", args->ca_bundle, "CA bundle to verify the Kinesis endpoint");
  cmd->add_flag("--no-verify-ssl", args->no_verify_ssl,
                "do not verify the Kinesis endpoint's TLS certificate");
  cmd->add_option("--coordinator", args->coordinator,
                  "where the leases live: eddy://HOST:PORT (an eddy-broker; default the one at "
                  "$EDDY_ENDPOINT), etcd://HOST:PORT[,HOST:PORT...] (an etcd cluster) or "
                  "file://DIR (embedded RocksDB, one process only)");
  cmd->add_option("--session-ttl-ms", args->session_ttl_ms,
                  "with etcd: the worker session's lease TTL (default: the failover time)")
      ->check(CLI::Range(int64_t{1'000}, int64_t{3'600'000}));
  cmd->add_option("--failover-ms", args->failover_ms, "lease failover time")
      ->check(CLI::Range(int64_t{100}, int64_t{3'600'000}))
      ->capture_default_str();
  cmd->add_option("--max-leases", args->max_leases, "most leases this worker holds");
  cmd->add_option("--embedded-coordinator", args->coordinator_path, "= --coordinator file://DIR");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      // Before anything starts threads (gRPC does): SIGTERM / Ctrl-C shut down gracefully.
      std::atomic<kcl::Scheduler*> running{nullptr};
      InterruptWatcher watcher([&] {
        if (kcl::Scheduler* scheduler = running.load()) scheduler->Shutdown();
      });
      kcl::Config config;
      if (absl::Status s = ApplyEndpoints(*args, context, config); !s.ok()) {
        return ReportError(s, "Consume", context);
      }
      config.application_name = args->application;
      config.stream_name = args->stream;
      config.worker_id = args->worker_id;
      config.initial_position = args->position == "LATEST" ? kcl::InitialPosition::kLatest
                                                           : kcl::InitialPosition::kTrimHorizon;
      config.retrieval_mode =
          args->retrieval == "polling" ? kcl::RetrievalMode::kPolling : kcl::RetrievalMode::kFanOut;
      config.failover_millis = args->failover_ms;
      config.etcd_session_ttl_millis = args->session_ttl_ms;
      config.max_leases_for_worker = args->max_leases;
      auto out_mu = std::make_shared<std::mutex>();
      std::string worker_id;
      auto scheduler = kcl::Scheduler::Create(
          config,
          [&worker_id, out_mu](const std::string&) -> std::unique_ptr<kcl::RecordProcessor> {
            return std::make_unique<PrintingProcessor>(worker_id, *out_mu);
          });
      if (!scheduler.ok()) return ReportError(scheduler.status(), "Consume", context);
      worker_id = (*scheduler)->config().worker_id;
      running = scheduler->get();
      if (watcher.interrupted()) (*scheduler)->Shutdown();
      const absl::Status status = (*scheduler)->Run();
      running = nullptr;
      return status.ok() ? 0 : ReportError(status, "Consume", context);
    };
  });
}

}  // namespace eddy::tools
