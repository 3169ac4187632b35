#include "kcl/internal/shard_sync.h"

#include <functional>
#include <map>
#include <set>

#include "common/logging.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

std::vector<std::string> ParentIds(const client::ShardDescription& shard) {
  std::vector<std::string> out;
  for (const std::string& parent : {shard.parent_shard_id, shard.adjacent_parent_shard_id}) {
    if (!parent.empty()) out.push_back(parent);
  }
  return out;
}

ExtendedSequenceNumber InitialCheckpoint(InitialPosition position) {
  switch (position) {
    case InitialPosition::kLatest:
      return ExtendedSequenceNumber::Latest();
    case InitialPosition::kAtTimestamp:
      return ExtendedSequenceNumber::AtTimestamp();
    case InitialPosition::kTrimHorizon:
      break;
  }
  return ExtendedSequenceNumber::TrimHorizon();
}

// What a first sync — on an empty lease table — needs listed: only the shards where the
// application starts (as the KCL asks), not the whole history of a long-resharded stream.
// Their descendants are listed by the later, unfiltered syncs and wait behind them.
client::ShardFilter FilterForFirstSync(const Config& config) {
  switch (config.initial_position) {
    case InitialPosition::kLatest:
      return client::ShardFilter{client::ShardFilter::Type::kAtLatest, 0};
    case InitialPosition::kAtTimestamp:
      return client::ShardFilter{client::ShardFilter::Type::kAtTimestamp,
                                 config.initial_timestamp_millis};
    case InitialPosition::kTrimHorizon:
      break;
  }
  return client::ShardFilter{client::ShardFilter::Type::kAtTrimHorizon, 0};
}

// Processing has begun: the checkpoint moved past where a new lease starts.
bool Started(const ExtendedSequenceNumber& checkpoint) {
  return !checkpoint.is_sentinel() || checkpoint == ExtendedSequenceNumber::ShardEnd();
}

}  // namespace

ShardSyncPlan PlanShardSync(const std::vector<client::ShardDescription>& shards,
                            const std::vector<lease::Lease>& existing,
                            InitialPosition initial_position) {
  std::map<std::string, const client::ShardDescription*> listed;
  for (const client::ShardDescription& shard : shards) listed[shard.shard_id] = &shard;
  std::map<std::string, const lease::Lease*> leases;
  for (const lease::Lease& lease : existing) leases[lease.key] = &lease;

  // Parents before children (shard ids do not promise that order; lineage does).
  std::vector<const client::ShardDescription*> order;
  std::set<std::string> visited;
  std::function<void(const client::ShardDescription&)> visit =
      [&](const client::ShardDescription& shard) {
        if (!visited.insert(shard.shard_id).second) return;
        for (const std::string& parent : ParentIds(shard)) {
          auto it = listed.find(parent);
          if (it != listed.end()) visit(*it->second);
        }
        order.push_back(&shard);
      };
  for (const client::ShardDescription& shard : shards) visit(shard);

  std::map<std::string, std::vector<std::string>> children_of;  // from the listing
  for (const client::ShardDescription& shard : shards) {
    for (const std::string& parent : ParentIds(shard)) {
      children_of[parent].push_back(shard.shard_id);
    }
  }
  // A shard without a lease whose child (or, through children without leases, whose
  // descendant) has started was processed already: its finished lease was deleted (older
  // versions did so once every child had started). It must never be leased — and read —
  // again.
  std::function<bool(const std::string&)> has_started_descendant = [&](const std::string& id) {
    for (const std::string& child : children_of[id]) {
      auto lease = leases.find(child);
      if (lease != leases.end() ? Started(lease->second->checkpoint)
                                : has_started_descendant(child)) {
        return true;
      }
    }
    return false;
  };

  // What each shard still needs, parents first.
  enum class Need {
    kFinished,  // every record processed (lease at SHARD_END, or cleaned up after it)
    kPending,   // has a lease, gets one now, or waits for its parents: records to process
    kNone,      // not this application's to read (closed before a LATEST start)
  };
  std::map<std::string, Need> need;
  ShardSyncPlan plan;
  for (const client::ShardDescription* shard : order) {
    const std::string& id = shard->shard_id;
    if (auto lease = leases.find(id); lease != leases.end()) {
      need[id] = lease->second->checkpoint == ExtendedSequenceNumber::ShardEnd() ? Need::kFinished
                                                                                 : Need::kPending;
      continue;
    }
    if (has_started_descendant(id)) {
      need[id] = Need::kFinished;
      continue;
    }
    bool any_pending = false;
    bool any_finished = false;
    std::vector<std::string> leased_parents;
    for (const std::string& parent : ParentIds(*shard)) {
      Need parent_need = Need::kNone;  // gone from the stream, no lease: nothing of it left
      if (auto it = need.find(parent); it != need.end()) {
        parent_need = it->second;
      } else if (auto lease = leases.find(parent); lease != leases.end()) {
        // Gone from the listing (expired), but its lease still says how far it got.
        parent_need = lease->second->checkpoint == ExtendedSequenceNumber::ShardEnd()
                          ? Need::kFinished
                          : Need::kPending;
      }
      any_pending = any_pending || parent_need == Need::kPending;
      any_finished = any_finished || parent_need == Need::kFinished;
      if (leases.count(parent) != 0) leased_parents.push_back(parent);
    }
    if (any_pending) {
      // Its parents' records come first: its lease is created when they finish (by their
      // workers at shard end, or here later). Its own descendants wait behind it.
      need[id] = Need::kPending;
      continue;
    }
    lease::Lease lease;
    lease.key = id;
    lease.hash_range = shard->hash_range;
    if (any_finished) {
      lease.checkpoint = ExtendedSequenceNumber::TrimHorizon();
      lease.parent_shard_ids = leased_parents;
    } else {
      // A root for this application.
      if (initial_position == InitialPosition::kLatest && shard->closed()) {
        need[id] = Need::kNone;
        continue;
      }
      lease.checkpoint = InitialCheckpoint(initial_position);
    }
    need[id] = Need::kPending;
    plan.create.push_back(std::move(lease));
  }

  // A finished lease stays while its shard is listed: it is what tells every worker —
  // however late its view of the table — that the shard was processed. (Deleting it once the
  // children had started, as the KCL does, let a worker whose listing predated the children
  // lease the shard again from TRIM_HORIZON: chaos seed 20322.) Once the shard has expired
  // from the stream nobody can plan it again, and the lease goes.
  for (const lease::Lease& lease : existing) {
    if (lease.checkpoint != ExtendedSequenceNumber::ShardEnd()) continue;
    if (listed.count(lease.key) == 0) plan.remove.push_back(lease.key);
  }
  return plan;
}

