#include "tests/chaos/runner.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/remote_coordinator.h"
#include "coordination/etcd_coordinator.h"
#include "tests/integration/etcd_cluster.h"
#include "client/stream_client.h"
#include "common/hash_key.h"
#include "tests/integration/keyed_producer.h"
#include "tests/integration/process_harness.h"
#include "tools/processing_verdict.h"

namespace eddy::chaos {
namespace {

using testing::BackgroundProcess;
using testing::BrokerProcess;
using testing::KeyedProducer;

constexpr char kStream[] = "s";
constexpr char kApplication[] = "app";
constexpr int kMaxOpenShards = 8;

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

struct OpenShard {
  std::string id;
  common::HashKey start = 0;
  common::HashKey end = 0;
};

class Run {
 public:
  Run(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario), options_(options) {}

  RunResult Go() {
    const int64_t began = NowMicros();
    RunResult result;
    result.error = Setup();
    if (result.error.empty()) {
      Chaos();
      Heal();
      Drain();
    }
    StopEverything();
    if (result.error.empty()) {
      result.judgement = JudgeRun(Collect());
      if (!drained_) {
        // Liveness: what the workers had not processed by then counts, even if stopping
        // them (leases released) let the last one finish it.
        result.judgement.violations.push_back(
            absl::StrCat("stalled: acknowledged records still unprocessed ",
                         absl::FormatDuration(absl::FromChrono(options_.drain_timeout)),
                         " after the chaos ended (", stalled_, " of them)"));
      }
    }
    result.log = log_;
    result.elapsed_millis = (NowMicros() - began) / 1000;
    if (!options_.keep_files && result.ok()) {
      std::error_code ignored;
      std::filesystem::remove_all(options_.work_dir, ignored);
    }
    return result;
  }

 private:
  struct Worker {
    WorkerPlan plan;
    std::unique_ptr<BackgroundProcess> process;
    bool gone = false;  // killed, or shut down
    std::atomic<bool> frozen{false};
  };

  void Log(const std::string& text) {
    const std::string line =
        absl::StrCat("[+", (NowMicros() - chaos_start_micros_) / 1000, " ms] ", text);
    std::lock_guard<std::mutex> lock(mu_);
    log_.push_back(line);
    if (options_.verbose) fprintf(stderr, "%s\n", line.c_str());
  }

  std::vector<std::string> BrokerArgs(bool same_port) {
    std::vector<std::string> args = {"--consumer-activation-ms",
                                     "0",
                                     "--subscription-takeover-ms",
                                     "200",
                                     "--log-level",
                                     "warn"};
    if (scenario_.broker_limits == "none") args.insert(args.end(), {"--limits", "none"});
    if (same_port) args.insert(args.end(), {"--listen", address_});
    return args;
  }

  std::string Setup() {
    std::filesystem::create_directories(options_.work_dir);
    data_dir_ = options_.work_dir + "/data";
    chaos_start_micros_ = NowMicros();
    if (!broker_.Start(data_dir_, BrokerArgs(false))) return "the broker did not start";
    address_ = broker_.address();
    client_ = std::make_unique<client::StreamClient>(
        client::StreamClientOptions{address_, std::chrono::seconds(5)});
    if (scenario_.coordinator == "etcd") {
      etcd_ = std::make_unique<testing::EtcdCluster>(options_.work_dir + "/etcd", 3);
      if (!etcd_->Start()) return "the etcd cluster did not start";
      coordination::EtcdCoordinatorOptions options;
      options.client.endpoints = etcd_->endpoints();
      options.client.timeout = std::chrono::seconds(2);
      etcd_coordinator_ = std::make_unique<coordination::EtcdCoordinator>(options);
      // The workers create it too; the sampler needs it before the first one does.
      absl::StatusOr<bool> created = etcd_coordinator_->CreateApplication(kApplication);
      if (!created.ok()) return "etcd CreateApplication: " + created.status().ToString();
      leases_ = etcd_coordinator_->Leases(kApplication);
    } else {
      coordinator_ = std::make_shared<client::CoordinatorClient>(
          client::StreamClientOptions{address_, std::chrono::seconds(2)});
      leases_ = std::make_unique<client::RemoteLeaseTable>(coordinator_, kApplication);
    }
    v1::CreateStreamRequest create;
    create.set_stream_name(kStream);
    create.set_shard_count(scenario_.shards);
    if (auto created = client_->CreateStream(create); !created.ok()) {
      return "CreateStream: " + created.status().ToString();
    }
    for (int k = 0; k < scenario_.keys; ++k) keys_.push_back(absl::StrCat("k", k));
    producer_ = std::make_unique<KeyedProducer>(address_, kStream, scenario_.records_per_aggregate);

    if (scenario_.initial_position == "AT_TIMESTAMP") {
      // Records before the start, which must never be processed.
      KeyedProducer before(address_, kStream);
      std::vector<std::string> before_keys;
      for (int k = 0; k < 6; ++k) before_keys.push_back(absl::StrCat("before-k", k));
      if (!before.Put(before_keys, 5).ok()) return "could not write the records before the start";
      forbidden_.insert(before_keys.begin(), before_keys.end());
      const int64_t last = before.Acked().back().acked_at_micros / 1000;
      while (absl::ToUnixMillis(absl::Now()) <= last + 2) absl::SleepFor(absl::Milliseconds(1));
      start_timestamp_millis_ = absl::ToUnixMillis(absl::Now());
    }
    sampler_ = std::thread([this] { SampleLeases(); });
    if (scenario_.initial_position == "LATEST") {
      int capacity = 0;
      for (const WorkerPlan& plan : scenario_.workers) {
        StartWorker(plan);
        capacity += plan.max_leases > 0 ? plan.max_leases : scenario_.shards;
      }
      if (capacity < scenario_.shards) {  // capped workers cannot hold every lease
        WorkerPlan spare;
        spare.id = absl::StrCat("spare", spares_++);
        StartWorker(spare);
      }
      workers_started_ = true;
      if (std::string error = AwaitLatestResolved(); !error.empty()) return error;
    }
    return "";
  }

