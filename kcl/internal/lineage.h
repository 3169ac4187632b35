#pragma once
// Lineage: how leases follow resharding (docs/resharding.md, "For consumer authors").
//
// A child shard's lease is created only once every parent is finished, so a worker never
// holds a child it cannot process yet. For a split the parent's consumer creates both
// children right after its SHARD_END checkpoint; for a merge, whichever parent finishes
// second does (each checks the other after its own checkpoint, so at least one of them
// sees both finished). Shard sync repeats the same check as a backstop for a worker that
// died in between.
//
// A parent is finished when its lease is at SHARD_END, or when it has no lease and the
// stream no longer lists it (nothing of it is left to read) — judged by a listing recent
// enough to show the child, since an older one may predate the parent. A parent that is
// listed (or that no recent listing rules out) but has no lease is *not* finished: its
// lease is on its way (shard sync creates it, parents first), and its records come before
// its children's.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "kcl/internal/records_publisher.h"
#include "lease/lease_table.h"

namespace eddy::kcl::internal {

// The shard ids the stream listed at the last shard sync, shared by the scheduler (which
// sets it) and its shard consumers. Thread-safe.
class ListedShards {
 public:
  void Set(std::set<std::string> ids);
  // Whether `id` was listed; nullopt before the first shard sync.
  std::optional<bool> Contains(const std::string& id) const;

 private:
  mutable absl::Mutex mu_;
  std::optional<std::set<std::string>> ids_ ABSL_GUARDED_BY(mu_);
};

// True when every parent of `child_id` is finished (see above). `listed` may be null: then
// a parent without a lease is never taken for finished.
absl::StatusOr<bool> ParentsFinished(lease::LeaseTable& leases, const std::string& child_id,
                                     const std::vector<std::string>& parent_ids,
                                     const ListedShards* listed);

// Creates the child's lease (TRIM_HORIZON, naming its parents that have leases) if its
// parents are finished. Returns whether the child has a lease now (created here or before).
absl::StatusOr<bool> CreateChildLeaseIfParentsFinished(lease::LeaseTable& leases,
                                                       const ChildShardInfo& child,
                                                       const ListedShards* listed);

}  // namespace eddy::kcl::internal
