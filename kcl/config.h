#pragma once
// Config: everything a Scheduler needs, with the Java KCL's defaults.

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"

namespace eddy::kcl {

enum class InitialPosition { kLatest, kTrimHorizon, kAtTimestamp };
enum class RetrievalMode { kFanOut, kPolling };
// A user record of a KPL aggregate whose hash key lies outside the shard it was read from.
enum class OutOfRangeUserRecords {
  kDeliver,  // deliver it (default): it exists nowhere else unless a producer re-sent it
  kDrop,     // drop it (and only it), as the Java KCL does
};
// How records are read.
enum class Transport {
  kEddyGrpc,     // Eddy's gRPC API at Config::endpoint (default)
  kKinesisHttp,  // the Kinesis Data Streams API: AWS, eddy-broker --kinesis-listen, kinesis-mock,
                 // LocalStack (Config::kinesis)
};
enum class ProcessorErrorPolicy {
  kRetry,      // deliver the same batch again after a backoff (default)
  kStopShard,  // stop processing the shard and release its lease
};

// Where and how the Kinesis transport connects. Every empty field is looked up as the AWS
// SDKs and the aws CLI do (client/aws_config.h): credentials from AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile in ~/.aws/credentials and
// ~/.aws/config (credential_process included, refreshed before expiry).
struct KinesisTransportConfig {
  // "" = AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL, else https://kinesis.REGION.amazonaws.com.
  std::string endpoint_url;
  std::string region;   // "" = AWS_REGION, AWS_DEFAULT_REGION, the profile's region
  std::string profile;  // "" = AWS_PROFILE, else "default"
  // Over an http:// endpoint, HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1
  // (https:// endpoints negotiate HTTP/2 by ALPN either way).
  bool http2_cleartext = false;
  std::string ca_bundle;  // TLS: a CA bundle instead of the system's
  bool verify_tls = true;
};

struct Config {
  // The consumer application: its lease table, and its enhanced fan-out consumer name.
  std::string application_name;
  std::string stream_name;
  // The broker (stream API with kEddyGrpc, and the coordinator unless
  // coordinator_endpoint or embedded_coordinator_path is set).
  std::string endpoint = "127.0.0.1:4567";
  Transport transport = Transport::kEddyGrpc;
  KinesisTransportConfig kinesis;  // with Transport::kKinesisHttp
  // Unique per worker; default: host name, process id and a random suffix.
  std::string worker_id;
  // Where a shard's processing starts when its lease is first created. LATEST is resolved
  // once: the position the stream gives at the first subscription (or iterator) becomes
  // the lease's checkpoint before any record is delivered, and nobody starts at a new
  // "latest" after that.
  InitialPosition initial_position = InitialPosition::kLatest;
  int64_t initial_timestamp_millis = 0;  // with kAtTimestamp
  // A lease not renewed for this long is expired (renewals every failover / 3).
  int64_t failover_millis = 10'000;
  int max_leases_for_worker = 1 << 30;
  int max_leases_to_steal = 1;
  RetrievalMode retrieval_mode = RetrievalMode::kFanOut;
  // The coordinator (lease table and checkpoints), an eddy-broker's host:port; empty: the
  // broker at `endpoint` (whatever the transport: records may come from AWS while leases sit
  // in an eddy-broker).
  std::string coordinator_endpoint;
  // Non-empty: keep leases in an embedded RocksDB here (one process only).
  std::string embedded_coordinator_path;
  // Non-empty: keep leases, checkpoints and worker sessions in this etcd cluster (its
  // members' host:port; docs/coordination.md). Survives losing a minority of the members.
  std::vector<std::string> etcd_endpoints;
  // With etcd: a crashed worker's leases are free this long after its last keepalive (from
  // 3 s up; the etcd lease itself is granted whole seconds, at least 2); 0: the failover
  // time.
  int64_t etcd_session_ttl_millis = 0;
  ProcessorErrorPolicy on_processor_error = ProcessorErrorPolicy::kRetry;
  // Aggregated user records outside their shard's hash key range (counted either way in
  // WorkerMetrics::out_of_range_user_records).
  OutOfRangeUserRecords out_of_range_user_records = OutOfRangeUserRecords::kDeliver;
  // How often the stream's shards are compared with the lease table.
  int64_t shard_sync_interval_millis = 5'000;
  // Polling retrieval: pause when a shard has nothing new.
  int64_t polling_idle_millis = 200;
  // Polling retrieval: GetRecords calls per shard per second, at most (Kinesis allows 5 and
  // throttles beyond; 0: no limit, for an endpoint without one).
  int polling_max_calls_per_second = 5;
  // Clock for lease expiry and timers; must outlive the scheduler.
  const common::Clock* clock = &common::SystemClock::Get();
};

}  // namespace eddy::kcl
