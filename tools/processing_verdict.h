#pragma once
// The verdict on a consumer run: given what `eddy produce` wrote and every record the
// processors saw (the JSON lines of `eddy consume`), were all records processed, in per-key
// order, and why were some processed more than once? Used by `eddy demo` and the tests.
//
// Order is judged per partition key over the processing events sorted by time: the first
// processing of counter c must come after that of c−1. A repeat of an earlier counter is a
// duplicate (at-least-once delivery), not an order violation; it is explained by who
// processed it first.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace eddy::tools {

// One record as a processor saw it.
struct ProcessedRecord {
  std::string partition_key;  // from the record's data (eddy-produce|key|counter|…)
  int64_t counter = -1;
  std::string shard_id;
  std::string sequence_number;
  uint64_t sub_sequence_number = 0;
  std::string worker_id;
  int64_t processed_at_micros = 0;
  int64_t millis_behind_latest = 0;
};

// Parses one `eddy consume` output line; false when it is not one or its data was not
// written by `eddy produce`.
bool ParseProcessedLine(const std::string& line, ProcessedRecord* out);

// How many records `eddy produce --count N --keys K --key-prefix P` writes per key.
std::map<std::string, int64_t> ProducedPerKey(int64_t count, int keys,
                                              const std::string& key_prefix);

struct Verdict {
  int64_t produced = 0;
  int64_t processed = 0;  // processing events, duplicates included
  int64_t distinct = 0;   // distinct produced records processed
  int64_t missing = 0;
  int64_t order_violations = 0;
  int64_t duplicates = 0;
  int64_t unexpected = 0;  // records for keys or counters never produced
  std::map<std::string, int64_t> duplicate_reasons;
  std::vector<std::string> examples;  // a few concrete problems, for the report

  bool ok() const { return missing == 0 && order_violations == 0 && unexpected == 0; }
};

// `killed_workers`: workers that were SIGKILLed (their unfinished work is replayed).
Verdict Judge(std::vector<ProcessedRecord> events, const std::map<std::string, int64_t>& produced,
              const std::set<std::string>& killed_workers);

}  // namespace eddy::tools
