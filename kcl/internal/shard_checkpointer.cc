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
                                     ExtendedSequenceNumber last_checkpoint,
                                     std::optional<ExtendedSequenceNumber> pending)
    : store_(store),
      shard_id_(std::move(shard_id)),
      ownership_(std::move(ownership)),
      last_checkpoint_(last_checkpoint),
      largest_delivered_(last_checkpoint),
      largest_processed_(last_checkpoint),
      pending_(std::move(pending)) {}

void ShardCheckpointer::BeginBatch(const ExtendedSequenceNumber& last_in_batch) {
  absl::MutexLock lock(&mu_);
  if (largest_delivered_ < last_in_batch) largest_delivered_ = last_in_batch;
  in_batch_ = true;
  deferred_checkpoint_ = false;
}

absl::Status ShardCheckpointer::EndBatch(bool returned_normally) {
  ExtendedSequenceNumber value;
  {
    absl::MutexLock lock(&mu_);
    in_batch_ = false;
    const bool deferred = deferred_checkpoint_;
    deferred_checkpoint_ = false;
    if (!returned_normally) return absl::OkStatus();  // a Checkpoint() it asked for is void
    if (largest_processed_ < largest_delivered_) largest_processed_ = largest_delivered_;
    if (!deferred) return absl::OkStatus();
    value = largest_processed_;
  }
  return Write(value, false);
}

void ShardCheckpointer::SetShardEnded() {
  absl::MutexLock lock(&mu_);
  shard_ended_ = true;
}

void ShardCheckpointer::MarkLeaseLost() {
  absl::MutexLock lock(&mu_);
  lease_lost_ = true;
}

bool ShardCheckpointer::lease_lost() const {
  absl::MutexLock lock(&mu_);
  return lease_lost_;
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

absl::Status ShardCheckpointer::Settle() {
  {
    absl::MutexLock lock(&mu_);
    if (!uncertain_) return absl::OkStatus();
  }
  // The last write failed without an answer: it may have landed. Learn what is stored
  // before writing again, so that a value below it is never written over it.
  absl::StatusOr<checkpoint::CheckpointRecord> stored = store_.Read(shard_id_);
  if (!stored.ok()) return stored.status();
  absl::MutexLock lock(&mu_);
  if (last_checkpoint_ < stored->checkpoint) last_checkpoint_ = stored->checkpoint;
  if (largest_delivered_ < last_checkpoint_) largest_delivered_ = last_checkpoint_;
  pending_ = stored->pending;
  uncertain_ = false;
  return absl::OkStatus();
}

absl::Status ShardCheckpointer::Fenced(const absl::StatusOr<bool>& won) {
  if (!won.ok()) {
    absl::MutexLock lock(&mu_);
    uncertain_ = true;
    return won.status();
  }
  if (*won) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  lease_lost_ = true;  // fenced: someone else owns the shard now
  return LeaseLost(shard_id_);
}

absl::Status ShardCheckpointer::Write(const ExtendedSequenceNumber& value, bool explicit_value) {
  absl::MutexLock write(&write_mu_);
  if (absl::Status s = Settle(); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
    if (value == last_checkpoint_) return absl::OkStatus();  // already there
    if (explicit_value) {
      if (absl::Status s = CheckRange(value); !s.ok()) return s;
    } else if (value < last_checkpoint_) {
      // An explicit checkpoint (inside a call that then failed, say) went further already.
      return absl::OkStatus();
    }
  }
  if (absl::Status s = Fenced(store_.Save(shard_id_, ownership_, value, "")); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (last_checkpoint_ < value) last_checkpoint_ = value;
  pending_.reset();  // Save clears the stored one too
  return absl::OkStatus();
}

absl::Status ShardCheckpointer::Checkpoint() {
  ExtendedSequenceNumber value;
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
    if (in_batch_) {
      // Covers this batch only if its ProcessRecords returns normally: written then.
      deferred_checkpoint_ = true;
      return absl::OkStatus();
    }
    value = shard_ended_ ? ExtendedSequenceNumber::ShardEnd() : largest_processed_;
  }
  return Write(value, false);
}

absl::Status ShardCheckpointer::Checkpoint(const KinesisClientRecord& record) {
  return CheckpointAt(record.sequence_number, record.sub_sequence_number);
}

absl::Status ShardCheckpointer::CheckpointAt(const std::string& sequence_number,
                                             uint64_t sub_sequence_number) {
  absl::StatusOr<ExtendedSequenceNumber> value =
      ExtendedSequenceNumber::Of(sequence_number, sub_sequence_number);
  if (!value.ok()) return value.status();
  return Write(*value, true);
}

absl::Status ShardCheckpointer::ResolveLatest(const ExtendedSequenceNumber& position) {
  absl::MutexLock write(&write_mu_);
  if (absl::Status s = Settle(); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
    if (last_checkpoint_ != ExtendedSequenceNumber::Latest()) return absl::OkStatus();
    if (largest_delivered_ < position) largest_delivered_ = position;
    if (largest_processed_ < position) largest_processed_ = position;
  }
  if (absl::Status s = Fenced(store_.Save(shard_id_, ownership_, position, "")); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (last_checkpoint_ < position) last_checkpoint_ = position;
  return absl::OkStatus();
}

absl::Status ShardCheckpointer::Prepare(const std::string& sequence_number,
                                        uint64_t sub_sequence_number, const std::string& state) {
  absl::StatusOr<ExtendedSequenceNumber> value =
      ExtendedSequenceNumber::Of(sequence_number, sub_sequence_number);
  if (!value.ok()) return value.status();
  absl::MutexLock write(&write_mu_);
  if (absl::Status s = Settle(); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
    if (absl::Status s = CheckRange(*value); !s.ok()) return s;
  }
  if (absl::Status s = Fenced(store_.Prepare(shard_id_, ownership_, *value, state)); !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&mu_);
  pending_ = *value;
  return absl::OkStatus();
}

absl::Status ShardCheckpointer::CommitPending() {
  absl::MutexLock write(&write_mu_);
  if (absl::Status s = Settle(); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    if (lease_lost_) return LeaseLost(shard_id_);
    if (!pending_.has_value()) {
      return common::InvalidArgument(
          absl::StrCat("No checkpoint of ", shard_id_, " is pending: call Prepare first."));
    }
  }
  if (absl::Status s = Fenced(store_.Commit(shard_id_, ownership_)); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (last_checkpoint_ < *pending_) last_checkpoint_ = *pending_;
  pending_.reset();
  return absl::OkStatus();
}

}  // namespace eddy::kcl::internal
