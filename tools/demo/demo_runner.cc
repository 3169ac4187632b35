#include "tools/demo/demo_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/remote_coordinator.h"
#include "client/stream_client.h"
#include "common/hash_key.h"
#include "tools/demo/child_process.h"
#include "tools/demo/live_view.h"
#include "tools/demo/output_tail.h"

namespace eddy::tools::demo {
namespace {

constexpr char kStream[] = "demo";
constexpr char kApplication[] = "demo";
constexpr char kKeyPrefix[] = "key-";

// When each step happens, in seconds after the producer starts.
struct Timeline {
  double rate;  // records per second
  double produce_seconds;
  int keys;
  double split_at, merge_at, kill_at, replace_at;
  double drain_seconds;  // longest wait for the last records after the producer ends

  int64_t records() const { return static_cast<int64_t>(rate * produce_seconds); }
};

Timeline TimelineFor(bool short_run) {
  if (short_run) return Timeline{1000, 12, 64, 2, 4, 6, 8, 60};
  return Timeline{1500, 40, 64, 6, 12, 18, 26, 60};
}

std::string ShardId(int index) { return absl::StrFormat("shardId-%012d", index); }

class Demo {
 public:
  Demo(const DemoOptions& options, std::ostream& out, const std::atomic<bool>& interrupted)
      : options_(options),
        out_(out),
        interrupted_(interrupted),
        timeline_(TimelineFor(options.short_run)) {}

  ~Demo() {
    if (remove_work_dir_) {
      std::error_code ignored;
      std::filesystem::remove_all(work_dir_, ignored);
    }
  }

  int Run() {
    if (absl::Status s = Prepare(); !s.ok()) return Fail(s);
    if (absl::Status s = StartBroker(); !s.ok()) return Fail(s);
    if (absl::Status s = CreateStream(); !s.ok()) return Fail(s);
    for (int i = 1; i <= 3; ++i) {
      if (absl::Status s = StartWorker(); !s.ok()) return Fail(s);
    }
    const bool interactive =
        options_.view == "live" || (options_.view == "auto" && isatty(STDOUT_FILENO));
    view_ = std::make_unique<LiveView>(
        out_, interactive,
        absl::StrFormat("Eddy demo — stream '%s', %d records over %d keys at %.0f/s, "
                        "3 workers",
                        kStream, timeline_.records(), timeline_.keys, timeline_.rate));
    view_->Event(absl::StrCat("broker on ", endpoint_, "; stream '", kStream,
                              "' with 4 shards; workers ", absl::StrJoin(worker_ids_, ", ")));
    if (!WaitUntil([&] { return OwnedLeases() == 4; }, 60)) {
      return Fail(absl::DeadlineExceededError("the workers did not take the 4 leases in 60 s"));
    }
    if (absl::Status s = StartProducer(); !s.ok()) return Fail(s);
    if (absl::Status s = RunTimeline(); !s.ok()) return Fail(s);
    return Finish();
  }

 private:
  absl::Status Prepare() {
    if (options_.work_dir.empty()) {
      const char* tmp = getenv("TMPDIR");
      std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/eddy-demo-XXXXXX");
      if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError("mkdtemp failed");
      work_dir_ = pattern;
      remove_work_dir_ = true;
    } else {
      work_dir_ = options_.work_dir;
      std::filesystem::create_directories(work_dir_);
    }
    self_ = SelfDirectory() + "/eddy";
    broker_binary_ = options_.broker_binary;
    if (broker_binary_.empty()) {
      for (const std::string& candidate :
           {SelfDirectory() + "/eddy-broker", SelfDirectory() + "/../broker/eddy-broker"}) {
        if (access(candidate.c_str(), X_OK) == 0) broker_binary_ = candidate;
      }
    }
    if (broker_binary_.empty()) {
      return absl::NotFoundError("eddy-broker not found next to eddy; pass --broker-bin");
    }
    return absl::OkStatus();
  }

  absl::Status StartBroker() {
    const std::string ready = work_dir_ + "/broker.ready";
    if (absl::Status s = broker_.Start(broker_binary_,
                                       {"--listen", "127.0.0.1:0", "--data-dir",
                                        work_dir_ + "/broker-data", "--ready-file", ready,
                                        "--kinesis-listen", "127.0.0.1:0"},
                                       {}, work_dir_ + "/broker.out", work_dir_ + "/broker.log");
        !s.ok()) {
      return s;
    }
    const bool up = WaitUntil(
        [&] {
          std::ifstream in(ready);
          return std::getline(in, endpoint_) && !endpoint_.empty();
        },
        20);
    if (!up) return absl::UnavailableError("the broker did not start within 20 s");
    streams_ = std::make_unique<client::StreamClient>(
        client::StreamClientOptions{endpoint_, std::chrono::seconds(10)});
    auto coordinator = std::make_shared<client::CoordinatorClient>(
        client::StreamClientOptions{endpoint_, std::chrono::seconds(10)});
    leases_ = std::make_unique<client::RemoteLeaseTable>(coordinator, kApplication);
    coordinator_ = coordinator;
    return absl::OkStatus();
  }

