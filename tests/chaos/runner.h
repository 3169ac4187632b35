#pragma once
// Runner: plays one Scenario against real processes — an eddy-broker on 127.0.0.1 with an
// ephemeral port and scripted_worker processes — then judges the run (oracle.h).
//
//   setup ─► (AT_TIMESTAMP: records before the start) ─► workers ─► (LATEST: wait until
//   every lease has recorded where "latest" was) ─► chaos: a producer writes while the
//   schedule's actions break things ─► heal: unfreeze, bring the broker back, replace
//   workers whose failures are persistent, add one healthy worker ─► drain: wait until
//   everything acknowledged was processed (or a deadline) ─► stop ─► judge
//
// Every wait is bounded; the whole run takes the scenario's produce time plus at most
// RunOptions::drain_timeout and a few seconds.

#include <chrono>
#include <string>
#include <vector>

#include "tests/chaos/oracle.h"
#include "tests/chaos/scenario.h"

namespace eddy::chaos {

struct RunOptions {
  // The programs (absolute paths).
  std::string broker_binary;
  std::string worker_binary;
  // Where the run's files go (a fresh directory per run); kept only if `keep_files`.
  std::string work_dir;
  bool keep_files = false;
  // How long the drain may take before what is still missing counts as lost.
  std::chrono::milliseconds drain_timeout{90'000};
  // Progress lines (actions as they happen) to stderr.
  bool verbose = false;
};

struct RunResult {
  Judgement judgement;
  std::vector<std::string> log;  // what the harness did, with times
  int64_t elapsed_millis = 0;
  std::string error;  // the run itself could not be carried out (setup failed)
  bool ok() const { return error.empty() && judgement.ok(); }
};

RunResult RunScenario(const Scenario& scenario, const RunOptions& options);

// "<binary> --seed N": how to run `scenario` again (its seed names it).
std::string ReplayCommand(const std::string& chaos_binary, const Scenario& scenario);

}  // namespace eddy::chaos
