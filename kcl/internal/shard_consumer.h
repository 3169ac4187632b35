#pragma once
// ShardConsumer: runs one shard's processor through its lifecycle on a thread of its own
// (see the state diagram in kcl/record_processor.h). Created by the scheduler for each
// lease it holds; ends when the shard is finished, the lease is lost, or shutdown is
// requested.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "checkpoint/checkpoint_store.h"
#include "kcl/config.h"
#include "kcl/internal/records_publisher.h"
#include "kcl/internal/shard_checkpointer.h"
#include "kcl/record_processor.h"
#include "lease/lease_table.h"

namespace eddy::kcl::internal {

enum class ShardConsumerState {
  kWaitingOnParents,
  kInitializing,
  kProcessing,
  kShuttingDown,
  kDone,
};
const char* StateName(ShardConsumerState state);

class ShardConsumer {
 public:
  struct Context {
    std::string shard_id;
    std::vector<std::string> parent_shard_ids;
    checkpoint::Ownership ownership;
    lease::LeaseTable* leases = nullptr;
    checkpoint::CheckpointStore* checkpoints = nullptr;
    const Config* config = nullptr;
    // Makes the publisher once the starting position is known.
    std::function<std::unique_ptr<RecordsPublisher>(const StartPosition&)> make_publisher;
    std::unique_ptr<RecordProcessor> processor;
  };

  explicit ShardConsumer(Context context);
  ~ShardConsumer();

  void Start();
  // The lease is gone: the processor gets LeaseLost and the consumer stops at once.
  void LeaseLost();
  // Graceful: the processor gets ShutdownRequested (and may checkpoint), then it stops.
  void RequestShutdown();
  // Waits for the thread to end.
  void Join();

  bool done() const { return state_.load() == ShardConsumerState::kDone; }
  ShardConsumerState state() const { return state_.load(); }
  // True when the shard was processed to its end and SHARD_END was checkpointed.
  bool shard_finished() const { return shard_finished_.load(); }
  const std::string& shard_id() const { return context_.shard_id; }

 private:
  void Run();
  bool ParentsDone();
  // After the SHARD_END checkpoint: creates the children's leases whose parents are all
  // finished (lineage.h), retrying storage failures while the lease is held.
  void FollowLineage(const std::vector<ChildShardInfo>& children);
  // Calls the processor, turning exceptions into a status (user code is untrusted).
  absl::Status Call(const char* what, const std::function<void()>& call);

  Context context_;
  std::atomic<ShardConsumerState> state_{ShardConsumerState::kWaitingOnParents};
  std::atomic<bool> lease_lost_{false};
  std::atomic<bool> shutdown_requested_{false};
  std::atomic<bool> shard_finished_{false};
  absl::Notification stop_;
  std::unique_ptr<ShardCheckpointer> checkpointer_;
  std::unique_ptr<RecordsPublisher> publisher_;
  absl::Mutex publisher_mu_;
  std::thread thread_;
};

}  // namespace eddy::kcl::internal
