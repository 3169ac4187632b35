#pragma once
// The benchmark workloads (docs/benchmarks.md). Each returns one JSON result object:
// {"Workload", "Metrics": {name: value}, "Notes"?}. Every loop is bounded in count and time.

#include <nlohmann/json.hpp>
#include <string>

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

// Eddy only.
// Checkpoints per second through the broker's coordinator from `threads` threads.
nlohmann::json RunCheckpoints(const std::string& endpoint, int threads, const BenchScale& scale);
// Time from stopping a worker (SIGKILL, or SIGTERM when `graceful`) to the first record
// processed by the other worker, with default settings. `eddy_cli` runs the workers.
nlohmann::json RunFailover(const std::string& endpoint, const std::string& eddy_cli, bool graceful,
                           const BenchScale& scale);

}  // namespace eddy::bench
