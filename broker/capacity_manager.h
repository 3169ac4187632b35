#pragma once
// CapacityManager: scales ON_DEMAND streams by itself, as Kinesis on-demand mode does.
//
// Every check it takes each open shard's ingress since the last check (bytes and the range
// of hash keys written). A shard whose average ingress over `split_window_millis` stays
// above `split_bytes_per_second` is split between the hash keys actually written, so the
// load really spreads (a shard written by one hash key is never split: that cannot help).
// Two children of the same split whose ingress both stayed below `merge_bytes_per_second`
// for `merge_quiet_millis` are merged back.
//
// Lifecycle: Start() → Stop(). Thread-safe; one thread of its own.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "broker/stream_catalog.h"

namespace eddy::broker {

struct OnDemandOptions {
  double split_bytes_per_second = 500 * 1024;
  int64_t split_window_millis = 10'000;
  double merge_bytes_per_second = 50 * 1024;
  int64_t merge_quiet_millis = 600'000;
  int64_t check_interval_millis = 1'000;
};

class CapacityManager {
 public:
  using Split = std::function<absl::Status(const std::shared_ptr<StreamState>& stream,
                                           const std::string& shard_id,
                                           const std::string& new_starting_hash_key)>;
  using Merge = std::function<absl::Status(const std::shared_ptr<StreamState>& stream,
                                           const std::string& shard_id,
                                           const std::string& adjacent_shard_id)>;

  CapacityManager(StreamCatalog& catalog, const common::Clock& clock, OnDemandOptions options,
                  Split split, Merge merge);
  ~CapacityManager();

  void Start();
  void Stop();

  // One check of every ON_DEMAND stream (the thread's loop body; tests call it).
  void CheckNow();

 private:
  struct Sample {
    int64_t at_millis = 0;
    int64_t bytes = 0;
    common::HashKey min_key = 0;
    common::HashKey max_key = 0;
    bool any = false;
  };
  struct ShardLoad {
    std::deque<Sample> samples;
    int64_t cold_since_millis = -1;
  };
  using Key = std::pair<uint64_t, uint32_t>;  // stream id, shard index

  void CheckStream(const std::shared_ptr<StreamState>& stream, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  StreamCatalog& catalog_;
  const common::Clock& clock_;
  const OnDemandOptions options_;
  const Split split_;
  const Merge merge_;
  absl::Mutex mu_;  // one check at a time
  std::map<Key, ShardLoad> loads_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace eddy::broker
