// scripted_worker: a consumer worker whose record processor misbehaves on cue — the way
// real processors do — for the integration tests and the chaos harness. It is written as
// an application would be, against the public headers of libeddy_kcl only.
//
// It prints one JSON line per record processed (the fields of `eddy consume`, plus
// BatchStartMicros), and one line per lifecycle event ({"Event": "Initialize" |
// "ProcessFailed" | "ShardEnded" | "ShutdownRequested" | "LeaseLost" | "Checkpointed" |
// "CheckpointFailed", ...}). A record is printed only by a ProcessRecords call that returns
// normally (or, with --partial-on-failure, when the processor checkpointed it explicitly
// before throwing): "printed" means "processed".
//
// Behaviour:
//   --fail KEY#COUNTER[:TIMES]  ProcessRecords throws while its batch holds that record of
//                               `eddy produce` (or of the chaos producer), TIMES times (0 or
//                               absent: every time). May repeat.
//   --fail-rate P --seed S      besides, each call throws with probability P (transient).
//   --throw-in CALLBACK[:TIMES] Initialize, ShardEnded, ShutdownRequested or LeaseLost
//                               throws (after printing its event), TIMES times (0 or absent:
//                               every time). May repeat.
//   --partial-on-failure        a failing call first processes the records before the first
//                               poisoned one and checkpoints the last of them explicitly.
//   --checkpoint MODE           batch: Checkpoint() at the end of each call (default);
//                               record: Checkpoint(record) after each record; prepare:
//                               Prepare(last) then CommitPending(); prepare-only:
//                               Prepare(last), never committed; none.
//   --shutdown-checkpoint yes|no  ShutdownRequested calls Checkpoint() (default yes).
//   --at-shard-end WHAT         checkpoint (default) | forget (never checkpoints SHARD_END) |
//                               crash-once:PATH (dies before the SHARD_END checkpoint, the
//                               first time: PATH marks it) | crash-after-once:PATH (dies right
//                               after it, before the children's leases are created).
// Config flags: --application --stream-name --worker-id --failover-ms --initial-position
// (TRIM_HORIZON | LATEST | AT_TIMESTAMP) --timestamp-millis --retrieval (fan-out | polling)
// --on-error (retry | stop-shard) --max-leases --max-steal --coordinator [eddy://]HOST:PORT
// --embedded-coordinator PATH --out-of-range (deliver | drop) --shard-sync-ms; the broker
// comes from EDDY_ENDPOINT; --endpoint-url URL [--http2] reads records over the Kinesis
// HTTP API there instead. SIGTERM / SIGINT shut down gracefully.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/errors.h"
#include "kcl/scheduler.h"

namespace {

using eddy::kcl::Checkpointer;
using eddy::kcl::KinesisClientRecord;
using Json = nlohmann::json;

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

std::mutex out_mu;

void Print(const Json& line) {
  std::lock_guard<std::mutex> lock(out_mu);
  std::cout << line.dump() << "\n";
  std::cout.flush();
}

// "key#counter" of a record written by `eddy produce` (data "eddy-produce|key|counter|…").
std::string RecordId(const KinesisClientRecord& record) {
  std::vector<absl::string_view> parts = absl::StrSplit(record.data, absl::MaxSplits('|', 3));
  if (parts.size() < 3 || parts[0] != "eddy-produce") return "";
  return absl::StrCat(parts[1], "#", parts[2]);
}

struct Script {
  std::string worker_id;
  std::map<std::string, int> failures;  // record id → failures left (-1: forever)
  std::map<std::string, int> throws;    // callback → throws left (-1: forever)
  double fail_rate = 0;
  uint64_t seed = 1;
  bool partial_on_failure = false;
  std::string checkpoint = "batch";
  bool shutdown_checkpoint = true;
  std::string at_shard_end = "checkpoint";
  std::mutex mu;  // guards `failures` and `throws` (processors of several shards share them)
};

class ScriptedProcessor final : public eddy::kcl::RecordProcessor {
 public:
  explicit ScriptedProcessor(Script& script) : script_(script) {}

