// eddy-chaos: runs chaos scenarios (tests/chaos) outside the test suite.
//
//   eddy-chaos --seed N [--seed M …]   the scenario of each seed (fixed regression
//                                      scenarios have seeds 9001…; others are generated)
//   eddy-chaos --regressions           every fixed scenario of the suite
//   eddy-chaos --minutes M [--first-seed S]  random seeds S, S+1, … for M minutes
//   --log FILE    one JSON line per run (seed, ok, violations, timings), appended
//   --keep        keep every run's files (failed runs' files are always kept)
//   --verbose     the harness's actions as they happen
//   --broker-binary, --worker-binary  the programs to run (default: this build's), so a long
//                 run can use copies while the build tree is rebuilt
// Exit status 0 when every run held every promise, 1 otherwise. Each failure prints its
// seed, its schedule, what went wrong and the one-line command that replays it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "tests/chaos/runner.h"
#include "tests/integration/process_harness.h"

namespace {

eddy::chaos::Scenario ScenarioOf(uint64_t seed) {
  for (const eddy::chaos::Scenario& fixed : eddy::chaos::RegressionScenarios()) {
    if (fixed.seed == seed) return fixed;
  }
  return eddy::chaos::GenerateScenario(seed);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("eddy-chaos: randomized fault injection against real Eddy processes");
  std::vector<uint64_t> seeds;
  bool regressions = false, keep = false, verbose = false;
  double minutes = 0;
  uint64_t first_seed = static_cast<uint64_t>(absl::ToUnixSeconds(absl::Now()));
  std::string log_path, work_root = "/tmp";
  std::string broker_binary = eddy::testing::BrokerBinary();
  std::string worker_binary = eddy::testing::ScriptedWorkerBinary();
  app.add_option("--seed", seeds, "run the scenario of this seed (repeatable)");
  app.add_flag("--regressions", regressions, "run every fixed scenario of the suite");
  app.add_option("--minutes", minutes, "run random seeds for this long");
  app.add_option("--first-seed", first_seed, "the first random seed (default: now)");
  app.add_option("--log", log_path, "append one JSON line per run to this file");
  app.add_option("--work-root", work_root, "where the runs' directories go");
  app.add_flag("--keep", keep, "keep every run's files");
  app.add_flag("--verbose", verbose, "print the harness's actions as they happen");
  std::string coordinator = "broker";
  app.add_option("--coordinator", coordinator,
                 "broker, or etcd: every schedule on a three-member etcd, members killed too")
      ->check(CLI::IsMember({"broker", "etcd"}));
  app.add_option("--broker-binary", broker_binary, "the broker to run")->check(CLI::ExistingFile);
  app.add_option("--worker-binary", worker_binary, "the scripted worker to run")
      ->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);
  if (seeds.empty() && !regressions && minutes <= 0) {
    fprintf(stderr, "give --seed, --regressions or --minutes (see --help)\n");
    return 2;
  }
  const std::string self = std::filesystem::canonical("/proc/self/exe").string();
  std::vector<eddy::chaos::Scenario> queue;
  for (uint64_t seed : seeds) queue.push_back(ScenarioOf(seed));
  if (regressions) {
    for (const auto& scenario : eddy::chaos::RegressionScenarios()) queue.push_back(scenario);
  }
  const absl::Time until = absl::Now() + absl::Seconds(minutes * 60);
  uint64_t next_seed = first_seed;
  int runs = 0, failed = 0;
  std::vector<uint64_t> failed_seeds;
  for (size_t i = 0;; ++i) {
    eddy::chaos::Scenario scenario;
    if (i < queue.size()) {
      scenario = queue[i];
    } else if (minutes > 0 && absl::Now() < until) {
      scenario = eddy::chaos::GenerateScenario(next_seed++);
    } else {
      break;
    }
    if (coordinator == "etcd" && scenario.coordinator != "etcd") {
      scenario = eddy::chaos::WithEtcd(scenario);
    }
    eddy::chaos::RunOptions options;
    options.broker_binary = broker_binary;
    options.worker_binary = worker_binary;
    options.work_dir = absl::StrCat(work_root, "/eddy-chaos-", getpid(), "-", scenario.seed);
    options.keep_files = keep;
    options.verbose = verbose;
    const eddy::chaos::RunResult result = eddy::chaos::RunScenario(scenario, options);
    ++runs;
    const bool ok = result.ok();
    printf("%s seed %llu%s: %lld records, %lld processings, %lld duplicates, %lld ms\n",
           ok ? "ok  " : "FAIL", static_cast<unsigned long long>(scenario.seed),
           scenario.name.empty() ? "" : (" (" + scenario.name + ")").c_str(),
           static_cast<long long>(result.judgement.produced),
           static_cast<long long>(result.judgement.processed),
           static_cast<long long>(result.judgement.duplicates),
           static_cast<long long>(result.elapsed_millis));
    if (!ok) {
      ++failed;
      failed_seeds.push_back(scenario.seed);
      printf("%s\n", scenario.Describe().c_str());
      if (!result.error.empty()) printf("  error: %s\n", result.error.c_str());
      for (const std::string& v : result.judgement.violations)
        printf("  violation: %s\n", v.c_str());
      for (const std::string& line : result.log) printf("  %s\n", line.c_str());
      printf("  files: %s\n  replay: %s\n", options.work_dir.c_str(),
             eddy::chaos::ReplayCommand(self, scenario).c_str());
    }
    fflush(stdout);
    if (!log_path.empty()) {
      std::ofstream(log_path, std::ios::app)
          << nlohmann::json{{"seed", scenario.seed},
                            {"name", scenario.name},
                            {"coordinator", scenario.coordinator},
                            {"ok", ok},
                            {"error", result.error},
                            {"violations", result.judgement.violations},
                            {"produced", result.judgement.produced},
                            {"processed", result.judgement.processed},
                            {"duplicates", result.judgement.duplicates},
                            {"elapsed_millis", result.elapsed_millis},
                            {"actions", scenario.actions.size()}}
                 .dump()
          << "\n";
    }
  }
  printf("%d schedules run, %d failed%s%s\n", runs, failed, failed > 0 ? ": seeds " : "",
         absl::StrJoin(failed_seeds, " ").c_str());
  return failed == 0 ? 0 : 1;
}
