#include "kcl/internal/lineage.h"

namespace eddy::kcl::internal {

using checkpoint::ExtendedSequenceNumber;

void ListedShards::Set(std::set<std::string> ids) {
  absl::MutexLock lock(&mu_);
  ids_ = std::move(ids);
}

std::optional<bool> ListedShards::Contains(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  if (!ids_.has_value()) return std::nullopt;
  return ids_->count(id) != 0;
}

namespace {

// Whether `parent` of `child` is finished; whether it has a lease goes to `has_lease`.
absl::StatusOr<bool> ParentFinished(lease::LeaseTable& leases, const std::string& child,
                                    const std::string& parent, const ListedShards* listed,
                                    bool* has_lease) {
  absl::StatusOr<std::optional<lease::Lease>> lease = leases.Get(parent);
  if (!lease.ok()) return lease.status();
  *has_lease = lease->has_value();
  if (lease->has_value()) return (*lease)->checkpoint == ExtendedSequenceNumber::ShardEnd();
  if (listed == nullptr) return false;
  // Gone from the stream — nothing left of it — by a listing that already shows the child
  // (a listing from before the child was born may not show the parent either).
  return listed->Contains(child) == std::optional<bool>(true) &&
         listed->Contains(parent) == std::optional<bool>(false);
}

}  // namespace

absl::StatusOr<bool> ParentsFinished(lease::LeaseTable& leases, const std::string& child_id,
                                     const std::vector<std::string>& parent_ids,
                                     const ListedShards* listed) {
  for (const std::string& parent : parent_ids) {
    bool has_lease = false;
    absl::StatusOr<bool> finished = ParentFinished(leases, child_id, parent, listed, &has_lease);
    if (!finished.ok() || !*finished) return finished;
  }
  return true;
}

absl::StatusOr<bool> CreateChildLeaseIfParentsFinished(lease::LeaseTable& leases,
                                                       const ChildShardInfo& child,
                                                       const ListedShards* listed) {
  absl::StatusOr<std::optional<lease::Lease>> existing = leases.Get(child.id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return true;
  lease::Lease lease;
  for (const std::string& parent : child.parent_ids) {
    bool has_lease = false;
    absl::StatusOr<bool> finished = ParentFinished(leases, child.id, parent, listed, &has_lease);
    if (!finished.ok() || !*finished) return finished;
    if (has_lease) lease.parent_shard_ids.push_back(parent);
  }
  lease.key = child.id;
  lease.checkpoint = ExtendedSequenceNumber::TrimHorizon();
  lease.hash_range = child.hash_range;
  absl::StatusOr<bool> created = leases.CreateIfAbsent(lease);
  if (!created.ok()) return created.status();
  return true;  // created now, or by the other parent's worker a moment ago
}

}  // namespace eddy::kcl::internal
