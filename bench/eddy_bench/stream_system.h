#pragma once
// One streaming system under benchmark, behind the few operations the workloads need:
// a fresh single-partition stream, ordered appends acknowledged by the system, and readers
// that follow the stream from its start. One implementation per system, each with its
// native client: Eddy (gRPC), Redis Streams (hiredis), NATS JetStream (nats.c), and any
// Kinesis endpoint — Eddy's own, kinesalite, kinesis-mock — over the Kinesis JSON API.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::bench {

class StreamSystem {
 public:
  virtual ~StreamSystem() = default;

  // Deletes `name` if it exists and creates it empty, with one partition (shard).
  virtual absl::Status Reset(const std::string& name) = 0;
  // Called after Reset with the number of concurrent readers a workload will use (Eddy
  // registers one enhanced fan-out consumer per reader).
  virtual absl::Status PrepareReaders(int count) {
    (void)count;
    return absl::OkStatus();
  }
  // Appends `records` in order; returns once the system acknowledged every one (one
  // pipelined / batched round trip where the system allows).
  virtual absl::Status Append(const std::vector<std::string>& records) = 0;
  // Reader number `reader` (< PrepareReaders' count) follows the stream from its start on
  // its own connection, calling `on_record` for each record in order, until `on_record`
  // returns false or `stop` becomes true. Push where the system pushes.
  virtual absl::Status Read(int reader, const std::function<bool(absl::string_view)>& on_record,
                            const std::atomic<bool>& stop) = 0;
};

// At `endpoint` (host:port): "eddy" (gRPC), "redis", "nats", or a Kinesis endpoint read by
// polling GetRecords ("kinesis-poll"; "kinesalite" is the same) or by SubscribeToShard
// ("kinesis-push").
absl::StatusOr<std::unique_ptr<StreamSystem>> MakeStreamSystem(const std::string& kind,
                                                               const std::string& endpoint);

std::unique_ptr<StreamSystem> MakeEddySystem(const std::string& endpoint);
std::unique_ptr<StreamSystem> MakeRedisSystem(const std::string& endpoint);
std::unique_ptr<StreamSystem> MakeNatsSystem(const std::string& endpoint);
std::unique_ptr<StreamSystem> MakeKinesisHttpSystem(const std::string& endpoint, bool subscribe);

// Splits "host:port".
bool SplitHostPort(const std::string& endpoint, std::string* host, int* port);

}  // namespace eddy::bench
