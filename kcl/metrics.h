#pragma once
// WorkerMetrics: what one worker has done since it started, as a snapshot
// (Scheduler::metrics()). Counters only ever grow.

#include <cstdint>

namespace eddy::kcl {

struct WorkerMetrics {
  // Records of ProcessRecords calls that returned normally.
  int64_t records_processed = 0;
  // ProcessRecords calls that threw (their batch was retried, or its shard stopped).
  int64_t process_records_failures = 0;
  // User records of KPL aggregates whose hash key lies outside the range of the shard they
  // were read from — an aggregator that packs many keys into one record, or a producer
  // with a stale shard map around a reshard. Delivered (the default) or dropped
  // (Config::out_of_range_user_records = kDrop); counted either way.
  int64_t out_of_range_user_records = 0;
};

}  // namespace eddy::kcl
