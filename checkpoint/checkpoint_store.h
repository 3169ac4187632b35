#pragma once
// CheckpointStore: where each shard's processing stands, for one consumer application.
//
// Checkpoints are fenced: a write names the ownership it is made under (the lease owner and
// the lease's ownership epoch, see lease/lease.h) and succeeds only while that ownership is
// current. A worker that lost a lease — even one that has since re-acquired it, which is a
// new ownership — can never overwrite the new owner's progress. Losing the race is a value
// (false), not an error.
//
// Implementations are thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "checkpoint/extended_sequence_number.h"

namespace eddy::checkpoint {

// Largest application state stored with a checkpoint.
inline constexpr size_t kMaxStateBytes = 64 * 1024;

// Who may write a shard's checkpoint: the owner of the shard's lease in one ownership.
struct Ownership {
  std::string owner;
  uint64_t epoch = 0;
};

struct CheckpointRecord {
  ExtendedSequenceNumber checkpoint;
  std::string state;  // application state saved with the checkpoint (may be empty)
  std::optional<ExtendedSequenceNumber> pending;  // a prepared, not yet committed checkpoint
  std::string pending_state;
};

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;

  // The shard's checkpoint. ResourceNotFound if the shard has no lease.
  virtual absl::StatusOr<CheckpointRecord> Read(const std::string& shard_id) = 0;

  // Sets the checkpoint (and its state; clears any pending one and the lease's
  // owner-switch count) if `ownership` is current. InvalidArgument for state over
  // kMaxStateBytes.
  virtual absl::StatusOr<bool> Save(const std::string& shard_id, const Ownership& ownership,
                                    const ExtendedSequenceNumber& checkpoint,
                                    const std::string& state) = 0;

  // Records a pending checkpoint (two-phase, first step) if `ownership` is current.
  virtual absl::StatusOr<bool> Prepare(const std::string& shard_id, const Ownership& ownership,
                                       const ExtendedSequenceNumber& pending,
                                       const std::string& state) = 0;

  // Makes the pending checkpoint the checkpoint if `ownership` is current.
  // InvalidArgument if nothing is pending.
  virtual absl::StatusOr<bool> Commit(const std::string& shard_id, const Ownership& ownership) = 0;
};

}  // namespace eddy::checkpoint
