#pragma once
// The broker's in-memory view of streams and shards, shared by the control plane, the
// write path and the read path.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/catch_up_cache.h"
#include "broker/limits.h"
#include "broker/shard_tail.h"
#include "common/clock.h"
#include "common/hash_key.h"
#include "common/token_bucket.h"

namespace eddy::broker {

enum class StreamMode { kProvisioned = 1, kOnDemand = 2 };

// A shard born of a split or merge, as GetRecords and SubscribeToShard report it at the end
// of its parent.
// A stream's settings that the API changes and reports besides retention: capacity mode,
// tags, enhanced monitoring and encryption (recorded and reported; Eddy does not yet
// encrypt at rest — docs/kinesis-api.md).
struct StreamSettings {
  StreamMode mode = StreamMode::kProvisioned;
  std::map<std::string, std::string> tags;
  std::set<std::string> shard_level_metrics;
  std::string encryption_type = "NONE";  // NONE | KMS
  std::string key_id;                    // with KMS
};

struct ChildShardInfo {
  std::string shard_id;
  std::vector<std::string> parent_shards;
  common::HashKeyRange hash_range;
};

// One shard. Identity and hash range never change after creation. Counters:
// `last_assigned` belongs to the commit thread; `committed` is the highest counter that is
// durable and readable (everything at or below it is visible to readers).
// Thread-safe: the mutable fields are atomics; the buckets lock themselves.
class ShardState {
 public:
  ShardState(uint64_t stream_id, uint32_t index, common::HashKeyRange range,
             uint64_t starting_counter, const BrokerLimits& limits, const common::Clock& clock);

  const uint64_t stream_id;
  const uint32_t index;
  const std::string shard_id;
  const common::HashKeyRange hash_range;
  const uint64_t starting_counter;
  std::string parent_shard_id;           // set before publication, then read-only
  std::string adjacent_parent_shard_id;  // likewise

  std::atomic<uint64_t> ending_counter{0};  // 0 while open
  std::atomic<uint64_t> committed{0};
  uint64_t last_assigned = 0;  // commit thread only
  std::atomic<bool> deleted{false};

  bool IsOpen() const { return ending_counter.load() == 0; }

  // The last counter a reader can reach: the committed records, up to the shard's end.
  uint64_t LastReadableCounter() const {
    const uint64_t ending = ending_counter.load();
    const uint64_t last = committed.load();
    return ending != 0 ? std::min(last, ending) : last;
  }

  // The counter a reader about to read `next_counter` stands after — the position a later
  // AFTER_SEQUENCE_NUMBER resumes from. Never past `last_readable` (a start at a timestamp
  // after the last record would otherwise name a position every resume is refused; nothing
  // can be written below the clock, so resuming there skips nothing) nor below the start.
  uint64_t ResumeAfterCounter(uint64_t next_counter, uint64_t last_readable) const {
    const uint64_t before_next = std::max(next_counter, starting_counter + 1) - 1;
    return std::min(before_next, std::max(last_readable, starting_counter));
  }

  // Sets the counters of a shard whose last written counter is `last` (creation or
  // restart) and starts its tail above it. Before publication only.
  void InitCounters(uint64_t last);

  // The newest records, in memory (see shard_tail.h).
  ShardTail& tail() { return *tail_; }
  // Recent catch-up reads below the tail, shared by subscribers (catch_up_cache.h).
  CatchUpCache& catch_up() { return catch_up_; }

  // Ingress since the last TakeIngress (on-demand capacity decisions).
  struct Ingress {
    int64_t bytes = 0;
    bool any = false;
    common::HashKey min_key = 0;
    common::HashKey max_key = 0;
  };
  void RecordIngress(int64_t bytes, common::HashKey key);
  Ingress TakeIngress();

  common::TokenBucket write_bytes;
  common::TokenBucket write_records;
  common::TokenBucket read_calls;
  common::TokenBucket read_bytes;

 private:
  const int64_t tail_bytes_;
  std::unique_ptr<ShardTail> tail_;
  CatchUpCache catch_up_;
  absl::Mutex ingress_mu_;
  Ingress ingress_ ABSL_GUARDED_BY(ingress_mu_);
};

// One stream: fixed identity plus mutable settings and its shards.
// Thread-safe: mutable fields are guarded by mu_; readers copy what they need.
class StreamState {
 public:
  StreamState(uint64_t id, std::string name, int64_t creation_millis, StreamMode mode,
              int max_record_size_kib, int retention_hours);

  const uint64_t id;
  const std::string name;
  const std::string arn;
  const int64_t creation_millis;
  const int max_record_size_kib;
  // Set by DeleteStream: the stream's metadata is never written again.
  std::atomic<bool> deleted{false};

  StreamSettings settings() const;
  void set_settings(StreamSettings settings);
  StreamMode mode() const;

  int retention_hours() const;
  // Changes the retention at `now_millis`. What has expired by then stays expired: the
  // trim floor moves up to the current horizon before a longer retention takes effect.
  void set_retention_hours(int hours, int64_t now_millis);
  // The trim floor a retention change at `now_millis` leaves (what has expired by then).
  uint64_t TrimFloorAt(int64_t now_millis) const;
  // Records below this counter have expired for good (persisted with the stream).
  uint64_t trim_floor_counter() const;
  void set_trim_floor_counter(uint64_t counter);

  // UPDATING while a split or merge is being applied, else ACTIVE.
  bool updating() const;
  // Marks the stream UPDATING; false if it already was (one change at a time).
  bool BeginUpdate();
  void EndUpdate();

  // The next unused shard index (indices are never reused).
  uint32_t next_shard_index() const;
  void set_next_shard_index(uint32_t index);

  // Closes `parents` at their ending counters and adds `children`, atomically for routing.
  void ApplyReshard(const std::vector<std::pair<std::shared_ptr<ShardState>, uint64_t>>& parents,
                    std::vector<std::shared_ptr<ShardState>> children);
  // Drops a shard (an expired closed one) from the stream.
  void RemoveShard(uint32_t index);

  // All shards, open and closed, in index order.
  std::vector<std::shared_ptr<ShardState>> Shards() const;
  void AddShard(std::shared_ptr<ShardState> shard);
  std::shared_ptr<ShardState> FindShard(uint32_t index) const;

  // The open shard whose range holds `key` (null only if the ranges have a hole).
  std::shared_ptr<ShardState> RouteHashKey(common::HashKey key) const;

  // The shards split or merged from `shard`.
  std::vector<ChildShardInfo> ChildrenOf(const ShardState& shard) const;

  // The counter below which records have passed retention at `now_millis` (never below
  // the trim floor: retention only moves forward).
  uint64_t TrimHorizonCounter(int64_t now_millis) const;

  int64_t MaxRecordBytes() const { return static_cast<int64_t>(max_record_size_kib) * 1024; }

 private:
  uint64_t TrimFloorAtLocked(int64_t now_millis) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  int retention_hours_ ABSL_GUARDED_BY(mu_);
  StreamSettings settings_ ABSL_GUARDED_BY(mu_);
  uint64_t trim_floor_counter_ ABSL_GUARDED_BY(mu_) = 0;
  bool updating_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t next_shard_index_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<ShardState>> shards_ ABSL_GUARDED_BY(mu_);
};

// "arn:aws:kinesis:local:000000000000:stream/<name>" — the ARN shape clients expect.
std::string StreamArn(absl::string_view name);

}  // namespace eddy::broker
