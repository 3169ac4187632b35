#pragma once
// Checkpointer: how a record processor records how far it has got in its shard.
//
// A processor receives one per shard (in ProcessRecords, ShardEnded and ShutdownRequested).
// A checkpoint says "everything up to and including this position is processed": after a
// restart or a lease move, processing resumes right after the last checkpoint.
//
// Rules (as the Java KCL's, with clearer errors — and never a failed batch recorded done):
// - Checkpoint() (implicit) covers exactly the records whose ProcessRecords call returned
//   normally. Called while a ProcessRecords call is running (from that call, or from any
//   other thread), it takes effect when the call returns normally — and is dropped if the
//   call throws; it then answers OK unless the lease is already lost. Anywhere else it is
//   written at once;
// - a position given explicitly (Checkpoint(record), CheckpointAt, Prepare) is written at
//   once, even inside a call that later throws; it must lie in [last checkpoint, largest
//   record delivered so far]; outside it the call fails with InvalidArgument and changes
//   nothing; the same value again is a no-op;
// - at shard end, Checkpoint() records SHARD_END (every record was processed: ShardEnded
//   is called only then), which lets the children start;
// - once this worker no longer holds the shard's lease, every call fails with the error type
//   kLeaseLost (FAILED_PRECONDITION) — the new owner's progress is never overwritten;
// - storage failures come back as retryable errors (common::IsRetryable).
//
// Thread-safe; valid until the processor's shard is shut down.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "kcl/record.h"

namespace eddy::kcl {

// The error type of calls made after the lease was lost.
inline constexpr absl::string_view kLeaseLost = "LeaseLostException";

class Checkpointer {
 public:
  virtual ~Checkpointer() = default;

  // Checkpoints everything processed so far (SHARD_END once the shard has ended); see the
  // rules above for calls made while ProcessRecords runs.
  virtual absl::Status Checkpoint() = 0;
  // Checkpoints a given record.
  virtual absl::Status Checkpoint(const KinesisClientRecord& record) = 0;
  // Checkpoints a position given as a sequence number (+ sub-sequence number).
  virtual absl::Status CheckpointAt(const std::string& sequence_number,
                                    uint64_t sub_sequence_number) = 0;

  // Two-phase checkpoint: records a pending checkpoint (with optional application state,
  // ≤ 64 KiB) now, to be made final by CommitPending().
  virtual absl::Status Prepare(const std::string& sequence_number, uint64_t sub_sequence_number,
                               const std::string& state) = 0;
  virtual absl::Status CommitPending() = 0;

  // The last checkpoint written for the shard.
  virtual checkpoint::ExtendedSequenceNumber last_checkpoint() const = 0;
};

}  // namespace eddy::kcl