  void Initialize(const eddy::kcl::InitializationInput& input) override {
    shard_ = input.shard_id;
    rng_.seed(script_.seed ^ std::hash<std::string>()(shard_) ^ static_cast<uint64_t>(getpid()));
    Json line = Event("Initialize");
    line["Checkpoint"] = input.checkpoint.ToString();
    if (input.pending_checkpoint) line["Pending"] = input.pending_checkpoint->ToString();
    Print(line);
    MaybeThrow("Initialize");
  }

  void ProcessRecords(const eddy::kcl::ProcessRecordsInput& input) override {
    const int64_t start = NowMicros();
    const int poisoned = FirstPoisoned(input.records);
    const bool random_failure = script_.fail_rate > 0 && std::uniform_real_distribution<double>(
                                                             0, 1)(rng_) < script_.fail_rate;
    if (poisoned >= 0 || random_failure) {
      Json line = Event("ProcessFailed");
      line["First"] = input.records.front().sequence_number;
      line["Records"] = input.records.size();
      line["Poisoned"] = poisoned >= 0 ? RecordId(input.records[poisoned]) : "";
      if (script_.partial_on_failure && poisoned > 0) {
        const std::vector<KinesisClientRecord> done(input.records.begin(),
                                                    input.records.begin() + poisoned);
        const absl::Status s = input.checkpointer.Checkpoint(done.back());
        if (s.ok()) PrintRecords(done, input, start);  // processed, and vouched for
        line["PartialCheckpoint"] = s.ok() ? done.back().position().ToString() : s.ToString();
      }
      Print(line);
      throw std::runtime_error("scripted failure");
    }
    PrintRecords(input.records, input, start);
    Checkpoint(input);
  }

  void ShardEnded(Checkpointer& checkpointer) override {
    Print(Event("ShardEnded"));
    MaybeThrow("ShardEnded");
    const std::string& what = script_.at_shard_end;
    if (what == "forget") return;
    const bool crash_before = what.rfind("crash-once:", 0) == 0;
    const bool crash_after = what.rfind("crash-after-once:", 0) == 0;
    const bool crash = (crash_before || crash_after) && FirstTime(what.substr(what.find(':') + 1));
    if (crash && crash_before) _exit(3);
    Report(checkpointer.Checkpoint(), checkpointer);
    if (crash) _exit(3);
  }

  void ShutdownRequested(Checkpointer& checkpointer) override {
    Print(Event("ShutdownRequested"));
    MaybeThrow("ShutdownRequested");
    if (script_.shutdown_checkpoint) Report(checkpointer.Checkpoint(), checkpointer);
  }

  void LeaseLost() override {
    Print(Event("LeaseLost"));
    MaybeThrow("LeaseLost");
  }

 private:
  Json Event(const char* name) const {
    return Json{{"Event", name},
                {"ShardId", shard_},
                {"WorkerId", script_.worker_id},
                {"AtMicros", NowMicros()}};
  }

  void MaybeThrow(const std::string& callback) {
    {
      std::lock_guard<std::mutex> lock(script_.mu);
      auto it = script_.throws.find(callback);
      if (it == script_.throws.end() || it->second == 0) return;
      if (it->second > 0) --it->second;
    }
    throw std::runtime_error("scripted failure in " + callback);
  }

  // The index of the first record of `records` scripted to fail now, or -1.
  int FirstPoisoned(const std::vector<KinesisClientRecord>& records) {
    std::lock_guard<std::mutex> lock(script_.mu);
    if (script_.failures.empty()) return -1;
    for (size_t i = 0; i < records.size(); ++i) {
      auto it = script_.failures.find(RecordId(records[i]));
      if (it == script_.failures.end() || it->second == 0) continue;
      if (it->second > 0) --it->second;
      return static_cast<int>(i);
    }
    return -1;
  }

  static bool FirstTime(const std::string& marker) {
    const int fd = open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) return false;
    close(fd);
    return true;
  }

