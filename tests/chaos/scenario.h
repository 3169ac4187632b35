#pragma once
// Scenario: one randomized schedule of the chaos harness, made from a seed — how the
// stream, the workers and their processors are set up, and what goes wrong when: worker
// SIGKILL / SIGTERM / SIGSTOP+SIGCONT, new workers (hand-offs), processor failures
// (transient and persistent), subscription takeovers, broker SIGKILL, splits, merges and
// UpdateShardCount, over fan-out or polling, from TRIM_HORIZON, LATEST or AT_TIMESTAMP,
// with plain records or KPL aggregates. The same seed always makes the same schedule.

#include <cstdint>
#include <string>
#include <vector>

namespace eddy::chaos {

// One worker process (tests/workers/scripted_worker.cc) and how its processor behaves.
struct WorkerPlan {
  std::string id;
  std::string checkpoint = "batch";     // batch | record | prepare
  std::vector<std::string> fail_rules;  // "key#counter[:times]" (no times: persistent)
  double fail_rate = 0;                 // random transient failures per call
  bool partial_on_failure = false;
  std::string on_error = "retry";  // retry | stop-shard
  int max_leases = 0;              // 0: unlimited
  int max_steal = 1;
  std::string at_shard_end = "checkpoint";  // or crash-after-once (dies after SHARD_END)
  // A persistent failure makes the worker unable to finish alone: it is replaced by a
  // healthy one before the run is judged.
  bool Persistent() const;
  // The scripted_worker arguments for this plan (beyond the shared ones).
  std::vector<std::string> Arguments() const;
};

enum class ActionKind {
  kStartWorker,   // a new worker joins (balancing hands leases over to it)
  kKillWorker,    // SIGKILL
  kTermWorker,    // SIGTERM: graceful shutdown
  kFreezeWorker,  // SIGSTOP for `duration_millis`, then SIGCONT
  kKillBroker,    // SIGKILL the broker, restart it on the same port at once
  kSplit,         // split an open shard in the middle of its range
  kMerge,         // merge two adjacent open shards
  kScale,         // UpdateShardCount to half or double, within limits
  kTakeover,      // another subscriber takes a shard's subscription for a while (fan-out)
  kKillEtcdMember,  // etcd coordinator: SIGKILL one member for `duration_millis`, restart it
};
const char* ActionName(ActionKind kind);

struct Action {
  int64_t at_millis = 0;  // from the start of the chaos phase
  ActionKind kind = ActionKind::kKillWorker;
  uint64_t pick = 0;  // chooses the worker or shard among those live at the time
  int64_t duration_millis = 0;
  WorkerPlan worker;  // kStartWorker
};

struct Scenario {
  uint64_t seed = 0;
  std::string name;  // set for the fixed regression scenarios
  int shards = 2;
  std::string retrieval = "fan-out";              // fan-out | polling
  std::string initial_position = "TRIM_HORIZON";  // TRIM_HORIZON | LATEST | AT_TIMESTAMP
  int64_t failover_millis = 2000;
  int keys = 12;
  int records_per_aggregate = 0;     // 0: plain records
  int64_t produce_millis = 8000;     // the chaos phase: records arrive while things break
  int64_t produce_after_millis = 0;  // the producer starts this late (an idle stream first)
  int64_t round_pause_millis = 30;
  std::string broker_limits = "none";  // none | default (Kinesis' limits: polls throttled)
  // The first workers start this long after the producer (reshards may happen before).
  int64_t workers_start_millis = 0;
  std::vector<WorkerPlan> workers;  // at the start
  std::vector<Action> actions;      // in time order
  // Where the workers coordinate: "broker" (its coordinator) or "etcd" (a three-member
  // cluster the run starts; see WithEtcd).
  std::string coordinator = "broker";

  // One line per setting and action, for the report of a failed run.
  std::string Describe() const;
};

// The schedule of `seed`.
Scenario GenerateScenario(uint64_t seed);

// `scenario` coordinated on etcd instead, with 1–3 etcd members killed and restarted on
// top of its actions (drawn from its seed, so the rest of the schedule stays as it was).
Scenario WithEtcd(Scenario scenario);

// The fixed scenarios of the suite: each reproduces a way records were once lost,
// reordered or revived (docs/chaos.md lists them), plus random seeds that passed.
std::vector<Scenario> RegressionScenarios();

}  // namespace eddy::chaos
