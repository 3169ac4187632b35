#pragma once
// FanOutHub: every live SubscribeToShard session of the broker.
//
// It enforces one session per consumer and shard (a second one within the takeover time
// is refused with ResourceInUse; later, it takes over and the old one ends with
// ResourceInUse), keeps each consumer's per-shard budget across sessions, wakes the
// sessions of a shard when records are committed, and ends sessions when their consumer
// or stream goes away or the broker stops.
//
// Lifecycle: Start() → … → Stop() (ends every session with UNAVAILABLE). Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "broker/limits.h"
#include "broker/subscription.h"
#include "broker/task_runner.h"

namespace eddy::broker {

class FanOutHub {
 public:
  FanOutHub(const RecordStore& store, const common::Clock& clock, const FanOutOptions& options,
            const BrokerLimits& limits);
  ~FanOutHub();

  void Start();
  void Stop();

  // A new session for `consumer_arn` on `shard`, starting at `next_counter`; the caller
  // attaches its sink. ResourceInUse per the takeover rule; Unavailable after Stop().
  absl::StatusOr<std::shared_ptr<Subscription>> Subscribe(const std::string& consumer_arn,
                                                          std::shared_ptr<StreamState> stream,
                                                          std::shared_ptr<ShardState> shard,
                                                          uint64_t next_counter);

  // Records were committed to `shard` (commit thread; cheap).
  void OnCommit(const ShardState& shard);

  // Ends every session of a consumer, or of every consumer of a stream.
  void EndConsumer(const std::string& consumer_arn, const absl::Status& status);
  void EndStream(uint64_t stream_id, const absl::Status& status);

  // Live sessions (diagnostics and tests).
  int SessionCount() const;

 private:
  using Key = std::tuple<std::string, uint64_t, uint32_t>;  // consumer ARN, stream, shard
  struct Active {
    std::shared_ptr<Subscription> session;
    int64_t started_millis = 0;
  };

  void Forget(Subscription* session);

  const RecordStore& store_;
  const common::Clock& clock_;
  const FanOutOptions options_;
  const BrokerLimits limits_;
  TaskRunner runner_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::map<Key, Active> active_ ABSL_GUARDED_BY(mu_);
  std::map<const ShardState*, std::vector<std::shared_ptr<Subscription>>> by_shard_
      ABSL_GUARDED_BY(mu_);
  std::map<Key, std::shared_ptr<common::TokenBucket>> budgets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::broker