absl::StatusOr<ShardSyncResult> SyncShards(client::StreamConnection& streams, const Config& config,
                                           lease::LeaseTable& leases) {
  // The leases first, then the shards: the listing is then at least as new as the leases,
  // so a lease the plan does not see belongs to a shard the listing does (or to no shard).
  absl::StatusOr<std::vector<lease::Lease>> existing = leases.List();
  if (!existing.ok()) return existing.status();
  const client::StreamRef stream{config.stream_name, ""};
  absl::StatusOr<std::vector<client::ShardDescription>> shards;
  bool whole_listing = true;
  if (existing->empty()) {
    whole_listing = false;
    shards = streams.ListShards(stream, FilterForFirstSync(config));
    if (absl::IsInvalidArgument(shards.status())) {
      // An endpoint that knows no ShardFilter (older emulators): the whole listing plans the
      // same leases, at the cost of listing every shard.
      common::Logger("eddy.kcl")
          ->warn("ListShards with a ShardFilter was refused ({}); listing every shard",
                 shards.status().ToString());
      shards = streams.ListShards(stream, client::ShardFilter{});
      whole_listing = true;
    }
  } else {
    shards = streams.ListShards(stream, client::ShardFilter{});
  }
  if (!shards.ok()) return shards.status();
  const ShardSyncPlan plan = PlanShardSync(*shards, *existing, config.initial_position);
  ShardSyncResult result;
  if (whole_listing) {
    result.listed.emplace();
    for (const client::ShardDescription& shard : *shards) result.listed->insert(shard.shard_id);
  }
  for (const lease::Lease& lease : plan.create) {
    absl::StatusOr<bool> won = leases.CreateIfAbsent(lease);
    if (!won.ok()) return won.status();
    result.created += *won ? 1 : 0;
  }
  for (const std::string& key : plan.remove) {
    absl::StatusOr<bool> removed = leases.Delete(key);
    if (!removed.ok()) return removed.status();
    result.removed += *removed ? 1 : 0;
  }
  return result;
}

}  // namespace eddy::kcl::internal
