// The workloads only Eddy has: checkpoints through its coordinator, and consumer-framework
// failover with real `eddy consume` worker processes.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/eddy_bench/workloads.h"
#include "client/remote_coordinator.h"
#include "client/stream_client.h"
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

nlohmann::json RunCheckpoints(const std::string& endpoint, int threads, const BenchScale& scale) {
  const std::string workload = absl::StrCat("checkpoints-", threads);
  auto remote = std::make_shared<client::CoordinatorClient>(
      client::StreamClientOptions{endpoint, std::chrono::seconds(30)});
  const std::string application = Fresh("bench-checkpoints");
  if (auto created = remote->CreateApplication(application); !created.ok()) {
    return Failed(workload, created.status());
  }
  client::RemoteLeaseTable leases(remote, application);
  std::vector<checkpoint::Ownership> owned;
  for (int t = 0; t < threads; ++t) {
    lease::Lease lease;
    lease.key = absl::StrCat("shard-", t);
    lease.checkpoint = checkpoint::ExtendedSequenceNumber::TrimHorizon();
    if (auto c = leases.CreateIfAbsent(lease); !c.ok()) return Failed(workload, c.status());
    if (auto taken = leases.Take(lease.key, 0, "bench"); !taken.ok() || !*taken) {
      return Failed(workload, absl::InternalError("could not take a fresh lease"));
    }
    owned.push_back(checkpoint::Ownership{"bench", 1});
  }
  std::atomic<int64_t> saved{0};
  std::atomic<bool> failed{false};
  const auto deadline = Clock::now() + std::chrono::milliseconds(scale.smoke ? 1000 : 5000);
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      client::RemoteCheckpointStore store(
          std::make_shared<client::CoordinatorClient>(
              client::StreamClientOptions{endpoint, std::chrono::seconds(30)}),
          application);
      for (int64_t i = 1; Clock::now() < deadline; ++i) {
        auto position = checkpoint::ExtendedSequenceNumber::Of(absl::StrCat(1000000 + i), 0);
        auto ok =
            store.Save(absl::StrCat("shard-", t), owned[static_cast<size_t>(t)], *position, "");
        if (!ok.ok() || !*ok) {
          failed = true;
          return;
        }
        ++saved;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  remote->DeleteApplication(application).IgnoreError();
  if (failed) return Failed(workload, absl::InternalError("a checkpoint was refused"));
  return {{"Workload", workload},
          {"Metrics", {{"CheckpointsPerSecond", static_cast<double>(saved) / seconds}}},
          {"Threads", threads}};
}

nlohmann::json RunFailover(const std::string& endpoint, const std::string& eddy_cli, bool graceful,
                           const BenchScale& scale) {
  (void)scale;
  const std::string workload = graceful ? "failover-graceful" : "failover-crash";
  const std::string name = Fresh("bench-failover");
  client::StreamClient streams(client::StreamClientOptions{endpoint, std::chrono::seconds(30)});
  v1::CreateStreamRequest create;
  create.set_stream_name(name);
  create.set_shard_count(1);
  if (auto c = streams.CreateStream(create); !c.ok()) return Failed(workload, c.status());

  char dir_template[] = "/tmp/eddy-bench-failover-XXXXXX";
  const std::string dir = mkdtemp(dir_template) != nullptr ? dir_template : "/tmp";
  auto start_worker = [&](const std::string& id, tools::demo::ChildProcess* worker) {
    return worker->Start(
        eddy_cli, {"consume", "--application", name, "--stream-name", name, "--worker-id", id},
        {{"EDDY_ENDPOINT", endpoint}}, absl::StrCat(dir, "/", id, ".out"),
        absl::StrCat(dir, "/", id, ".log"));
  };
  tools::demo::ChildProcess first;
  tools::demo::ChildProcess second;
  if (auto s = start_worker("first", &first); !s.ok()) return Failed(workload, s);
  auto remote = std::make_shared<client::CoordinatorClient>(
      client::StreamClientOptions{endpoint, std::chrono::seconds(30)});
  client::RemoteLeaseTable leases(remote, name);
  auto owner = [&]() -> std::string {
    auto all = leases.List();
    return all.ok() && !all->empty() ? all->front().owner : "";
  };
  if (!WaitUntil([&] { return owner() == "first"; }, std::chrono::seconds(30))) {
    return Failed(workload, absl::DeadlineExceededError("the first worker took no lease"));
  }
  if (auto s = start_worker("second", &second); !s.ok()) return Failed(workload, s);
  // A producer writing one record per millisecond throughout.
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    client::StreamClient client(client::StreamClientOptions{endpoint, std::chrono::seconds(30)});
    v1::PutRecordRequest put;
    put.mutable_stream()->set_stream_name(name);
    put.set_partition_key("k");
    for (int i = 0; !stop && i < 600'000; ++i) {
      put.set_data(absl::StrCat("eddy-produce|k|", i, "|"));  // what OutputTail parses
      client.PutRecord(put).IgnoreError();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
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
  stop = true;
  producer.join();
  first.Stop(SIGKILL, std::chrono::seconds(5));
  second.Stop(SIGTERM, std::chrono::seconds(10));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (!moved) return Failed(workload, absl::DeadlineExceededError("the lease never moved"));
  return {{"Workload", workload},
          {"Metrics", {{"Millis", static_cast<double>(first_record_at - stopped_at) / 1000.0}}}};
}

}  // namespace eddy::bench
