// eddy-bench: Eddy beside Redis Streams, NATS JetStream and kinesalite, same machine, same
// workloads (docs/benchmarks.md; bench/run-peers runs the whole suite).
//
//   eddy-bench run --system eddy|redis|nats|kinesalite|kinesis-poll|kinesis-push
//                  --endpoint HOST:PORT --label NAME
//                  [--workloads ingest,latency,fanout,leases,checkpoints,failover,
//                               failover-etcd-leader] [--smoke]
//                  [--run N] [--server-pid PID] [--eddy-cli PATH]
//                  [--coordinator eddy://…|etcd://…] [--session-ttl-ms MS] [--etcd-pids P,…]
//       prints one JSON object per result line
//   eddy-bench report RESULTS.jsonl...
//       prints the markdown tables (median, min–max, ratio to the best peer)
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "absl/strings/str_split.h"
#include "bench/eddy_bench/report.h"
#include "bench/eddy_bench/workloads.h"

namespace {

struct RunArgs {
  std::string system, endpoint, label, workloads = "ingest,latency,fanout", eddy_cli;
  bool smoke = false;
  bool slow_peer = false;
  int run = 1;
  int server_pid = 0;
  eddy::bench::CoordinatorArgs coordinator;
};

int Run(const RunArgs& args) {
  using namespace eddy::bench;
  absl::StatusOr<std::unique_ptr<StreamSystem>> system =
      MakeStreamSystem(args.system, args.endpoint);
  if (!system.ok()) {
    std::cerr << system.status() << "\n";
    return 2;
  }
  const BenchScale scale =
      args.slow_peer ? BenchScale::ForSlowPeer(args.smoke) : BenchScale::For(args.smoke);
  const std::string coordinator_url =
      args.coordinator.url.empty() ? "eddy://" + args.endpoint : args.coordinator.url;
  int failures = 0;
  auto emit = [&](nlohmann::json result) {
    result["System"] = args.label.empty() ? args.system : args.label;
    result["Run"] = args.run;
    if (result.contains("Error")) ++failures;
    std::cout << result.dump() << std::endl;
  };
  for (absl::string_view workload : absl::StrSplit(args.workloads, ',')) {
    if (workload == "ingest") {
      emit(RunIngest(**system, scale));
    } else if (workload == "latency") {
      emit(RunLatency(**system, scale));
    } else if (workload == "fanout") {
      for (bool live : {false, true}) {
        for (int consumers : {1, 5, 20}) {
          emit(RunFanOut(**system, consumers, live, scale, args.server_pid));
        }
      }
    } else if (workload == "leases") {
      for (int threads : {1, 8}) emit(RunLeaseTakes(coordinator_url, threads, scale));
    } else if (workload == "checkpoints") {
      for (int threads : {1, 8}) emit(RunCheckpoints(coordinator_url, threads, scale));
    } else if (workload == "failover") {
      for (bool graceful : {false, true}) {
        emit(RunFailover(args.endpoint, args.coordinator, args.eddy_cli, graceful, scale));
      }
    } else if (workload == "failover-etcd-leader") {
      emit(RunEtcdLeaderLoss(args.endpoint, args.coordinator, args.eddy_cli, scale));
    } else {
      std::cerr << "unknown workload " << workload << "\n";
      return 2;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eddy-bench: Eddy beside Redis Streams, NATS JetStream and kinesalite"};
  app.require_subcommand(1);
  RunArgs args;
  CLI::App* run = app.add_subcommand("run", "run workloads against one system");
  run->add_option("--system", args.system,
                  "eddy, redis, nats, kinesalite, kinesis-poll (GetRecords) or kinesis-push "
                  "(SubscribeToShard)")
      ->required();
  run->add_option("--endpoint", args.endpoint, "host:port")->required();
  run->add_option("--label", args.label, "name in the results (default: the system)");
  run->add_option("--workloads", args.workloads,
                  "comma-separated: ingest, latency, fanout, leases, checkpoints, failover, "
                  "failover-etcd-leader")
      ->capture_default_str();
  run->add_flag("--smoke", args.smoke, "each workload for about a second");
  run->add_flag("--slow-peer", args.slow_peer,
                "a system ~1000x slower: 20 records/s latency run, 2 000-record backlog");
  run->add_option("--run", args.run, "run number, recorded in the results");
  run->add_option("--server-pid", args.server_pid,
                  "measure this server process's CPU per GB delivered in fan-out");
  run->add_option("--eddy-cli", args.eddy_cli, "the eddy binary (failover workload)");
  run->add_option("--coordinator", args.coordinator.url,
                  "coordination workloads: eddy://HOST:PORT (default: the broker at --endpoint) "
                  "or etcd://HOST:PORT,...");
  run->add_option("--session-ttl-ms", args.coordinator.session_ttl_millis,
                  "failover workloads on etcd: the workers' session TTL");
  run->add_option("--etcd-pids", args.coordinator.etcd_pids,
                  "failover-etcd-leader: the etcd members' pids, in --coordinator order")
      ->delimiter(',');
  std::vector<std::string> files;
  CLI::App* report = app.add_subcommand("report", "markdown tables from result files");
  report->add_option("files", files, "JSON-lines result files")->required();
  CLI11_PARSE(app, argc, argv);
  if (run->parsed()) return Run(args);
  std::vector<nlohmann::json> results;
  for (const std::string& file : files) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object()) results.push_back(json);
    }
  }
  std::cout << eddy::bench::MarkdownReport(results);
  return 0;
}