  void PrintRecords(const std::vector<KinesisClientRecord>& records,
                    const eddy::kcl::ProcessRecordsInput& input, int64_t start) {
    std::lock_guard<std::mutex> lock(out_mu);
    const int64_t now = NowMicros();
    for (const KinesisClientRecord& r : records) {
      std::cout << Json{{"ShardId", r.shard_id},
                        {"SequenceNumber", r.sequence_number},
                        {"SubSequenceNumber", r.sub_sequence_number},
                        {"PartitionKey", r.partition_key},
                        {"Data", absl::Base64Escape(r.data)},
                        {"WorkerId", script_.worker_id},
                        {"BatchStartMicros", start},
                        {"ProcessedAtMicros", now},
                        {"MillisBehindLatest", input.millis_behind_latest}}
                       .dump()
                << "\n";
    }
    std::cout.flush();
  }

  void Checkpoint(const eddy::kcl::ProcessRecordsInput& input) {
    Checkpointer& checkpointer = input.checkpointer;
    const std::string& mode = script_.checkpoint;
    if (mode == "batch") {
      checkpointer.Checkpoint().IgnoreError();  // deferred until this call returns
    } else if (mode == "record") {
      for (const KinesisClientRecord& r : input.records) {
        if (!Report(checkpointer.Checkpoint(r), checkpointer)) break;
      }
    } else if (mode == "prepare" || mode == "prepare-only") {
      const KinesisClientRecord& last = input.records.back();
      if (Report(checkpointer.Prepare(last.sequence_number, last.sub_sequence_number, "state"),
                 checkpointer) &&
          mode == "prepare") {
        Report(checkpointer.CommitPending(), checkpointer);
      }
    }
  }

  // Prints the outcome of a checkpoint call made at once; true if it succeeded.
  bool Report(const absl::Status& status, Checkpointer& checkpointer) {
    Json line = Event(status.ok() ? "Checkpointed" : "CheckpointFailed");
    line["Value"] = status.ok() ? checkpointer.last_checkpoint().ToString() : status.ToString();
    if (!status.ok()) line["Retryable"] = eddy::common::IsRetryable(status);
    Print(line);
    return status.ok();
  }

  Script& script_;
  std::string shard_;
  std::mt19937_64 rng_;
};

