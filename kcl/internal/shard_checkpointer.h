#pragma once
// ShardCheckpointer: the Checkpointer of one shard consumer, writing through a fenced
// CheckpointStore under the ownership the worker took the lease with.

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "checkpoint/checkpoint_store.h"
#include "kcl/checkpointer.h"

namespace eddy::kcl::internal {

class ShardCheckpointer final : public Checkpointer {
 public:
  // `store` must outlive this. `last_checkpoint` is what the lease held when taken.
  ShardCheckpointer(checkpoint::CheckpointStore& store, std::string shard_id,
                    checkpoint::Ownership ownership,
                    checkpoint::ExtendedSequenceNumber last_checkpoint);

  // The shard consumer reports progress: the largest position delivered to the processor,
  // and that the shard has been read to its end.
  void SetLargestDelivered(const checkpoint::ExtendedSequenceNumber& position);
  void SetShardEnded();
  // After the lease is gone every call fails with kLeaseLost.
  void MarkLeaseLost();

  absl::Status Checkpoint() override;
  absl::Status Checkpoint(const KinesisClientRecord& record) override;
  absl::Status CheckpointAt(const std::string& sequence_number,
                            uint64_t sub_sequence_number) override;
  absl::Status Prepare(const std::string& sequence_number, uint64_t sub_sequence_number,
                       const std::string& state) override;
  absl::Status CommitPending() override;
  checkpoint::ExtendedSequenceNumber last_checkpoint() const override;

 private:
  absl::Status Write(const checkpoint::ExtendedSequenceNumber& value);
  absl::Status CheckRange(const checkpoint::ExtendedSequenceNumber& value) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  checkpoint::CheckpointStore& store_;
  const std::string shard_id_;
  const checkpoint::Ownership ownership_;
  mutable absl::Mutex mu_;
  checkpoint::ExtendedSequenceNumber last_checkpoint_ ABSL_GUARDED_BY(mu_);
  checkpoint::ExtendedSequenceNumber largest_delivered_ ABSL_GUARDED_BY(mu_);
  bool shard_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool lease_lost_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<checkpoint::ExtendedSequenceNumber> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::kcl::internal