  absl::Status CreateStream() {
    v1::CreateStreamRequest request;
    request.set_stream_name(kStream);
    request.set_shard_count(4);
    return streams_->CreateStream(request).status();
  }

  absl::Status StartWorker() {
    const std::string id = absl::StrCat("worker-", worker_ids_.size() + 1);
    auto worker = std::make_unique<ChildProcess>();
    const std::string out = absl::StrCat(work_dir_, "/", id, ".out");
    if (absl::Status s = worker->Start(
            self_,
            {"consume", "--application", kApplication, "--stream-name", kStream, "--worker-id", id},
            {{"EDDY_ENDPOINT", endpoint_}}, out, absl::StrCat(work_dir_, "/", id, ".log"));
        !s.ok()) {
      return s;
    }
    tail_.Follow(out);
    worker_ids_.push_back(id);
    workers_[id] = std::move(worker);
    return absl::OkStatus();
  }

  absl::Status StartProducer() {
    produce_start_ = std::chrono::steady_clock::now();
    view_->Event(absl::StrFormat("producer started: %d records, %.0f/s, %d keys",
                                 timeline_.records(), timeline_.rate, timeline_.keys));
    return producer_.Start(
        self_,
        {"produce", "--stream-name", kStream, "--count", std::to_string(timeline_.records()),
         "--rate", absl::StrCat(timeline_.rate), "--keys", std::to_string(timeline_.keys), "--size",
         "100", "--key-prefix", kKeyPrefix},
        {{"EDDY_ENDPOINT", endpoint_}}, work_dir_ + "/producer.out", work_dir_ + "/producer.log");
  }

  double SinceProduceStart() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - produce_start_).count();
  }