  // Every lease's checkpoint holds a real position: the workers recorded where LATEST was.
  // Polling only records it with a first processed batch: primer records (on every shard,
  // neither required nor forbidden) are written until then.
  std::string AwaitLatestResolved() {
    std::vector<std::string> primer_keys;
    std::set<std::string> shards_covered;
    const std::vector<OpenShard> open = OpenShards();
    for (int k = 0; shards_covered.size() < open.size() && k < 1000; ++k) {
      const std::string key = absl::StrCat("primer-", k);
      const common::HashKey hash = common::HashKeyOfPartitionKey(key);
      for (const OpenShard& shard : open) {
        if (shard.start <= hash && hash <= shard.end && shards_covered.insert(shard.id).second) {
          primer_keys.push_back(key);
        }
      }
    }
    ignored_.insert(primer_keys.begin(), primer_keys.end());
    KeyedProducer primer(address_, kStream);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      absl::StatusOr<std::vector<lease::Lease>> all = leases_->List();
      size_t resolved = 0;
      if (all.ok()) {
        for (const lease::Lease& lease : *all) resolved += lease.checkpoint.is_sentinel() ? 0 : 1;
      }
      if (all.ok() && resolved == open.size() && all->size() == open.size()) {
        Log("every lease has recorded where LATEST was");
        return "";
      }
      if (scenario_.retrieval == "polling") primer.Put(primer_keys, 1).IgnoreError();
      absl::SleepFor(absl::Milliseconds(200));
    }
    return "the workers never recorded where LATEST was";
  }

