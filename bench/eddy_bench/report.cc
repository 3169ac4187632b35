#include "bench/eddy_bench/report.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace eddy::bench {
namespace {

struct MetricSpec {
  std::string workload;
  std::string metric;
  std::string title;
  bool higher_is_better;
};

const std::vector<MetricSpec>& Specs() {
  static const std::vector<MetricSpec> specs = {
      {"ingest", "RecordsPerSecond", "Ingest, one producer, batches of 500 — records/s", true},
      {"ingest", "MBPerSecond", "Ingest — MB/s", true},
      {"latency", "P50Millis", "Propagation latency, 1 000 records/s — p50 ms", false},
      {"latency", "P99Millis", "Propagation latency — p99 ms", false},
      {"latency", "MaxMillis", "Propagation latency — max ms", false},
      {"fanout-backlog-1", "MBPerSecond", "Fan-out from a 100 k backlog, 1 consumer — total MB/s",
       true},
      {"fanout-backlog-5", "MBPerSecond", "Fan-out from the backlog, 5 consumers — total MB/s",
       true},
      {"fanout-backlog-20", "MBPerSecond", "Fan-out from the backlog, 20 consumers — total MB/s",
       true},
      {"fanout-live-1", "MBPerSecond", "Fan-out following a live producer, 1 consumer — total MB/s",
       true},
      {"fanout-live-5", "MBPerSecond",
       "Fan-out following a live producer, 5 consumers — total MB/s", true},
      {"fanout-live-20", "MBPerSecond",
       "Fan-out following a live producer, 20 consumers — total MB/s", true},
      {"checkpoints-1", "CheckpointsPerSecond", "Eddy: checkpoints/s, 1 thread", true},
      {"checkpoints-8", "CheckpointsPerSecond", "Eddy: checkpoints/s, 8 threads", true},
      {"failover-crash", "Millis",
       "Eddy: failover after SIGKILL of a worker → first record processed by the new owner, ms",
       false},
      {"failover-graceful", "Millis", "Eddy: failover after graceful shutdown, ms", false},
      {"fanout-backlog-5", "ServerCpuSecondsPerGB",
       "Server CPU seconds per GB delivered (5 consumers, backlog)", false},
      {"fanout-live-20", "ServerCpuSecondsPerGB",
       "Server CPU seconds per GB delivered (20 consumers, live)", false},
  };
  return specs;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool IsEddy(const std::string& system) { return absl::StartsWith(system, "eddy"); }

std::string Number(double value) {
  if (value >= 100) return absl::StrFormat("%.0f", value);
  if (value >= 10) return absl::StrFormat("%.1f", value);
  return absl::StrFormat("%.3g", value);
}

bool IsKinesisEmulator(const std::string& system) {
  return absl::StartsWith(system, "kinesalite") || absl::StartsWith(system, "kinesis-mock");
}

// The same broker configuration through Eddy's gRPC API: eddy-http-nosync is measured
// against eddy-nosync, the other HTTP labels against eddy-wal.
std::string GrpcCounterpart(const std::string& http_system) {
  return absl::EndsWith(http_system, "-nosync") ? "eddy-nosync" : "eddy-wal";
}

using ValuesBySystem = std::map<std::string, std::vector<double>>;
using Values = std::map<std::pair<std::string, std::string>, ValuesBySystem>;

// The Kinesis API view: Eddy's HTTP endpoint (push and polling) beside the Kinesis
// emulators, and beside Eddy's own gRPC path on the same workload and durability.
std::string KinesisApiSection(const Values& values) {
  static const std::vector<std::pair<std::string, std::string>> kRows = {
      {"ingest", "RecordsPerSecond"}, {"ingest", "MBPerSecond"},
      {"latency", "P50Millis"},       {"latency", "P99Millis"},
      {"fanout-backlog-1", "MBPerSecond"}, {"fanout-backlog-5", "MBPerSecond"},
      {"fanout-live-5", "MBPerSecond"},    {"fanout-live-20", "MBPerSecond"}};
  std::string out;
  for (const auto& row : kRows) {
    auto it = values.find(row);
    if (it == values.end()) continue;
    const ValuesBySystem& by_system = it->second;
    bool any_http = false;
    for (const auto& [system, runs] : by_system) {
      any_http |= absl::StartsWith(system, "eddy-http") || IsKinesisEmulator(system);
    }
    if (!any_http) continue;
    const MetricSpec* spec = nullptr;
    for (const MetricSpec& s : Specs()) {
      if (s.workload == row.first && s.metric == row.second) spec = &s;
    }
    if (spec == nullptr) continue;
    auto better = [&](double a, double b) { return spec->higher_is_better ? a > b : a < b; };
    double best = 0;
    std::string best_name;
    for (const auto& [system, runs] : by_system) {
      if (!IsKinesisEmulator(system)) continue;
      const double m = Median(runs);
      if (best_name.empty() || better(m, best)) {
        best = m;
        best_name = system;
      }
    }
    absl::StrAppend(&out, "#### ", spec->title, "\n\n",
                    "| system | median | min – max | vs best emulator | vs Eddy gRPC |\n",
                    "|---|---:|---:|---|---|\n");
    for (const auto& [system, runs] : by_system) {
      const bool http = absl::StartsWith(system, "eddy-http");
      if (!http && !IsKinesisEmulator(system) && system != "eddy-wal" && system != "eddy-nosync") {
        continue;
      }
      const double median = Median(runs);
      const auto [lo, hi] = std::minmax_element(runs.begin(), runs.end());
      std::string vs_emulator, vs_grpc;
      if (http && !best_name.empty() && best > 0 && median > 0) {
        const double factor = spec->higher_is_better ? median / best : best / median;
        vs_emulator = absl::StrFormat("%.1f× better %s (%s)", factor,
                                      factor >= 10 ? "✅" : "❌", best_name);
      }
      const auto grpc = by_system.find(GrpcCounterpart(system));
      if (http && grpc != by_system.end()) {
        const double g = Median(grpc->second);
        if (g > 0 && median > 0) {
          const double factor = spec->higher_is_better ? g / median : median / g;
          vs_grpc = absl::StrFormat("%.2f× %s", factor, factor <= 1.5 ? "✅" : "❌");
        }
      }
      absl::StrAppend(&out, "| ", system, " | ", Number(median), " | ", Number(*lo), " – ",
                      Number(*hi), " | ", vs_emulator, " | ", vs_grpc, " |\n");
    }
    absl::StrAppend(&out, "\n");
  }
  if (out.empty()) return out;
  return absl::StrCat(
      "### The Kinesis API: Eddy's HTTP endpoint beside kinesalite and kinesis-mock\n\n",
      "\"vs best emulator\": how many times better than the best of kinesalite and kinesis-mock "
      "(target ≥ 10×). \"vs Eddy gRPC\": how many times worse than the same broker "
      "configuration through Eddy's gRPC API — eddy-wal, or eddy-nosync for eddy-http-nosync "
      "(target ≤ 1.5×; for latency, the ratio of the times). eddy-http-nosync acknowledges "
      "without an fdatasync, as kinesalite (LevelDB, no sync) and kinesis-mock (memory) "
      "do.\n\n",
      out);
}

}  // namespace

std::string MarkdownReport(const std::vector<nlohmann::json>& results) {
  // (workload, metric) → system → values over runs
  Values values;
  std::vector<std::string> failures;
  for (const nlohmann::json& r : results) {
    const std::string system = r.value("System", "?");
    const std::string workload = r.value("Workload", "?");
    if (r.contains("Error")) {
      failures.push_back(absl::StrCat(system, " ", workload, " (run ", r.value("Run", 0),
                                      "): ", r["Error"].get<std::string>()));
      continue;
    }
    if (!r.contains("Metrics")) continue;
    for (const auto& [metric, value] : r["Metrics"].items()) {
      if (value.is_number()) values[{workload, metric}][system].push_back(value.get<double>());
    }
    if (r.contains("Notes")) {
      failures.push_back(absl::StrCat(system, " ", workload, " (run ", r.value("Run", 0),
                                      "): ", r["Notes"].get<std::string>()));
    }
  }
  std::string out;
  for (const MetricSpec& spec : Specs()) {
    auto it = values.find({spec.workload, spec.metric});
    if (it == values.end()) continue;
    const auto& by_system = it->second;
    bool have_peer = false;
    double best_peer = 0;
    std::string best_peer_name;
    for (const auto& [system, runs] : by_system) {
      if (IsEddy(system)) continue;
      const double m = Median(runs);
      if (!have_peer || (spec.higher_is_better ? m > best_peer : m < best_peer)) {
        best_peer = m;
        best_peer_name = system;
      }
      have_peer = true;
    }
    absl::StrAppend(&out, "### ", spec.title, "\n\n",
                    "| system | median | min – max | runs | vs best peer |\n",
                    "|---|---:|---:|---:|---|\n");
    std::vector<std::string> order;
    for (const auto& [system, runs] : by_system) {
      if (IsEddy(system)) order.push_back(system);
    }
    for (const auto& [system, runs] : by_system) {
      if (!IsEddy(system)) order.push_back(system);
    }
    for (const std::string& system : order) {
      const std::vector<double>& runs = by_system.at(system);
      const double median = Median(runs);
      const auto [lo, hi] = std::minmax_element(runs.begin(), runs.end());
      std::string ratio = "";
      if (have_peer && best_peer > 0) {
        if (IsEddy(system)) {
          const double r = median / best_peer;
          const bool better = spec.higher_is_better ? r >= 1 : r <= 1;
          ratio = absl::StrFormat("%.2f× %s (%s)", r, better ? "✅" : "❌", best_peer_name);
        } else if (system == best_peer_name) {
          ratio = "best peer";
        }
      }
      absl::StrAppend(&out, "| ", IsEddy(system) ? "**" + system + "**" : system, " | ",
                      Number(median), " | ", Number(*lo), " – ", Number(*hi), " | ", runs.size(),
                      " | ", ratio, " |\n");
    }
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, KinesisApiSection(values));
  if (!failures.empty()) {
    absl::StrAppend(&out, "### Runs that failed or fell short\n\n");
    for (const std::string& f : failures) absl::StrAppend(&out, "- ", f, "\n");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace eddy::bench
