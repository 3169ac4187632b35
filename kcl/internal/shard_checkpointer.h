#pragma once
// ShardCheckpointer: the Checkpointer of one shard consumer, writing through a fenced
// CheckpointStore under the ownership the worker took the lease with.
//
// What an implicit checkpoint (Checkpoint(), no position) covers is the framework's
// promise that a failed batch is never recorded as done:
// - records whose ProcessRecords call returned normally ("processed"), and nothing else;
// - inside a ProcessRecords call, Checkpoint() is deferred: it takes effect (is written)
//   when the call returns normally, and is dropped if the call throws;
// - SHARD_END only once the shard's end was reached with every record processed.
// Explicit checkpoints (CheckpointAt, Checkpoint(record), Prepare/CommitPending) are
// written at once, anywhere in [last checkpoint, largest delivered]: the processor vouches
// for them, even inside a call that later throws.
//
// Writes are serialised, so the stored checkpoint is always the last one accepted and
// never goes back — also after a write that failed without an answer (it may have landed:
// the next write first reads what is stored). Thread-safe.

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "checkpoint/checkpoint_store.h"
#include "kcl/checkpointer.h"

namespace eddy::kcl::internal {

class ShardCheckpointer final : public Checkpointer {
 public:
  // `store` must outlive this. `last_checkpoint` (and `pending`) are what the lease held
  // when this ownership began.
  ShardCheckpointer(checkpoint::CheckpointStore& store, std::string shard_id,
                    checkpoint::Ownership ownership,
                    checkpoint::ExtendedSequenceNumber last_checkpoint,
                    std::optional<checkpoint::ExtendedSequenceNumber> pending = std::nullopt);

  // The shard consumer brackets each ProcessRecords call: BeginBatch with the batch's last
  // position (explicit checkpoints may name anything up to it from now on), EndBatch with
  // whether the call returned normally. EndBatch(true) marks the batch processed and writes
  // a Checkpoint() deferred during the call; its status is that write's (OK if none).
  void BeginBatch(const checkpoint::ExtendedSequenceNumber& last_in_batch);
  absl::Status EndBatch(bool returned_normally);
  // Every record of the shard was processed: Checkpoint() now records SHARD_END.
  void SetShardEnded();
  // The start position, resolved (LATEST, once the first subscription said where "latest"
  // was): records at or before `position` were never this application's to process. If
  // the checkpoint is still the LATEST sentinel, `position` is written as the checkpoint, so
  // no later owner resolves LATEST again and skips what arrived in between.
  absl::Status ResolveLatest(const checkpoint::ExtendedSequenceNumber& position);
  // After the lease is gone every call fails with kLeaseLost.
  void MarkLeaseLost();
  bool lease_lost() const;

  absl::Status Checkpoint() override;
  absl::Status Checkpoint(const KinesisClientRecord& record) override;
  absl::Status CheckpointAt(const std::string& sequence_number,
                            uint64_t sub_sequence_number) override;
  absl::Status Prepare(const std::string& sequence_number, uint64_t sub_sequence_number,
                       const std::string& state) override;
  absl::Status CommitPending() override;
  checkpoint::ExtendedSequenceNumber last_checkpoint() const override;

 private:
  // Writes `value` unless it is at or behind the last checkpoint (`explicit_value`: a
  // position the processor named, range-checked and refused when behind).
  absl::Status Write(const checkpoint::ExtendedSequenceNumber& value, bool explicit_value);
  absl::Status CheckRange(const checkpoint::ExtendedSequenceNumber& value) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // A store answer: lost races mark the lease lost; errors leave the outcome uncertain.
  absl::Status Fenced(const absl::StatusOr<bool>& won);
  // After an uncertain write, reads what the store holds (write_mu_ held).
  absl::Status Settle();

  checkpoint::CheckpointStore& store_;
  const std::string shard_id_;
  const checkpoint::Ownership ownership_;
  // Held across each store write (and only there): two writes in flight could land out of
  // order and leave the stored checkpoint behind the one reported. Guards no fields.
  absl::Mutex write_mu_;
  mutable absl::Mutex mu_;
  checkpoint::ExtendedSequenceNumber last_checkpoint_ ABSL_GUARDED_BY(mu_);
  checkpoint::ExtendedSequenceNumber largest_delivered_ ABSL_GUARDED_BY(mu_);
  checkpoint::ExtendedSequenceNumber largest_processed_ ABSL_GUARDED_BY(mu_);
  bool in_batch_ ABSL_GUARDED_BY(mu_) = false;
  bool deferred_checkpoint_ ABSL_GUARDED_BY(mu_) = false;
  bool shard_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool lease_lost_ ABSL_GUARDED_BY(mu_) = false;
  bool uncertain_ ABSL_GUARDED_BY(mu_) = false;  // a write failed: it may have landed
  std::optional<checkpoint::ExtendedSequenceNumber> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::kcl::internal
