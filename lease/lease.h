#pragma once
// The lease record: one per shard per consumer application (DESIGN.md, Coordination).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/extended_sequence_number.h"
#include "common/hash_key.h"

namespace eddy::lease {

struct Lease {
  // The shard id this lease is for.
  std::string key;
  // The worker holding it; empty when nobody does.
  std::string owner;
  // Bumped by every take, renewal and eviction: a worker sees a lease is alive by
  // watching this move.
  uint64_t counter = 0;
  // Bumped by every take and eviction — every change of ownership. Checkpoints are fenced
  // on (owner, epoch), so a past ownership can never write.
  uint64_t epoch = 0;
  checkpoint::ExtendedSequenceNumber checkpoint;
  std::string checkpoint_state;
  std::optional<checkpoint::ExtendedSequenceNumber> pending_checkpoint;
  std::string pending_checkpoint_state;
  std::vector<std::string> parent_shard_ids;
  std::vector<std::string> child_shard_ids;
  common::HashKeyRange hash_range;
  // Ownership changes since the last checkpoint (a lease that keeps moving without
  // progress is a smell worth a metric).
  uint64_t owner_switches_since_checkpoint = 0;
  // A worker that asked the owner to hand this lease over (balancing); cleared by every take
  // and eviction. The owner lets its processor checkpoint, then releases the lease.
  std::string handoff_to;

  bool operator==(const Lease& other) const;
};

// Limits on what a lease may hold.
inline constexpr size_t kMaxLeaseKeyBytes = 256;
inline constexpr size_t kMaxOwnerBytes = 256;
inline constexpr size_t kMaxLineageEntries = 2;  // parents; children may be up to 2 as well

}  // namespace eddy::lease
