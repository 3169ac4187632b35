#pragma once
// Oracle: judges one chaos run from what the workers printed, what the producer had
// acknowledged, what the lease table looked like over time, and what the harness did.
//
// The promises it checks (docs/semantics.md, docs/consumer-framework.md):
// - every acknowledged record in scope was processed by a ProcessRecords call that
//   returned normally (workers print a record only then);
// - per partition key, first processings follow the producer's order, across splits and
//   merges (tools::Judge);
// - children never before parents: no record of a child shard is processed before every
//   record of each of its parents was;
// - no shard is processed by two live owners beyond the fencing window: a worker never
//   starts a batch of a shard more than `fencing_window` after another worker took it over
//   (time it spent frozen by SIGSTOP aside);
// - checkpoints never go back: each lease's checkpoint, sampled over the run, only moves
//   forward (a lease deleted once finished never comes back); and nothing at or before the
//   checkpoint an ownership started from is delivered to it again (a revival);
// - records outside the scope (before an AT_TIMESTAMP start) are never processed.
// Pure: no I/O; unit-tested with made-up runs (oracle_test.cc).

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace eddy::chaos {

// A record as a worker processed it.
struct ProcessedEvent {
  std::string key;
  int64_t counter = 0;
  std::string shard_id;
  std::string worker_id;
  int64_t batch_start_micros = 0;
  int64_t processed_at_micros = 0;
  std::string sequence_number;  // where the record stands in its shard
  uint64_t sub_sequence_number = 0;
};

// A worker began an ownership of a shard (its processor's Initialize).
struct TenureStart {
  std::string shard_id;
  std::string worker_id;
  int64_t at_micros = 0;
  std::string checkpoint;  // what it started after (ExtendedSequenceNumber::ToString)
};

// One reading of the lease table: shard → checkpoint (as ExtendedSequenceNumber::ToString).
struct LeaseSample {
  int64_t at_micros = 0;
  std::map<std::string, std::string> checkpoints;
};

struct Interval {
  int64_t from_micros = 0;
  int64_t to_micros = 0;
};

struct RunRecord {
  // In scope: every one of these (per key, counters 0 … n−1) must be processed.
  std::map<std::string, int64_t> produced;
  // Keys that must never be processed (written before an AT_TIMESTAMP start).
  std::set<std::string> forbidden_keys;
  // Keys neither required nor forbidden (a LATEST run's primer).
  std::set<std::string> ignored_keys;
  std::vector<ProcessedEvent> processed;
  std::vector<TenureStart> tenures;
  std::vector<LeaseSample> leases;
  std::map<std::string, std::vector<Interval>> frozen;      // worker → SIGSTOP periods
  std::set<std::string> killed;                             // SIGKILLed workers
  std::map<std::string, std::vector<std::string>> parents;  // shard → parents (listing)
  bool listing_known = true;  // false: the final listing failed, lineage cannot be judged
  int64_t fencing_window_micros = 0;
};

struct Judgement {
  std::vector<std::string> violations;  // empty: every promise held
  int64_t produced = 0;
  int64_t processed = 0;
  int64_t duplicates = 0;
  bool ok() const { return violations.empty(); }
};

Judgement JudgeRun(const RunRecord& run);

}  // namespace eddy::chaos
