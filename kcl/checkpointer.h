#pragma once
// Checkpointer: how a record processor records how far it has got in its shard.
//
// A processor receives one per shard (in ProcessRecords, ShardEnded and ShutdownRequested).
// A checkpoint says "everything up to and including this position is processed": after a
// restart or a lease move, processing resumes right after the last checkpoint.
//
// Rules (as the Java KCL's, with clearer errors):
// - a value must lie in [last checkpoint, largest record delivered so far]; outside it the
//   call fails with InvalidArgument and changes nothing; the same value again is a no-op;
// - at shard end, Checkpoint() records SHARD_END, which lets the children start;
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

  // Checkpoints the largest record delivered so far (SHARD_END once the shard has ended).
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