  void SampleLeases() {
    while (!stop_sampling_.load()) {
      TakeLeaseSample();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  void TakeLeaseSample() {
    absl::StatusOr<std::vector<lease::Lease>> all = leases_->List();
    if (!all.ok()) return;
    LeaseSample sample;
    sample.at_micros = NowMicros();
    for (const lease::Lease& lease : *all)
      sample.checkpoints[lease.key] = lease.checkpoint.ToString();
    std::lock_guard<std::mutex> lock(mu_);
    samples_.push_back(std::move(sample));
  }

  Worker& StartWorker(const WorkerPlan& plan) {
    auto worker = std::make_unique<Worker>();
    worker->plan = plan;
    worker->process = std::make_unique<BackgroundProcess>();
    std::vector<std::string> args = {"--application",
                                     kApplication,
                                     "--stream-name",
                                     kStream,
                                     "--worker-id",
                                     plan.id,
                                     "--failover-ms",
                                     std::to_string(scenario_.failover_millis),
                                     "--initial-position",
                                     scenario_.initial_position,
                                     "--retrieval",
                                     scenario_.retrieval,
                                     "--shard-sync-ms",
                                     "1000",
                                     "--seed",
                                     std::to_string(scenario_.seed)};
    if (start_timestamp_millis_ > 0) {
      args.insert(args.end(), {"--timestamp-millis", std::to_string(start_timestamp_millis_)});
    }
    if (etcd_ != nullptr) {
      args.insert(args.end(), {"--etcd", absl::StrJoin(etcd_->endpoints(), ","),
                               "--session-ttl-ms", "2000"});
    }
    const std::vector<std::string> own = plan.Arguments();
    args.insert(args.end(), own.begin(), own.end());
    if (plan.at_shard_end == "crash-after-once") {
      // The marker makes it crash the first time only.
      for (std::string& arg : args) {
        if (arg == "crash-after-once") arg += ":" + options_.work_dir + "/" + plan.id + ".crashed";
      }
    }
    worker->process->Start(options_.worker_binary, args, {{"EDDY_ENDPOINT", address_}},
                           options_.work_dir + "/" + plan.id + ".out");
    Log(absl::StrCat("started worker ", plan.id, " [", absl::StrJoin(own, " "), "]"));
    std::lock_guard<std::mutex> lock(mu_);
    workers_.push_back(std::move(worker));
    return *workers_.back();
  }

  // Workers alive and not frozen, in start order.
  std::vector<Worker*> LiveWorkers() {
    std::vector<Worker*> live;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& worker : workers_) {
      if (!worker->gone && !worker->frozen.load() && worker->process->Alive()) {
        live.push_back(worker.get());
      }
    }
    return live;
  }

  std::vector<OpenShard> OpenShards() {
    std::vector<OpenShard> open;
    v1::ListShardsRequest request;
    request.mutable_stream()->set_stream_name(kStream);
    auto listed = client_->ListShards(request);
    if (!listed.ok()) return open;
    for (const v1::Shard& shard : listed->shards()) {
      if (!shard.sequence_number_range().ending_sequence_number().empty()) continue;
      OpenShard s{shard.shard_id(), 0, 0};
      common::ParseDecimalUint128(shard.hash_key_range().starting_hash_key(), &s.start);
      common::ParseDecimalUint128(shard.hash_key_range().ending_hash_key(), &s.end);
      open.push_back(s);
    }
    std::sort(open.begin(), open.end(),
              [](const OpenShard& a, const OpenShard& b) { return a.start < b.start; });
    return open;
  }

  void Chaos() {
    chaos_start_micros_ = NowMicros();
    Log(absl::StrCat("chaos begins: ", scenario_.produce_millis, " ms of records"));
    std::thread producer([this] { Produce(); });
    std::vector<Action> actions = scenario_.actions;
    if (!workers_started_) {
      Action start;
      start.at_millis = scenario_.workers_start_millis;
      start.kind = ActionKind::kStartWorker;
      start.pick = UINT64_MAX;  // the scenario's first workers
      actions.insert(actions.begin(), start);
      std::stable_sort(actions.begin(), actions.end(),
                       [](const Action& a, const Action& b) { return a.at_millis < b.at_millis; });
    }
    for (const Action& action : actions) {
      const absl::Time due = absl::FromUnixMicros(chaos_start_micros_ + action.at_millis * 1000);
      absl::SleepFor(std::max(absl::ZeroDuration(), due - absl::Now()));
      Do(action);
    }
    producer.join();
    Log(absl::StrCat("chaos ends: ", producer_->Acked().size(), " records acknowledged"));
  }

  void Produce() {
    const absl::Time start = absl::FromUnixMicros(chaos_start_micros_);
    absl::SleepFor(start + absl::Milliseconds(scenario_.produce_after_millis) - absl::Now());
    const absl::Time end = start + absl::Milliseconds(scenario_.produce_millis);
    for (int round = 0; absl::Now() < end && round < 100'000; ++round) {
      if (absl::Status s = producer_->Put(keys_, 1); !s.ok()) {
        Log("the producer gave up a round: " + s.ToString());
        return;
      }
      absl::SleepFor(absl::Milliseconds(scenario_.round_pause_millis));
    }
  }

  void Do(const Action& action) {
    switch (action.kind) {
      case ActionKind::kStartWorker:
        if (action.pick == UINT64_MAX) {
          for (const WorkerPlan& plan : scenario_.workers) StartWorker(plan);
          workers_started_ = true;
        } else {
          StartWorker(action.worker);
        }
        return;
      case ActionKind::kKillWorker:
      case ActionKind::kTermWorker:
      case ActionKind::kFreezeWorker:
        return SignalWorker(action);
      case ActionKind::kKillBroker: {
        Log("SIGKILL broker");
        broker_.Stop(SIGKILL);
        if (!broker_.Start(data_dir_, BrokerArgs(true))) Log("the broker did not come back");
        Log("broker restarted");
        return;
      }
      case ActionKind::kSplit:
      case ActionKind::kMerge:
      case ActionKind::kScale:
        return Reshard(action);
      case ActionKind::kTakeover:
        helpers_.emplace_back([this, action] { TakeOver(action); });
        return;
      case ActionKind::kKillEtcdMember:
        return KillEtcdMember(action);
    }
  }

  // One member down at a time, so the cluster keeps its quorum; back after the duration.
  void KillEtcdMember(const Action& action) {
    if (etcd_ == nullptr) return;
    std::lock_guard<std::mutex> lock(etcd_mu_);
    for (int i = 0; i < etcd_->size(); ++i) {
      if (!etcd_->process(i).running()) return Log("kill-etcd-member: one is down already");
    }
    const int leader = etcd_->Leader();
    // Half the time the leader, or the member the pick names.
    const int member = action.pick % 2 == 0 && leader >= 0
                           ? leader
                           : static_cast<int>(action.pick / 2 % etcd_->size());
    etcd_->Kill(member);
    Log(absl::StrCat("SIGKILL etcd member ", member, member == leader ? " (the leader)" : "",
                     " for ", action.duration_millis, " ms"));
    helpers_.emplace_back([this, member, action] {
      absl::SleepFor(absl::Milliseconds(action.duration_millis));
      std::lock_guard<std::mutex> lock(etcd_mu_);
      Log(etcd_->Restart(member) ? absl::StrCat("etcd member ", member, " restarted")
                                 : absl::StrCat("etcd member ", member, " did not come back"));
    });
  }

  void SignalWorker(const Action& action) {
    std::vector<Worker*> live = LiveWorkers();
    if (live.empty()) {
      Log(absl::StrCat(ActionName(action.kind), ": no live worker"));
      return;
    }
    Worker& worker = *live[action.pick % live.size()];
    const std::string& id = worker.plan.id;
    if (action.kind == ActionKind::kFreezeWorker) {
      worker.frozen = true;
      const int64_t from = NowMicros();
      kill(worker.process->pid(), SIGSTOP);
      Log(absl::StrCat("SIGSTOP ", id, " for ", action.duration_millis, " ms"));
      helpers_.emplace_back([this, &worker, from, action] {
        absl::SleepFor(absl::Milliseconds(action.duration_millis));
        kill(worker.process->pid(), SIGCONT);
        {
          std::lock_guard<std::mutex> lock(mu_);
          frozen_[worker.plan.id].push_back(Interval{from, NowMicros()});
        }
        worker.frozen = false;
        Log("SIGCONT " + worker.plan.id);
      });
      return;
    }
    const bool kill_it = action.kind == ActionKind::kKillWorker;
    Log(absl::StrCat(kill_it ? "SIGKILL " : "SIGTERM ", id));
    worker.process->Stop(kill_it ? SIGKILL : SIGTERM);
    worker.gone = true;
    if (kill_it) killed_.insert(id);
    if (LiveWorkers().empty()) {
      WorkerPlan spare;
      spare.id = absl::StrCat("spare", spares_++);
      StartWorker(spare);
    }
  }

  void Reshard(const Action& action) {
    std::vector<OpenShard> open = OpenShards();
    if (open.empty()) return;
    absl::Status status;
    std::string what;
    const bool grow =
        action.kind == ActionKind::kSplit ||
        (action.kind == ActionKind::kScale && (action.pick % 2 == 0 || open.size() == 1));
    if (grow && static_cast<int>(open.size()) >= kMaxOpenShards) {
      Log(absl::StrCat(ActionName(action.kind), ": already ", open.size(), " open shards"));
      return;
    }
    if (action.kind == ActionKind::kSplit) {
      const OpenShard& shard = open[action.pick % open.size()];
      v1::SplitShardRequest split;
      split.mutable_stream()->set_stream_name(kStream);
      split.set_shard_to_split(shard.id);
      split.set_new_starting_hash_key(
          common::FormatUint128(shard.start + (shard.end - shard.start) / 2 + 1));
      status = client_->SplitShard(split).status();
      what = "split " + shard.id;
    } else if (action.kind == ActionKind::kMerge) {
      if (open.size() < 2) return Log("merge: one open shard");
      const size_t first = action.pick % (open.size() - 1);
      v1::MergeShardsRequest merge;
      merge.mutable_stream()->set_stream_name(kStream);
      merge.set_shard_to_merge(open[first].id);
      merge.set_adjacent_shard_to_merge(open[first + 1].id);
      status = client_->MergeShards(merge).status();
      what = absl::StrCat("merge ", open[first].id, " + ", open[first + 1].id);
    } else {
      const int target = grow ? static_cast<int>(open.size()) * 2
                              : std::max(1, static_cast<int>((open.size() + 1) / 2));
      v1::UpdateShardCountRequest scale;
      scale.mutable_stream()->set_stream_name(kStream);
      scale.set_target_shard_count(std::min(target, kMaxOpenShards));
      status = client_->UpdateShardCount(scale).status();
      what = absl::StrCat("update-shard-count ", open.size(), " → ", scale.target_shard_count());
    }
    Log(what + (status.ok() ? "" : " failed: " + status.ToString()));
  }

  // Another subscriber with the application's consumer takes a shard's subscription (the
  // worker's ends) and holds it for the action's duration.
  void TakeOver(const Action& action) {
    std::vector<OpenShard> open = OpenShards();
    if (open.empty()) return;
    const std::string shard = open[action.pick % open.size()].id;
    v1::DescribeStreamConsumerRequest describe;
    describe.mutable_stream()->set_stream_name(kStream);
    describe.set_consumer_name(kApplication);
    auto consumer = client_->DescribeStreamConsumer(describe);
    if (!consumer.ok()) return Log("takeover: no consumer yet");
    client::StreamClient rival(client::StreamClientOptions{address_, std::chrono::seconds(5)});
    const absl::Time until = absl::Now() + absl::Milliseconds(action.duration_millis);
    bool held = false;
    while (absl::Now() < until) {
      v1::SubscribeToShardRequest request;
      request.set_consumer_arn(consumer->consumer_description().consumer_arn());
      request.set_shard_id(shard);
      request.mutable_starting_position()->set_type(v1::LATEST);
      std::unique_ptr<client::ShardSubscriptionReader> reader = rival.SubscribeToShard(request);
      v1::SubscribeToShardEvent event;
      while (reader->Next(&event, until - absl::Now()) ==
             client::ShardSubscriptionReader::Result::kEvent) {
        if (!held) Log("took over the subscription of " + shard);
        held = true;
      }
      reader->Finish().IgnoreError();  // refused within the takeover time: try again
      if (!held) absl::SleepFor(absl::Milliseconds(50));
    }
    Log("released the subscription of " + shard);
  }

  void Heal() {
    for (std::thread& helper : helpers_) helper.join();
    helpers_.clear();
    if (!broker_.running()) {
      Log("broker down at the end: restarting");
      broker_.Start(data_dir_, BrokerArgs(true));
    }
    for (int i = 0; etcd_ != nullptr && i < etcd_->size(); ++i) {
      if (!etcd_->process(i).running()) {
        Log(absl::StrCat("etcd member ", i, " down at the end: restarting"));
        etcd_->Restart(i);
      }
    }
    // Workers that can never finish alone (a record they fail on for ever) go, gracefully.
    for (Worker* worker : LiveWorkers()) {
      if (worker->plan.Persistent()) {
        Log("SIGTERM " + worker->plan.id + " (its failure is persistent)");
        worker->process->Stop(SIGTERM);
        worker->gone = true;
      }
    }
    WorkerPlan healer;
    healer.id = "healer";
    StartWorker(healer);
  }

  std::map<std::string, int64_t> Produced() { return producer_->Produced(); }

  void Drain() {
    const std::map<std::string, int64_t> produced = Produced();
    // (Polled every 250 ms: each look parses every worker's output.)
    auto all_processed = [&] {
      std::vector<tools::ProcessedRecord> events;
      for (const ProcessedEvent& e : ParseOutputs().processed) {
        if (produced.count(e.key) == 0) continue;
        tools::ProcessedRecord r;
        r.partition_key = e.key;
        r.counter = e.counter;
        r.processed_at_micros = e.processed_at_micros;
        events.push_back(std::move(r));
      }
      stalled_ = tools::Judge(events, produced, {}).missing;
      return stalled_ == 0;
    };
    const absl::Time deadline = absl::Now() + absl::FromChrono(options_.drain_timeout);
    bool done = all_processed();
    while (!done && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(250));
      done = all_processed();
    }
    drained_ = done;
    Log(done ? "drained: every acknowledged record processed"
             : "drain timed out: records are missing");
  }

