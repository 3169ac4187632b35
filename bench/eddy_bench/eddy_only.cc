// The workloads only Eddy has: lease takes and checkpoints through a coordinator (the
// broker's or etcd), and consumer-framework failover with real `eddy consume` worker
// processes — after a worker stops, and after the etcd leader is killed.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/eddy_bench/workloads.h"
#include "client/channel.h"
#include "client/stream_client.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "tools/coordinator_url.h"
#include "tools/demo/child_process.h"
#include "tools/demo/output_tail.h"

namespace eddy::bench {
namespace {

using Clock = std::chrono::steady_clock;

bool WaitUntil(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// A name no earlier run used, so state left by one never meets the next.
std::string Fresh(const std::string& prefix) {
  return absl::StrCat(prefix, "-", getpid(), "-", absl::ToUnixMicros(absl::Now()) % 100000000);
}

}  // namespace

namespace {

absl::StatusOr<std::unique_ptr<tools::CoordinatorConnection>> Connect(
    const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  absl::StatusOr<tools::CoordinatorUrl> parsed = tools::ParseCoordinatorUrl(url);
  if (!parsed.ok()) return parsed.status();
  return tools::ConnectCoordinator(*parsed, timeout);
}

// A fresh application with one lease per thread ("shard-T"), each taken by "bench".
absl::Status PrepareLeases(tools::CoordinatorConnection& coordinator, const std::string& app,
                           int threads) {
  if (auto created = coordinator.CreateApplication(app); !created.ok()) return created.status();
  std::unique_ptr<lease::LeaseTable> leases = coordinator.Leases(app);
  for (int t = 0; t < threads; ++t) {
    lease::Lease lease;
    lease.key = absl::StrCat("shard-", t);
    lease.checkpoint = checkpoint::ExtendedSequenceNumber::TrimHorizon();
    if (auto c = leases->CreateIfAbsent(lease); !c.ok()) return c.status();
    if (auto taken = leases->Take(lease.key, 0, "bench"); !taken.ok() || !*taken) {
      return absl::InternalError("could not take a fresh lease");
    }
  }
  return absl::OkStatus();
}

// One thread's loop body: step i (from 1) of thread t.
using Step = std::function<absl::Status(int64_t i)>;
// Sets thread t up on its own connection and returns its step.
using StepFactory = std::function<Step(tools::CoordinatorConnection& own, int t)>;

// Runs the steps on `threads` threads, each with a connection of its own, for the
// workload's time; the steps per second, or why a step failed.
absl::StatusOr<double> PerSecond(const std::string& url, int threads, const BenchScale& scale,
                                 const StepFactory& make_step) {
  std::atomic<int64_t> done{0};
  absl::Mutex mu;
  absl::Status failure;
  const auto deadline = Clock::now() + std::chrono::milliseconds(scale.smoke ? 1000 : 5000);
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      absl::StatusOr<std::unique_ptr<tools::CoordinatorConnection>> own = Connect(url);
      absl::Status status = own.status();
      const Step step = status.ok() ? make_step(**own, t) : Step();
      for (int64_t i = 1; status.ok() && Clock::now() < deadline; ++i) {
        status = step(i);
        if (status.ok()) ++done;
      }
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        failure = status;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  absl::MutexLock lock(&mu);
  if (!failure.ok()) return failure;
  return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

namespace {

// A workload on one fresh lease per thread: `make_step` for each thread, run for the
// workload's time; reports the steps per second as `metric`.
nlohmann::json RunPerLease(const std::string& workload, const std::string& metric,
                           const std::string& coordinator_url, int threads, const BenchScale& scale,
                           const std::function<StepFactory(const std::string& app)>& steps) {
  absl::StatusOr<std::unique_ptr<tools::CoordinatorConnection>> coordinator =
      Connect(coordinator_url);
  if (!coordinator.ok()) return Failed(workload, coordinator.status());
  const std::string app = Fresh("bench-" + workload);
  if (absl::Status s = PrepareLeases(**coordinator, app, threads); !s.ok()) {
    return Failed(workload, s);
  }
  absl::StatusOr<double> rate = PerSecond(coordinator_url, threads, scale, steps(app));
  (*coordinator)->DeleteApplication(app).IgnoreError();
  if (!rate.ok()) return Failed(workload, rate.status());
  return {{"Workload", workload}, {"Metrics", {{metric, *rate}}}, {"Threads", threads}};
}

}  // namespace

nlohmann::json RunLeaseTakes(const std::string& coordinator_url, int threads,
                             const BenchScale& scale) {
  // Each thread takes its own lease again and again, from the counter it last left.
  return RunPerLease(
      absl::StrCat("lease-takes-", threads), "TakesPerSecond", coordinator_url, threads, scale,
      [](const std::string& app) -> StepFactory {
        return [app](tools::CoordinatorConnection& own, int t) -> Step {
          std::shared_ptr<lease::LeaseTable> leases = own.Leases(app);
          auto counter = std::make_shared<uint64_t>(1);
          return [leases, counter, key = absl::StrCat("shard-", t)](int64_t i) -> absl::Status {
            // Alternating owners: every take is a change of ownership, as in a failover.
            absl::StatusOr<bool> won = leases->Take(key, *counter, absl::StrCat("bench-", i % 2));
            if (!won.ok()) return won.status();
            if (!*won) return absl::InternalError("a take of an uncontended lease lost");
            ++*counter;
            return absl::OkStatus();
          };
        };
      });
}

nlohmann::json RunCheckpoints(const std::string& coordinator_url, int threads,
                              const BenchScale& scale) {
  return RunPerLease(
      absl::StrCat("checkpoints-", threads), "CheckpointsPerSecond", coordinator_url, threads,
      scale, [](const std::string& app) -> StepFactory {
        return [app](tools::CoordinatorConnection& own, int t) -> Step {
          std::shared_ptr<checkpoint::CheckpointStore> store = own.Checkpoints(app);
          const checkpoint::Ownership owned{"bench", 1};
          return [store, owned, key = absl::StrCat("shard-", t)](int64_t i) -> absl::Status {
            auto position = checkpoint::ExtendedSequenceNumber::Of(absl::StrCat(1000000 + i), 0);
            absl::StatusOr<bool> saved = store->Save(key, owned, *position, "");
            if (!saved.ok()) return saved.status();
            if (!*saved) return absl::InternalError("a checkpoint was refused");
            return absl::OkStatus();
          };
        };
      });
}

namespace {

absl::Status CreateOneShardStream(const std::string& endpoint, const std::string& name) {
  client::StreamClient streams(client::StreamClientOptions{endpoint, std::chrono::seconds(30)});
  v1::CreateStreamRequest create;
  create.set_stream_name(name);
  create.set_shard_count(1);
  return streams.CreateStream(create).status();
}

// Starts `eddy consume` as worker `id` of application and stream `name`, its leases on
// `coordinator_url`, its output in DIR/ID.out and its log in DIR/ID.log.
absl::Status StartConsumer(tools::demo::ChildProcess& worker, const std::string& eddy_cli,
                           const std::string& endpoint, const std::string& coordinator_url,
                           int64_t session_ttl_millis, const std::string& name,
                           const std::string& id, const std::string& dir) {
  std::vector<std::string> args = {"consume",      "--application", name, "--stream-name",
                                   name,           "--worker-id",   id,   "--coordinator",
                                   coordinator_url};
  if (session_ttl_millis > 0) {
    args.insert(args.end(), {"--session-ttl-ms", std::to_string(session_ttl_millis)});
  }
  return worker.Start(eddy_cli, args, {{"EDDY_ENDPOINT", endpoint}},
                      absl::StrCat(dir, "/", id, ".out"), absl::StrCat(dir, "/", id, ".log"));
}

// One record every millisecond on key "k" of stream `name` until destroyed (at most ten
// minutes' worth); the data is what OutputTail parses.
class MillisecondProducer {
 public:
  MillisecondProducer(const std::string& endpoint, const std::string& name)
      : thread_([this, endpoint, name] {
          client::StreamClient client(
              client::StreamClientOptions{endpoint, std::chrono::seconds(30)});
          v1::PutRecordRequest put;
          put.mutable_stream()->set_stream_name(name);
          put.set_partition_key("k");
          for (int i = 0; !stop_ && i < 600'000; ++i) {
            put.set_data(absl::StrCat("eddy-produce|k|", i, "|"));
            client.PutRecord(put).IgnoreError();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }) {}
  ~MillisecondProducer() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once stop_ exists
};

}  // namespace

nlohmann::json RunFailover(const std::string& endpoint, const CoordinatorArgs& coordinator,
                           const std::string& eddy_cli, bool graceful, const BenchScale& scale) {
  (void)scale;
  const std::string workload = graceful ? "failover-graceful" : "failover-crash";
  const std::string name = Fresh("bench-failover");
  if (absl::Status s = CreateOneShardStream(endpoint, name); !s.ok()) return Failed(workload, s);

  char dir_template[] = "/tmp/eddy-bench-failover-XXXXXX";
  const std::string dir = mkdtemp(dir_template) != nullptr ? dir_template : "/tmp";
  const std::string url = coordinator.url.empty() ? "eddy://" + endpoint : coordinator.url;
  auto start_worker = [&](const std::string& id, tools::demo::ChildProcess* worker) {
    return StartConsumer(*worker, eddy_cli, endpoint, url, coordinator.session_ttl_millis, name, id,
                         dir);
  };
  tools::demo::ChildProcess first;
  tools::demo::ChildProcess second;
  absl::StatusOr<std::unique_ptr<tools::CoordinatorConnection>> connection = Connect(url);
  if (!connection.ok()) return Failed(workload, connection.status());
  if (auto s = start_worker("first", &first); !s.ok()) return Failed(workload, s);
  std::unique_ptr<lease::LeaseTable> leases = (*connection)->Leases(name);
  auto owner = [&]() -> std::string {
    auto all = leases->List();
    return all.ok() && !all->empty() ? all->front().owner : "";
  };
  if (!WaitUntil([&] { return owner() == "first"; }, std::chrono::seconds(30))) {
    return Failed(workload, absl::DeadlineExceededError("the first worker took no lease"));
  }
  if (auto s = start_worker("second", &second); !s.ok()) return Failed(workload, s);
  // A producer writing one record per millisecond throughout.
  auto producer = std::make_unique<MillisecondProducer>(endpoint, name);
  tools::demo::OutputTail first_out;
  first_out.Follow(absl::StrCat(dir, "/first.out"));
  tools::demo::OutputTail second_out;
  second_out.Follow(absl::StrCat(dir, "/second.out"));
  // The second worker is up (its log says so) and the first is processing.
  std::string log;
  const bool ready = WaitUntil(
      [&] {
        std::ifstream in(absl::StrCat(dir, "/second.log"));
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return text.find("started") != std::string::npos;
      },
      std::chrono::seconds(30));
  size_t processed_by_first = 0;
  WaitUntil(
      [&] {
        processed_by_first += first_out.Poll().size();
        return processed_by_first > 100;
      },
      std::chrono::seconds(30));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // steady state, both up
  second_out.Poll();  // whatever it saw before does not count
  const int64_t stopped_at = absl::ToUnixMicros(absl::Now());
  first.Signal(graceful ? SIGTERM : SIGKILL);
  int64_t first_record_at = 0;
  const bool moved = ready && WaitUntil(
                                  [&] {
                                    for (const auto& r : second_out.Poll()) {
                                      if (r.processed_at_micros >= stopped_at) {
                                        first_record_at = r.processed_at_micros;
                                        return true;
                                      }
                                    }
                                    return false;
                                  },
                                  std::chrono::seconds(60));
  producer.reset();
  first.Stop(SIGKILL, std::chrono::seconds(5));
  second.Stop(SIGTERM, std::chrono::seconds(10));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (!moved) return Failed(workload, absl::DeadlineExceededError("the lease never moved"));
  nlohmann::json result = {
      {"Workload", workload},
      {"Metrics", {{"Millis", static_cast<double>(first_record_at - stopped_at) / 1000.0}}}};
  if (coordinator.session_ttl_millis > 0)
    result["SessionTtlMillis"] = coordinator.session_ttl_millis;
  return result;
}

namespace {

// The index of the member of `endpoints` that leads now, -1 if none says so.
int EtcdLeader(const std::vector<std::string>& endpoints) {
  for (size_t i = 0; i < endpoints.size(); ++i) {
    auto stub = etcdserverpb::Maintenance::NewStub(client::MakeChannel(endpoints[i]));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    etcdserverpb::StatusResponse status;
    if (stub->Status(&context, etcdserverpb::StatusRequest(), &status).ok() &&
        status.leader() != 0 && status.leader() == status.header().member_id()) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

nlohmann::json RunEtcdLeaderLoss(const std::string& endpoint, const CoordinatorArgs& coordinator,
                                 const std::string& eddy_cli, const BenchScale& scale) {
  (void)scale;
  const std::string workload = "failover-etcd-leader";
  absl::StatusOr<tools::CoordinatorUrl> url = tools::ParseCoordinatorUrl(coordinator.url);
  if (!url.ok() || url->kind != tools::CoordinatorUrl::Kind::kEtcd ||
      url->etcd.size() != coordinator.etcd_pids.size()) {
    return Failed(workload, absl::InvalidArgumentError(
                                "needs --coordinator etcd://… and --etcd-pids, one per member"));
  }
  const std::string name = Fresh("bench-leader");
  if (absl::Status s = CreateOneShardStream(endpoint, name); !s.ok()) return Failed(workload, s);
  char dir_template[] = "/tmp/eddy-bench-leader-XXXXXX";
  const std::string dir = mkdtemp(dir_template) != nullptr ? dir_template : "/tmp";
  tools::demo::ChildProcess worker;
  if (absl::Status s = StartConsumer(worker, eddy_cli, endpoint, coordinator.url,
                                     coordinator.session_ttl_millis, name, "only", dir);
      !s.ok()) {
    return Failed(workload, s);
  }
  auto producer = std::make_unique<MillisecondProducer>(endpoint, name);
  tools::demo::OutputTail out;
  out.Follow(dir + "/only.out");
  std::vector<int64_t> processed;  // ProcessedAtMicros of every record, in order
  auto poll = [&] {
    for (const auto& r : out.Poll()) processed.push_back(r.processed_at_micros);
  };
  const bool steady = WaitUntil(
      [&] {
        poll();
        return processed.size() > 1000;
      },
      std::chrono::seconds(60));
  const int leader = EtcdLeader(url->etcd);
  nlohmann::json result;
  if (!steady || leader < 0) {
    result = Failed(workload, absl::DeadlineExceededError("no steady processing or no leader"));
  } else {
    const int64_t killed_at = absl::ToUnixMicros(absl::Now());
    kill(coordinator.etcd_pids[static_cast<size_t>(leader)], SIGKILL);
    // How long the coordinator refuses writes: until a write through a fresh connection
    // succeeds (each try answers within 50 ms, so the reading is not the deadline's).
    double outage_millis = -1;
    if (auto probe = Connect(coordinator.url, std::chrono::milliseconds(50)); probe.ok()) {
      const std::string app = Fresh("bench-leader-probe");
      for (const auto until = Clock::now() + std::chrono::seconds(30); Clock::now() < until;) {
        if ((*probe)->CreateApplication(app).ok()) {
          outage_millis = static_cast<double>(absl::ToUnixMicros(absl::Now()) - killed_at) / 1e3;
          break;
        }
      }
      (*probe)->DeleteApplication(app).IgnoreError();
    }
    // The longest pause in processing over the next 10 s (records arrive every ~1 ms).
    WaitUntil(
        [&] {
          poll();
          return false;
        },
        std::chrono::seconds(10));
    int64_t previous = 0, longest = 0;
    for (int64_t at : processed) {
      if (previous != 0 && at >= killed_at - 1'000'000) longest = std::max(longest, at - previous);
      previous = at;
    }
    result = {{"Workload", workload},
              {"Metrics",
               {{"Millis", static_cast<double>(longest) / 1e3},
                {"CoordinatorOutageMillis", outage_millis}}},
              {"Notes", "longest pause in processing around the kill; outage: until a write"}};
  }
  producer.reset();
  worker.Stop(SIGTERM, std::chrono::seconds(10));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return result;
}

}  // namespace eddy::bench
