// `eddy consume`: a ready worker of the consumer framework that prints each record as one
// JSON line and checkpoints after every batch — the `kcat` of Eddy.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "kcl/scheduler.h"
#include "tools/commands.h"
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

}  // namespace

void AddConsumeCommand(CLI::App& app, CliContext& context) {
  struct Args {
    std::string application, stream, worker_id, position = "TRIM_HORIZON", retrieval = "fan-out";
    std::string coordinator_path;
    int64_t failover_ms = 10'000;
    int max_leases = 1 << 30;
  };
  auto args = std::make_shared<Args>();
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
  cmd->add_option("--failover-ms", args->failover_ms, "lease failover time")
      ->check(CLI::Range(int64_t{100}, int64_t{3'600'000}))
      ->capture_default_str();
  cmd->add_option("--max-leases", args->max_leases, "most leases this worker holds");
  cmd->add_option("--embedded-coordinator", args->coordinator_path,
                  "keep leases in a local RocksDB directory instead of the broker");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      // Before anything starts threads (gRPC does): SIGTERM / Ctrl-C shut down gracefully.
      std::atomic<kcl::Scheduler*> running{nullptr};
      InterruptWatcher watcher([&] {
        if (kcl::Scheduler* scheduler = running.load()) scheduler->Shutdown();
      });
      kcl::Config config;
      config.application_name = args->application;
      config.stream_name = args->stream;
      config.endpoint = context.endpoint;
      config.worker_id = args->worker_id;
      config.initial_position = args->position == "LATEST" ? kcl::InitialPosition::kLatest
                                                           : kcl::InitialPosition::kTrimHorizon;
      config.retrieval_mode =
          args->retrieval == "polling" ? kcl::RetrievalMode::kPolling : kcl::RetrievalMode::kFanOut;
      config.failover_millis = args->failover_ms;
      config.max_leases_for_worker = args->max_leases;
      config.embedded_coordinator_path = args->coordinator_path;
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
