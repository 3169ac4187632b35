#pragma once
// The broker's limits (DESIGN.md "Default limits"). All configurable; `--limits=none`
// lifts the throughput ones for benchmarks (sizes and counts per call still apply).

#include <cstdint>

namespace eddy::broker {

struct BrokerLimits {
  // Writes per shard: bytes (data + partition key) and records per second.
  double write_bytes_per_second = 1 << 20;
  double write_records_per_second = 1000;
  // Shared polling reads per shard: bytes per second and GetRecords calls per second.
  double read_bytes_per_second = 2 << 20;
  double read_calls_per_second = 5;
  // Per call.
  int get_records_max_records = 10000;
  int64_t get_records_max_bytes = 10 << 20;
  int put_records_max_records = 500;
  int64_t put_records_max_bytes = 5 << 20;
  // Push (enhanced fan-out) budget per consumer per shard, bytes per second.
  double push_bytes_per_second = 2 << 20;
  // Memory for each shard's in-memory tail of newest records (serves push subscribers at
  // the head without reading storage). Not a throughput limit: --limits=none keeps it.
  int64_t tail_bytes_per_shard = 4 << 20;
  // Registered consumers per stream.
  int max_consumers_per_stream = 20;
  // Shards open at once across all streams of this broker.
  int max_shards = 500;
  // False with --limits=none: throughput buckets are not consulted.
  bool throughput_enforced = true;

  // The limits with throughput enforcement switched off.
  static BrokerLimits None() {
    BrokerLimits limits;
    limits.throughput_enforced = false;
    return limits;
  }
};

}  // namespace eddy::broker
