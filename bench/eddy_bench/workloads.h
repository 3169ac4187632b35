#pragma once
// The benchmark workloads (docs/benchmarks.md). Each returns one JSON result object:
// {"Workload", "Metrics": {name: value}, "Notes"?}. Every loop is bounded in count and time.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/eddy_bench/stream_system.h"

namespace eddy::bench {

// The result of a workload that could not run: {"Workload", "Error"}.
inline nlohmann::json Failed(const std::string& workload, const absl::Status& status) {
  return {{"Workload", workload}, {"Error", status.ToString()}};
}

struct BenchScale {
  bool smoke = false;  // every workload for about a second (the smoke test)
  int record_bytes = 1024;
  // Seconds of steady work per workload, and the fan-out backlog, in the full run.
  double ingest_seconds = 10;
  double latency_seconds = 10;
  int latency_rate = 1000;
  int backlog_records = 100'000;
  double live_seconds = 5;

  static BenchScale For(bool smoke);
  // For a peer two or three orders of magnitude slower (kinesis-mock: ~300 records/s, and
  // tens of ms per PutRecords): 20 records/s for the latency run, a 2 000-record backlog
  // (200 in the smoke run).
  static BenchScale ForSlowPeer(bool smoke);
};

// One producer, batches of 500 (pipelined / PutRecords): records/s and MB/s.
nlohmann::json RunIngest(StreamSystem& system, const BenchScale& scale);
// One record every 1/rate s; producer send → consumer receipt p50 / p99 / max, in ms.
nlohmann::json RunLatency(StreamSystem& system, const BenchScale& scale);
// `consumers` readers of the same stream: from a backlog (live = false) or following a
// producer writing as fast as it can (live = true). Total delivered MB/s; with a
// `server_pid`, also that process's CPU seconds per GB delivered while the readers ran.
nlohmann::json RunFanOut(StreamSystem& system, int consumers, bool live, const BenchScale& scale,
                         int server_pid = 0);

// Eddy only. The coordination workloads run on the coordinator a URL names
// (eddy://HOST:PORT, etcd://HOST:PORT,…; tools/coordinator_url.h).
struct CoordinatorArgs {
  std::string url;                 // empty: the broker at the endpoint
  int64_t session_ttl_millis = 0;  // workers' --session-ttl-ms (etcd); 0: their default
  std::vector<int> etcd_pids;      // the etcd members' processes, in the URL's order
};
// Lease takes per second from `threads` threads, each taking its own lease over and over.
nlohmann::json RunLeaseTakes(const std::string& coordinator_url, int threads,
                             const BenchScale& scale);
// Checkpoints per second from `threads` threads.
nlohmann::json RunCheckpoints(const std::string& coordinator_url, int threads,
                              const BenchScale& scale);
// Time from stopping a worker (SIGKILL, or SIGTERM when `graceful`) to the first record
// processed by the other worker, with default settings. `eddy_cli` runs the workers.
nlohmann::json RunFailover(const std::string& endpoint, const CoordinatorArgs& coordinator,
                           const std::string& eddy_cli, bool graceful, const BenchScale& scale);
// One worker on etcd, records every millisecond, the etcd leader SIGKILLed: the longest
// pause in processing, and how long until the coordinator takes writes again.
nlohmann::json RunEtcdLeaderLoss(const std::string& endpoint, const CoordinatorArgs& coordinator,
                                 const std::string& eddy_cli, const BenchScale& scale);

}  // namespace eddy::bench
