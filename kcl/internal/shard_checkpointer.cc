#include "kcl/internal/shard_checkpointer.h"

#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

absl::Status LeaseLost(const std::string& shard_id) {
  return common::WithErrorType(
      absl::FailedPreconditionError(absl::StrCat(
          "This worker no longer holds the lease of ", shard_id,
          "; its progress belongs to the new owner and cannot be checkpointed from here.")),
      kLeaseLost);
}

}  // namespace

ShardCheckpointer::ShardCheckpointer(checkpoint::CheckpointStore& store, std::string shard_id,
                                     checkpoint::Ownership ownership,
                                     ExtendedSequenceNumber last_checkpoint)
    : store_(store),
      shard_id_(std::move(shard_id)),
      ownership_(std::move(ownership)),
      last_checkpoint_(last_checkpoint),
      largest_delivered_(last_checkpoint) {}

void ShardCheckpointer::SetLargestDelivered(const ExtendedSequenceNumber& position) {
  absl::MutexLock lock(&mu_);
  if (largest_delivered_ < position) largest_delivered_ = position;
}

void ShardCheckpointer::SetShardEnded() {
  absl::MutexLock lock(&mu_);
  shard_ended_ = true;
}

void ShardCheckpointer::MarkLeaseLost() {
  absl::MutexLock lock(&mu_);
  lease_lost_ = true;
}

ExtendedSequenceNumber ShardCheckpointer::last_checkpoint() const {
  absl::MutexLock lock(&mu_);
  return last_checkpoint_;
}

absl::Status ShardCheckpointer::CheckRange(const ExtendedSequenceNumber& value) const {
  if (value < last_checkpoint_ || largest_delivered_ < value) {
    return common::InvalidArgument(absl::StrCat(
        "Checkpoint ", value.ToString(), " for ", shard_id_, " is outside [last checkpoint ",
        last_checkpoint_.ToString(), ", largest delivered ", largest_delivered_.ToString(), "]."));
  }
  return absl::OkStatus();
}

absl::Status ShardCheckpointer::Write(const ExtendedSequenceNumber& value) {
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
    if (value == last_checkpoint_) return absl::OkStatus();  // already there
    if (value != ExtendedSequenceNumber::ShardEnd()) {
      if (absl::Status s = CheckRange(value); !s.ok()) return s;
    }
  }
  absl::StatusOr<bool> won = store_.Save(shard_id_, ownership_, value, "");
  if (!won.ok()) return won.status();
  absl::MutexLock lock(&mu_);
  if (!*won) {
    lease_lost_ = true;  // fenced: someone else owns the shard now
    return LeaseLost(shard_id_);
  }
  if (last_checkpoint_ < value) last_checkpoint_ = value;
  pending_.reset();
  return absl::OkStatus();
}

absl::Status ShardCheckpointer::Checkpoint() {
  ExtendedSequenceNumber value;
  {
    absl::MutexLock lock(&mu_);
    value = shard_ended_ ? ExtendedSequenceNumber::ShardEnd() : largest_delivered_;
  }
  return Write(value);
}

absl::Status ShardCheckpointer::Checkpoint(const KinesisClientRecord& record) {
  return CheckpointAt(record.sequence_number, record.sub_sequence_number);
}

absl::Status ShardCheckpointer::CheckpointAt(const std::string& sequence_number,
                                             uint64_t sub_sequence_number) {
  absl::StatusOr<ExtendedSequenceNumber> value =
      ExtendedSequenceNumber::Of(sequence_number, sub_sequence_number);
  if (!value.ok()) return value.status();
  return Write(*value);
}

absl::Status ShardCheckpointer::Prepare(const std::string& sequence_number,
                                        uint64_t sub_sequence_number, const std::string& state) {
  absl::StatusOr<ExtendedSequenceNumber> value =
      ExtendedSequenceNumber::Of(sequence_number, sub_sequence_number);
  if (!value.ok()) return value.status();
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
    if (absl::Status s = CheckRange(*value); !s.ok()) return s;
  }
  absl::StatusOr<bool> won = store_.Prepare(shard_id_, ownership_, *value, state);
  if (!won.ok()) return won.status();
  absl::MutexLock lock(&mu_);
  if (!*won) {
    lease_lost_ = true;
    return LeaseLost(shard_id_);
  }
  pending_ = *value;
  return absl::OkStatus();
}

absl::Status ShardCheckpointer::CommitPending() {
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
  }
  absl::StatusOr<bool> won = store_.Commit(shard_id_, ownership_);
  if (!won.ok()) return won.status();
  absl::MutexLock lock(&mu_);
  if (!*won) {
    lease_lost_ = true;
    return LeaseLost(shard_id_);
  }
  if (pending_ && last_checkpoint_ < *pending_) last_checkpoint_ = *pending_;
  pending_.reset();
  return absl::OkStatus();
}

}  // namespace eddy::kcl::internal