  // The demo's steps, in order, while the view follows.
  absl::Status RunTimeline() {
    bool split = false, merged = false, killed = false, replaced = false, produced = false;
    while (!interrupted_) {
      Poll();
      const double t = SinceProduceStart();
      if (!split && t >= timeline_.split_at) {
        split = true;
        if (absl::Status s = SplitInHalf(ShardId(0)); !s.ok()) return s;
        view_->Event(absl::StrCat("split shard 0 → ", ShardsSummary()));
      }
      if (!merged && t >= timeline_.merge_at) {
        merged = true;
        v1::MergeShardsRequest request;
        request.mutable_stream()->set_stream_name(kStream);
        request.set_shard_to_merge(ShardId(2));
        request.set_adjacent_shard_to_merge(ShardId(3));
        if (absl::Status s = streams_->MergeShards(request).status(); !s.ok()) return s;
        view_->Event(absl::StrCat("merged shards 2 + 3 → ", ShardsSummary()));
      }
      if (!killed && t >= timeline_.kill_at) {
        killed = true;
        KillBusiestWorker();
      }
      if (!replaced && t >= timeline_.replace_at) {
        replaced = true;
        if (absl::Status s = StartWorker(); !s.ok()) return s;
        view_->Event(absl::StrCat("started replacement ", worker_ids_.back(),
                                  ": it asks for its share, owners hand leases over"));
      }
      WatchFailover();
      if (!produced && !producer_.running()) {
        produced = true;
        if (absl::Status s = ProducerResult(); !s.ok()) return s;
        drain_deadline_ = SinceProduceStart() + timeline_.drain_seconds;
      }
      if (produced && split && merged && killed && replaced) {
        if (distinct_.size() >= static_cast<size_t>(timeline_.records())) {
          view_->Event("every record processed");
          return absl::OkStatus();
        }
        if (SinceProduceStart() > drain_deadline_) {
          view_->Event("gave up waiting for the last records");
          return absl::OkStatus();  // the verdict reports what is missing
        }
      }
      if (!broker_.running()) return absl::InternalError("the broker died; see broker.log");
      view_->Render();
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return absl::CancelledError("interrupted");
  }

  void Poll() {
    std::vector<ProcessedRecord> records = tail_.Poll();
    for (const ProcessedRecord& r : records) {
      distinct_.insert(absl::StrCat(r.partition_key, "#", r.counter));
    }
    view_->AddProcessed(records);
    processed_.insert(processed_.end(), std::make_move_iterator(records.begin()),
                      std::make_move_iterator(records.end()));
    shards_ = ListShards();
    absl::StatusOr<std::vector<lease::Lease>> leases = leases_->List();
    if (leases.ok()) {
      current_leases_ = *leases;
      view_->UpdateLeases(shards_, current_leases_);
    }
    view_->SetStatus(absl::StrFormat("producer %s; %d records processed (%d distinct)",
                                     producer_.running()
                                         ? absl::StrFormat("writing (%.0fs)", SinceProduceStart())
                                         : std::string("done"),
                                     processed_.size(), distinct_.size()));
  }

  std::vector<v1::Shard> ListShards() {
    v1::ListShardsRequest request;
    request.mutable_stream()->set_stream_name(kStream);
    absl::StatusOr<v1::ListShardsResponse> response = streams_->ListShards(request);
    if (!response.ok()) return shards_;
    return {response->shards().begin(), response->shards().end()};
  }

  std::string ShardsSummary() {
    std::vector<std::string> open;
    for (const v1::Shard& shard : ListShards()) {
      if (shard.sequence_number_range().ending_sequence_number().empty()) {
        open.push_back(ShortShardId(shard.shard_id()));
      }
    }
    return absl::StrCat("open shards now: ", absl::StrJoin(open, ", "));
  }

  absl::Status SplitInHalf(const std::string& shard_id) {
    for (const v1::Shard& shard : ListShards()) {
      if (shard.shard_id() != shard_id) continue;
      common::HashKey start = 0;
      common::HashKey end = 0;
      common::ParseDecimalUint128(shard.hash_key_range().starting_hash_key(), &start);
      common::ParseDecimalUint128(shard.hash_key_range().ending_hash_key(), &end);
      v1::SplitShardRequest request;
      request.mutable_stream()->set_stream_name(kStream);
      request.set_shard_to_split(shard_id);
      request.set_new_starting_hash_key(common::FormatUint128(start + (end - start) / 2 + 1));
      return streams_->SplitShard(request).status();
    }
    return absl::NotFoundError(shard_id);
  }

  int OwnedLeases() {
    Poll();
    int owned = 0;
    for (const lease::Lease& lease : current_leases_) owned += lease.owner.empty() ? 0 : 1;
    return owned;
  }

  void KillBusiestWorker() {
    std::map<std::string, std::vector<std::string>> held;
    for (const lease::Lease& lease : current_leases_) {
      if (!lease.owner.empty()) held[lease.owner].push_back(lease.key);
    }
    std::string victim = worker_ids_.front();
    for (const auto& [owner, keys] : held) {
      if (workers_.count(owner) != 0 && keys.size() > held[victim].size()) victim = owner;
    }
    workers_[victim]->Stop(SIGKILL, std::chrono::seconds(5));
    killed_.insert(victim);
    view_->SetWorkerNote(victim, "killed");
    failover_keys_ = held[victim];
    failover_start_ = std::chrono::steady_clock::now();
    view_->Event(absl::StrFormat("SIGKILL %s (held %d leases) — no goodbye, no checkpoint", victim,
                                 failover_keys_.size()));
  }

  // Reports when every lease of the killed worker has a live owner again.
  void WatchFailover() {
    if (failover_keys_.empty()) return;
    // Each of its leases has a live owner — or needs none: finished (SHARD_END), or gone.
    for (const lease::Lease& lease : current_leases_) {
      if (std::find(failover_keys_.begin(), failover_keys_.end(), lease.key) ==
          failover_keys_.end()) {
        continue;
      }
      const bool live_owner = !lease.owner.empty() && killed_.count(lease.owner) == 0;
      if (!live_owner && lease.checkpoint != checkpoint::ExtendedSequenceNumber::ShardEnd()) {
        return;
      }
    }
    failover_millis_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                 failover_start_)
                           .count();
    view_->Event(absl::StrFormat("the killed worker's leases have new owners after %.0f ms",
                                 failover_millis_));
    failover_keys_.clear();
  }

