#pragma once
// WorkerCounters: the live counters behind kcl::WorkerMetrics, shared by a scheduler, its
// shard consumers and their publishers (which the scheduler outlives). Thread-safe.

#include <atomic>
#include <cstdint>

#include "kcl/metrics.h"

namespace eddy::kcl::internal {

struct WorkerCounters {
  std::atomic<int64_t> records_processed{0};
  std::atomic<int64_t> process_records_failures{0};
  std::atomic<int64_t> out_of_range_user_records{0};

  WorkerMetrics Snapshot() const {
    WorkerMetrics metrics;
    metrics.records_processed = records_processed.load();
    metrics.process_records_failures = process_records_failures.load();
    metrics.out_of_range_user_records = out_of_range_user_records.load();
    return metrics;
  }
};

}  // namespace eddy::kcl::internal