  void StopEverything() {
    for (std::thread& helper : helpers_) helper.join();
    helpers_.clear();
    for (auto& worker : workers_) {
      if (worker->gone) continue;
      kill(worker->process->pid(), SIGCONT);
      worker->process->Stop(SIGTERM, std::chrono::seconds(20));
    }
    stop_sampling_ = true;
    if (sampler_.joinable()) sampler_.join();
    if (client_ != nullptr && broker_.running()) {
      TakeLeaseSample();
      v1::ListShardsRequest request;
      request.mutable_stream()->set_stream_name(kStream);
      auto listed = client_->ListShards(request);
      listing_known_ = listed.ok();
      if (listed.ok()) {
        for (const v1::Shard& shard : listed->shards()) {
          std::vector<std::string>& parents = parents_[shard.shard_id()];
          if (!shard.parent_shard_id().empty()) parents.push_back(shard.parent_shard_id());
          if (!shard.adjacent_parent_shard_id().empty()) {
            parents.push_back(shard.adjacent_parent_shard_id());
          }
        }
      }
    }
    broker_.Stop(SIGTERM);
  }

  // What every worker printed so far.
  RunRecord ParseOutputs() {
    RunRecord run;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& worker : workers_) {
      for (const std::string& line : worker->process->Lines()) {
        nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
        if (!json.is_object()) continue;
        if (json.value("Event", "") == "Initialize") {
          run.tenures.push_back(TenureStart{json.value("ShardId", ""), worker->plan.id,
                                            json.value("AtMicros", int64_t{0}),
                                            json.value("Checkpoint", "")});
          continue;
        }
        tools::ProcessedRecord record;
        if (!tools::ParseProcessedLine(line, &record)) continue;
        run.processed.push_back(
            ProcessedEvent{record.partition_key, record.counter, record.shard_id, record.worker_id,
                           json.value("BatchStartMicros", int64_t{0}), record.processed_at_micros,
                           record.sequence_number, record.sub_sequence_number});
      }
    }
    return run;
  }

