#pragma once
// Lineage: how leases follow resharding (docs/resharding.md, "For consumer authors").
//
// A child shard's lease is created only once every parent's lease is finished — at
// SHARD_END, or already cleaned up — so a worker never holds a child it cannot process
// yet. For a split the parent's consumer creates both children right after its SHARD_END
// checkpoint; for a merge, whichever parent finishes second does (each checks the other
// after its own checkpoint, so at least one of them sees both finished). Shard sync
// repeats the same check as a backstop for a worker that died in between.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kcl/internal/records_publisher.h"
#include "lease/lease_table.h"

namespace eddy::kcl::internal {

// True when every parent's lease is at SHARD_END or gone.
absl::StatusOr<bool> ParentsFinished(lease::LeaseTable& leases,
                                     const std::vector<std::string>& parent_ids);

// Creates the child's lease (TRIM_HORIZON, with its parents) if its parents are finished.
// Returns whether the child has a lease now (created here or before).
absl::StatusOr<bool> CreateChildLeaseIfParentsFinished(lease::LeaseTable& leases,
                                                       const ChildShardInfo& child);

}  // namespace eddy::kcl::internal