eddy::kcl::InitialPosition ParsePosition(const std::string& text) {
  if (text == "LATEST") return eddy::kcl::InitialPosition::kLatest;
  if (text == "AT_TIMESTAMP") return eddy::kcl::InitialPosition::kAtTimestamp;
  return eddy::kcl::InitialPosition::kTrimHorizon;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts: SIGTERM / SIGINT go to the watcher below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  CLI::App app("scripted_worker");
  eddy::kcl::Config config;
  Script script;
  std::string position = "TRIM_HORIZON", retrieval = "fan-out", on_error = "retry",
              out_of_range = "deliver", shutdown_checkpoint = "yes";
  std::vector<std::string> fail, throw_in;
  app.add_option("--application", config.application_name)->required();
  app.add_option("--stream-name", config.stream_name)->required();
  app.add_option("--worker-id", config.worker_id)->required();
  app.add_option("--failover-ms", config.failover_millis);
  app.add_option("--initial-position", position)
      ->check(CLI::IsMember({"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"}));
  app.add_option("--timestamp-millis", config.initial_timestamp_millis);
  app.add_option("--retrieval", retrieval)->check(CLI::IsMember({"fan-out", "polling"}));
  app.add_option("--on-error", on_error)->check(CLI::IsMember({"retry", "stop-shard"}));
  app.add_option("--max-leases", config.max_leases_for_worker);
  app.add_option("--max-steal", config.max_leases_to_steal);
  app.add_option("--coordinator", config.coordinator_endpoint);  // [eddy://]HOST:PORT
  app.add_option("--embedded-coordinator", config.embedded_coordinator_path);
  std::string etcd;  // HOST:PORT[,HOST:PORT...]: leases in etcd
  app.add_option("--etcd", etcd);
  app.add_option("--session-ttl-ms", config.etcd_session_ttl_millis);
  app.add_option("--out-of-range", out_of_range)->check(CLI::IsMember({"deliver", "drop"}));
  app.add_option("--shard-sync-ms", config.shard_sync_interval_millis);
  app.add_option("--fail", fail);
  app.add_option("--throw-in", throw_in);
  app.add_option("--fail-rate", script.fail_rate);
  app.add_option("--seed", script.seed);
  app.add_flag("--partial-on-failure", script.partial_on_failure);
  app.add_option("--checkpoint", script.checkpoint)
      ->check(CLI::IsMember({"batch", "record", "prepare", "prepare-only", "none"}));
  app.add_option("--shutdown-checkpoint", shutdown_checkpoint)->check(CLI::IsMember({"yes", "no"}));
  app.add_option("--at-shard-end", script.at_shard_end);
  std::string endpoint_url;
  bool http2 = false;
  // Records over the Kinesis HTTP API at this URL (leases still in the broker at
  // EDDY_ENDPOINT, or --coordinator): the transport-parameterised suites use it.
  app.add_option("--endpoint-url", endpoint_url);
  app.add_flag("--http2", http2);
  CLI11_PARSE(app, argc, argv);

  // "WHAT[:TIMES]" → what, times (-1: forever).
  auto parse_rules = [](const std::vector<std::string>& rules, std::map<std::string, int>* out) {
    for (const std::string& rule : rules) {
      std::vector<std::string> parts = absl::StrSplit(rule, ':');
      int times = 0;
      if (parts.size() > 1 && !absl::SimpleAtoi(parts[1], &times)) return false;
      (*out)[parts[0]] = times == 0 ? -1 : times;
    }
    return true;
  };
  if (!parse_rules(fail, &script.failures) || !parse_rules(throw_in, &script.throws)) {
    std::cerr << "bad --fail or --throw-in rule\n";
    return 2;
  }
  if (!etcd.empty()) config.etcd_endpoints = absl::StrSplit(etcd, ',');
  script.shutdown_checkpoint = shutdown_checkpoint == "yes";
  script.worker_id = config.worker_id;
  config.initial_position = ParsePosition(position);
  config.retrieval_mode = retrieval == "polling" ? eddy::kcl::RetrievalMode::kPolling
                                                 : eddy::kcl::RetrievalMode::kFanOut;
  config.on_processor_error = on_error == "stop-shard" ? eddy::kcl::ProcessorErrorPolicy::kStopShard
                                                       : eddy::kcl::ProcessorErrorPolicy::kRetry;
  config.out_of_range_user_records = out_of_range == "drop"
                                         ? eddy::kcl::OutOfRangeUserRecords::kDrop
                                         : eddy::kcl::OutOfRangeUserRecords::kDeliver;
  config.polling_idle_millis = 50;
  if (const char* endpoint = getenv("EDDY_ENDPOINT")) config.endpoint = endpoint;
  if (absl::StartsWith(config.coordinator_endpoint, "eddy://")) {
    config.coordinator_endpoint = config.coordinator_endpoint.substr(7);
  }
  if (!endpoint_url.empty()) {
    config.transport = eddy::kcl::Transport::kKinesisHttp;
    config.kinesis.endpoint_url = endpoint_url;
    config.kinesis.http2_cleartext = http2;
  }

  auto scheduler = eddy::kcl::Scheduler::Create(
      config, [&](const std::string&) { return std::make_unique<ScriptedProcessor>(script); });
  if (!scheduler.ok()) {
    std::cerr << scheduler.status() << "\n";
    return 2;
  }
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    if (!finished) (*scheduler)->Shutdown();
  });
  const absl::Status status = (*scheduler)->Run();
  finished = true;
  pthread_kill(watcher.native_handle(), SIGTERM);  // lets the watcher return
  watcher.join();
  const eddy::kcl::WorkerMetrics metrics = (*scheduler)->metrics();
  Print(Json{{"Event", "Stopped"},
             {"WorkerId", config.worker_id},
             {"Status", status.ToString()},
             {"RecordsProcessed", metrics.records_processed},
             {"ProcessRecordsFailures", metrics.process_records_failures},
             {"OutOfRangeUserRecords", metrics.out_of_range_user_records}});
  return status.ok() ? 0 : 1;
}
