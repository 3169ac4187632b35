#pragma once
// ShardConsumer: runs one shard's processor through its lifecycle on a thread of its own
// (see the state diagram in kcl/record_processor.h). Created by the scheduler for each
// lease it holds; ends when the shard is finished, the lease is lost, or shutdown is
// requested.
//
//   read checkpoint ─► WAITING_ON_PARENTS ─► INITIALIZING ─► PROCESSING ─► SHUTTING_DOWN ─► DONE
//                      (skipped once the     (Initialize,    (a batch at a   (ShardEnded only
//                       shard has started)    retried until   time; a failed  if every record
//                                             it returns)     batch is never  was processed;
//                                                             skipped)        else Shutdown-
//                                                                             Requested or
//                                                                             LeaseLost)
//
// Before each ProcessRecords call the consumer checks that the lease is still held and was
// renewed within the failover time (lease_valid): a worker whose renewals stall stops
// delivering on its own, without waiting for the scheduler to notice.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "checkpoint/checkpoint_store.h"
#include "kcl/config.h"
#include "kcl/internal/lineage.h"
#include "kcl/internal/records_publisher.h"
#include "kcl/internal/shard_checkpointer.h"
#include "kcl/internal/worker_counters.h"
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
    // The stream's shards at the last shard sync (parents gone from it are finished).
    const ListedShards* listed = nullptr;
    // Whether this worker still holds the lease, renewed within the failover time.
    std::function<bool()> lease_valid;
    WorkerCounters* counters = nullptr;  // may be null
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
  // True when the lease was lost (told by the scheduler, or seen expired by the consumer).
  bool lease_lost() const { return lease_lost_.load(); }
  const std::string& shard_id() const { return context_.shard_id; }

 private:
  enum class Outcome { kShardEnded, kStopped };
  void Run();
  // Reads the lease's checkpoint, retrying storage failures; nullopt once stopped.
  std::optional<checkpoint::CheckpointRecord> ReadCheckpoint();
  // False if stopped while waiting.
  bool WaitForParents();
  // Calls Initialize until it returns normally; false if stopped first.
  bool Initialize(const checkpoint::CheckpointRecord& record);
  // Delivers batches until the shard ends (every record processed) or the consumer stops.
  Outcome Process(const checkpoint::CheckpointRecord& record);
  // Writes where LATEST stood as the lease's checkpoint, retrying storage failures; false
  // if stopped or the lease went first.
  bool RecordLatest(const checkpoint::ExtendedSequenceNumber& position);
  // Delivers one batch until ProcessRecords returns normally (true), or gives up: stopped,
  // lease gone, or stopped by policy (false).
  bool Deliver(Batch& batch);
  void ShutDown(Outcome outcome);
  void ShardEnded();
  // After the SHARD_END checkpoint: creates the children's leases whose parents are all
  // finished (lineage.h), retrying storage failures while the lease is held.
  void FollowLineage(const std::vector<ChildShardInfo>& children);
  // False (and the consumer stops as if told LeaseLost) once the lease is gone.
  bool LeaseStillValid();
  void NotifyStop();
  // Calls the processor, turning exceptions into a status (user code is untrusted).
  absl::Status Call(const char* what, const std::function<void()>& call);

  Context context_;
  std::atomic<ShardConsumerState> state_{ShardConsumerState::kWaitingOnParents};
  std::atomic<bool> lease_lost_{false};
  std::atomic<bool> shutdown_requested_{false};
  std::atomic<bool> shard_finished_{false};
  std::atomic<bool> stop_requested_{false};
  absl::Notification stop_;  // notified once, by NotifyStop
  std::unique_ptr<ShardCheckpointer> checkpointer_;
  std::unique_ptr<RecordsPublisher> publisher_;
  absl::Mutex publisher_mu_;
  std::vector<ChildShardInfo> children_;  // the consumer thread's: the ended shard's children
  std::thread thread_;
};

}  // namespace eddy::kcl::internal
