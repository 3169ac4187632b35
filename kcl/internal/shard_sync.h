#pragma once
// Shard sync: keeps the application's lease table in step with the stream's shards —
// creating the leases new shards need, in a way that respects their ancestry, and deleting
// finished ones. Runs on every worker every Config::shard_sync_interval_millis; every step
// is a conditional write, so workers running it at once agree.
//
// Rules, for each listed shard without a lease, parents before children:
// - a shard whose child (or descendant, through children without leases) has started was
//   processed already (its lease finished and was cleaned up): never leased again;
// - a shard with a parent that still has records to process — a parent with an unfinished
//   lease, or one itself waiting for its parents, at any depth — waits: no lease yet, and
//   its descendants wait behind it (the parents' workers create the children's leases at
//   shard end; this rule keeps a grandchild from starting before its parent);
// - a shard whose parents are finished (lease at SHARD_END) gets a TRIM_HORIZON lease
//   naming them: the backstop for a worker that died between its SHARD_END checkpoint and
//   creating the children's leases;
// - any other shard is a root for this application: it starts at the initial position —
//   except that at LATEST, closed shards get no lease (nothing after "latest" is left in
//   them) and their open children start at LATEST themselves.
// A lease at SHARD_END stays while its shard is listed (it tells every worker, however late
// its view, that the shard was processed) and is deleted once the shard has expired from
// the stream. (Leases deleted earlier — as older versions did once every child had started —
// are recognised by the first rule.)

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/stream_connection.h"
#include "kcl/config.h"
#include "lease/lease_table.h"

namespace eddy::kcl::internal {

struct ShardSyncPlan {
  std::vector<lease::Lease> create;
  std::vector<std::string> remove;
};

// What the rules above do to `existing` given the stream's `shards`. Pure.
ShardSyncPlan PlanShardSync(const std::vector<client::ShardDescription>& shards,
                            const std::vector<lease::Lease>& existing,
                            InitialPosition initial_position);

struct ShardSyncResult {
  int created = 0;
  int removed = 0;
  // The shard ids the stream listed — only from a whole listing: the first sync on an
  // empty lease table lists just the shards where the application starts (ShardFilter), and
  // a shard missing from that listing may well exist.
  std::optional<std::set<std::string>> listed;
};

// Lists the leases and the stream's shards (on an empty lease table, only those at the
// initial position, by a ShardFilter as the KCL does), and carries the plan out.
absl::StatusOr<ShardSyncResult> SyncShards(client::StreamConnection& streams, const Config& config,
                                           lease::LeaseTable& leases);

}  // namespace eddy::kcl::internal
