#pragma once
// RecordsPublisher: where a shard consumer's batches come from — push subscriptions
// (FanOutPublisher, the default) or GetRecords polling (PollingPublisher).
//
// Next() blocks until a batch, the shard's end, Stop(), or the timeout. Records are in
// shard order; a publisher resumes after the last record it returned, whatever happened
// to its connection — and a start at LATEST is resolved once: after the first subscription
// (or iterator) the publisher resumes from where the stream said "latest" was, never from
// a new "latest" (that would skip what arrived in between). Next() from one thread; Stop()
// from any.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "checkpoint/extended_sequence_number.h"
#include "client/stream_connection.h"
#include "common/hash_key.h"
#include "kcl/config.h"
#include "kcl/record.h"

namespace eddy::kcl::internal {

// The shard being read: its id, the hash keys it owns, and what becomes of aggregated user
// records outside them (deaggregation.h), counted in `out_of_range_count` if set.
struct ShardInfo {
  std::string id;
  common::HashKeyRange hash_range;
  OutOfRangeUserRecords out_of_range = OutOfRangeUserRecords::kDeliver;
  std::atomic<int64_t>* out_of_range_count = nullptr;
};

// A child of a shard that ended, as the stream reports it.
struct ChildShardInfo {
  std::string id;
  std::vector<std::string> parent_ids;
  common::HashKeyRange hash_range;
};

struct Batch {
  std::vector<KinesisClientRecord> records;
  int64_t millis_behind_latest = 0;
  // The shard was read to its end; these are its children.
  bool shard_ended = false;
  std::vector<ChildShardInfo> child_shards;
  // Where the publisher resumes after this batch, when the stream said (a subscription's
  // continuation): every record at or before it has been handed out. Lets a consumer
  // started at LATEST record where "latest" was even before any record arrives.
  std::optional<checkpoint::ExtendedSequenceNumber> resume_after;
};

// Where to start: after `checkpoint` (a real position or a sentinel).
struct StartPosition {
  checkpoint::ExtendedSequenceNumber checkpoint;
  int64_t timestamp_millis = 0;  // for AT_TIMESTAMP
};

class RecordsPublisher {
 public:
  virtual ~RecordsPublisher() = default;
  // The next batch (possibly empty after a timeout or a heartbeat). An error only when
  // the shard cannot be read at all (deleted stream); transient failures are retried inside.
  virtual absl::StatusOr<Batch> Next(absl::Duration timeout) = 0;
  virtual void Stop() = 0;
};

// `streams` must outlive the publisher.
//
// Some endpoints (kinesis-mock) never send ChildShards on a subscription: a closed shard's
// session stays open with empty events forever. With a finite `shard_end_probe_interval`,
// a subscription idle at the stream's tip asks that often (GetShardIterator + GetRecords
// from where it would resume) whether the shard was read to its end, and takes the
// children from that answer or, where it has none, from ListShards. It asks as often when
// sessions fail or end before their first event (an endpoint that refuses sessions on a
// closed shard read to its end).
std::unique_ptr<RecordsPublisher> MakeFanOutPublisher(
    client::StreamConnection& streams, client::StreamRef stream, std::string consumer_arn,
    ShardInfo shard, StartPosition start,
    absl::Duration shard_end_probe_interval = absl::InfiniteDuration());
// Polling: GetRecords calls at most `max_calls_per_second` a shard (Kinesis allows 5; 0: no
// limit), a pause of `idle` after an answer with nothing new, and failed calls retried after a
// growing, jittered delay.
std::unique_ptr<RecordsPublisher> MakePollingPublisher(client::StreamConnection& streams,
                                                       client::StreamRef stream, ShardInfo shard,
                                                       StartPosition start, absl::Duration idle,
                                                       int max_calls_per_second = 5);

}  // namespace eddy::kcl::internal