  absl::Status ProducerResult() {
    const int status = producer_.status();
    std::ifstream in(work_dir_ + "/producer.out");
    nlohmann::json result = nlohmann::json::parse(in, nullptr, false);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !result.is_object()) {
      return absl::InternalError(
          absl::StrCat("the producer failed (status ", status, "); see producer.log"));
    }
    acknowledged_ = result.value("RecordsAcknowledged", int64_t{0});
    view_->Event(
        absl::StrFormat("producer done: %d records acknowledged, %d throttled and "
                        "retried",
                        acknowledged_, result.value("ThrottledRecords", int64_t{0})));
    return absl::OkStatus();
  }

  int Finish() {
    // Graceful stop: processors checkpoint and leases are released.
    for (auto& [id, worker] : workers_) {
      if (worker->running()) worker->Signal(SIGTERM);
    }
    for (auto& [id, worker] : workers_) worker->Stop(SIGTERM, std::chrono::seconds(20));
    Poll();
    view_->Render();
    broker_.Stop(SIGTERM, std::chrono::seconds(20));

    const Verdict verdict =
        Judge(processed_, ProducedPerKey(timeline_.records(), timeline_.keys, kKeyPrefix), killed_);
    PrintVerdict(verdict);
    if (!options_.verdict_file.empty()) WriteVerdict(verdict);
    return verdict.ok() && acknowledged_ == timeline_.records() ? kDemoPassed : kDemoVerdictFailed;
  }

  void PrintVerdict(const Verdict& v) {
    out_ << "\n\033[1mVerdict\033[0m (from what the record processors saw)\n";
    out_ << absl::StrFormat("  records produced (acknowledged)  %d\n", acknowledged_);
    out_ << absl::StrFormat("  records processed                %d  (%d distinct)\n", v.processed,
                            v.distinct);
    out_ << absl::StrFormat("  missing                          %d\n", v.missing);
    out_ << absl::StrFormat("  per-key order violations         %d\n", v.order_violations);
    out_ << absl::StrFormat("  duplicates                       %d\n", v.duplicates);
    for (const auto& [reason, count] : v.duplicate_reasons) {
      out_ << absl::StrFormat("    %8d  %s\n", count, reason);
    }
    if (v.unexpected > 0) {
      out_ << absl::StrFormat("  records never produced           %d\n", v.unexpected);
    }
    if (failover_millis_ > 0) {
      out_ << absl::StrFormat("  killed worker's leases re-owned  %.0f ms after SIGKILL\n",
                              failover_millis_);
    }
    for (const std::string& example : v.examples) out_ << "  e.g. " << example << "\n";
    const bool passed = v.ok() && acknowledged_ == timeline_.records();
    out_ << (passed ? "\n\033[32mPASS\033[0m: nothing missing, every key in order.\n"
                    : "\n\033[31mFAIL\033[0m\n");
    if (!passed) out_ << "  logs kept in " << KeepWorkDir() << "\n";
    out_ << std::flush;
  }

  void WriteVerdict(const Verdict& v) {
    nlohmann::json reasons = nlohmann::json::object();
    for (const auto& [reason, count] : v.duplicate_reasons) reasons[reason] = count;
    nlohmann::json json = {{"Produced", acknowledged_},
                           {"Expected", timeline_.records()},
                           {"Processed", v.processed},
                           {"Distinct", v.distinct},
                           {"Missing", v.missing},
                           {"OrderViolations", v.order_violations},
                           {"Duplicates", v.duplicates},
                           {"DuplicateReasons", reasons},
                           {"Unexpected", v.unexpected},
                           {"KilledWorkers", killed_},
                           {"FailoverMillis", failover_millis_},
                           {"Passed", v.ok() && acknowledged_ == timeline_.records()}};
    std::ofstream(options_.verdict_file) << json.dump(2) << "\n";
  }

  std::string KeepWorkDir() {
    remove_work_dir_ = false;
    return work_dir_;
  }

  int Fail(const absl::Status& status) {
    if (status.code() == absl::StatusCode::kCancelled && interrupted_) {
      out_ << "\ninterrupted\n";
      return kDemoInterrupted;
    }
    out_ << "\n\033[31mthe demo could not run\033[0m: " << status.ToString() << "\n"
         << "  logs kept in " << KeepWorkDir() << "\n";
    return kDemoCouldNotRun;
  }

  bool WaitUntil(const std::function<bool()>& condition, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(seconds));
    while (!interrupted_ && std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  const DemoOptions& options_;
  std::ostream& out_;
  const std::atomic<bool>& interrupted_;
  const Timeline timeline_;
  std::string work_dir_;
  bool remove_work_dir_ = false;
  std::string self_;
  std::string broker_binary_;
  std::string endpoint_;
  ChildProcess broker_;
  ChildProcess producer_;
  std::map<std::string, std::unique_ptr<ChildProcess>> workers_;
  std::vector<std::string> worker_ids_;
  std::set<std::string> killed_;
  std::unique_ptr<client::StreamClient> streams_;
  std::shared_ptr<client::CoordinatorClient> coordinator_;
  std::unique_ptr<client::RemoteLeaseTable> leases_;
  std::unique_ptr<LiveView> view_;
  OutputTail tail_;
  std::vector<ProcessedRecord> processed_;
  std::set<std::string> distinct_;
  std::vector<v1::Shard> shards_;
  std::vector<lease::Lease> current_leases_;
  std::chrono::steady_clock::time_point produce_start_;
  double drain_deadline_ = 0;
  int64_t acknowledged_ = 0;
  std::vector<std::string> failover_keys_;
  std::chrono::steady_clock::time_point failover_start_;
  double failover_millis_ = 0;
};

}  // namespace

int RunDemo(const DemoOptions& options, std::ostream& out, const std::atomic<bool>& interrupted) {
  Demo demo(options, out, interrupted);
  return demo.Run();
}

}  // namespace eddy::tools::demo
