#include "kcl/internal/lineage.h"

namespace eddy::kcl::internal {

using checkpoint::ExtendedSequenceNumber;

absl::StatusOr<bool> ParentsFinished(lease::LeaseTable& leases,
                                     const std::vector<std::string>& parent_ids) {
  for (const std::string& parent : parent_ids) {
    absl::StatusOr<std::optional<lease::Lease>> lease = leases.Get(parent);
    if (!lease.ok()) return lease.status();
    if (lease->has_value() && (*lease)->checkpoint != ExtendedSequenceNumber::ShardEnd()) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<bool> CreateChildLeaseIfParentsFinished(lease::LeaseTable& leases,
                                                       const ChildShardInfo& child) {
  absl::StatusOr<std::optional<lease::Lease>> existing = leases.Get(child.id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return true;
  absl::StatusOr<bool> finished = ParentsFinished(leases, child.parent_ids);
  if (!finished.ok() || !*finished) return finished;
  lease::Lease lease;
  lease.key = child.id;
  lease.checkpoint = ExtendedSequenceNumber::TrimHorizon();
  lease.parent_shard_ids = child.parent_ids;
  lease.hash_range = child.hash_range;
  absl::StatusOr<bool> created = leases.CreateIfAbsent(lease);
  if (!created.ok()) return created.status();
  return true;  // created now, or by the other parent's worker a moment ago
}

}  // namespace eddy::kcl::internal