  RunRecord Collect() {
    RunRecord run = ParseOutputs();
    run.produced = Produced();
    run.forbidden_keys = forbidden_;
    run.ignored_keys = ignored_;
    std::lock_guard<std::mutex> lock(mu_);
    run.leases = samples_;
    run.frozen = frozen_;
    run.killed = killed_;
    run.parents = parents_;
    run.listing_known = listing_known_;
    run.fencing_window_micros = (scenario_.failover_millis + 1000) * 1000;
    return run;
  }

  const Scenario scenario_;
  const RunOptions options_;
  BrokerProcess broker_;
  std::string data_dir_;
  std::string address_;
  std::unique_ptr<client::StreamClient> client_;
  std::unique_ptr<testing::EtcdCluster> etcd_;  // with the etcd coordinator
  std::mutex etcd_mu_;                           // one kill or restart at a time
  std::unique_ptr<coordination::EtcdCoordinator> etcd_coordinator_;
  std::shared_ptr<client::CoordinatorClient> coordinator_;
  std::unique_ptr<lease::LeaseTable> leases_;
  std::unique_ptr<KeyedProducer> producer_;
  std::vector<std::string> keys_;
  int64_t start_timestamp_millis_ = 0;
  int64_t chaos_start_micros_ = 0;
  bool workers_started_ = false;
  bool drained_ = false;
  bool listing_known_ = false;
  int64_t stalled_ = 0;
  int spares_ = 0;
  std::vector<std::thread> helpers_;  // the action thread's
  std::thread sampler_;
  std::atomic<bool> stop_sampling_{false};

  std::mutex mu_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::string> log_;
  std::vector<LeaseSample> samples_;
  std::map<std::string, std::vector<Interval>> frozen_;
  std::set<std::string> killed_;
  std::set<std::string> forbidden_;
  std::set<std::string> ignored_;
  std::map<std::string, std::vector<std::string>> parents_;
};

}  // namespace

RunResult RunScenario(const Scenario& scenario, const RunOptions& options) {
  return Run(scenario, options).Go();
}

std::string ReplayCommand(const std::string& chaos_binary, const Scenario& scenario) {
  return absl::StrCat(chaos_binary, " --seed ", scenario.seed,
                      scenario.coordinator == "etcd" ? " --coordinator etcd" : "");
}

}  // namespace eddy::chaos
