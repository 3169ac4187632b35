#include "kcl/internal/shard_sync.h"

#include <functional>
#include <map>
#include <set>

#include "common/hash_key.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

std::vector<std::string> ParentIds(const v1::Shard& shard) {
  std::vector<std::string> out;
  for (const std::string& parent : {shard.parent_shard_id(), shard.adjacent_parent_shard_id()}) {
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

common::HashKeyRange RangeOf(const v1::Shard& shard) {
  common::HashKeyRange range;
  common::ParseDecimalUint128(shard.hash_key_range().starting_hash_key(), &range.start);
  common::ParseDecimalUint128(shard.hash_key_range().ending_hash_key(), &range.end);
  return range;
}

// Processing has begun: the checkpoint moved past where a new lease starts.
bool Started(const ExtendedSequenceNumber& checkpoint) {
  return !checkpoint.is_sentinel() || checkpoint == ExtendedSequenceNumber::ShardEnd();
}

}  // namespace

ShardSyncPlan PlanShardSync(const std::vector<v1::Shard>& shards,
                            const std::vector<lease::Lease>& existing,
                            InitialPosition initial_position) {
  std::map<std::string, const v1::Shard*> listed;
  for (const v1::Shard& shard : shards) listed[shard.shard_id()] = &shard;
  std::map<std::string, const lease::Lease*> leases;
  for (const lease::Lease& lease : existing) leases[lease.key] = &lease;

  // Parents before children (shard ids do not promise that order; lineage does).
  std::vector<const v1::Shard*> order;
  std::set<std::string> visited;
  std::function<void(const v1::Shard&)> visit = [&](const v1::Shard& shard) {
    if (!visited.insert(shard.shard_id()).second) return;
    for (const std::string& parent : ParentIds(shard)) {
      auto it = listed.find(parent);
      if (it != listed.end()) visit(*it->second);
    }
    order.push_back(&shard);
  };
  for (const v1::Shard& shard : shards) visit(shard);

  // A shard with a leased descendant was processed already (its lease finished and was
  // cleaned up): it must never be leased — and read — again.
  std::map<std::string, std::vector<std::string>> children_of;  // from the listing
  for (const v1::Shard& shard : shards) {
    for (const std::string& parent : ParentIds(shard)) {
      children_of[parent].push_back(shard.shard_id());
    }
  }
  std::function<bool(const std::string&)> has_leased_descendant = [&](const std::string& id) {
    for (const std::string& child : children_of[id]) {
      if (leases.count(child) != 0 || has_leased_descendant(child)) return true;
    }
    return false;
  };

  ShardSyncPlan plan;
  std::set<std::string> planned;
  for (const v1::Shard* shard : order) {
    if (leases.count(shard->shard_id()) != 0) continue;
    if (has_leased_descendant(shard->shard_id())) continue;
    std::vector<std::string> leased_parents;
    bool parents_finished = true;
    for (const std::string& parent : ParentIds(*shard)) {
      auto lease = leases.find(parent);
      if (lease != leases.end()) {
        leased_parents.push_back(parent);
        if (lease->second->checkpoint != ExtendedSequenceNumber::ShardEnd()) {
          parents_finished = false;
        }
      } else if (planned.count(parent) != 0) {
        leased_parents.push_back(parent);
        parents_finished = false;  // a lease created just now is not finished
      }
    }
    lease::Lease lease;
    lease.key = shard->shard_id();
    lease.hash_range = RangeOf(*shard);
    if (!leased_parents.empty()) {
      if (!parents_finished) continue;  // the parents' workers create it at shard end
      lease.checkpoint = ExtendedSequenceNumber::TrimHorizon();
      lease.parent_shard_ids = leased_parents;
    } else {
      const bool closed = !shard->sequence_number_range().ending_sequence_number().empty();
      if (initial_position == InitialPosition::kLatest && closed) continue;
      lease.checkpoint = InitialCheckpoint(initial_position);
    }
    planned.insert(lease.key);
    plan.create.push_back(std::move(lease));
  }

  for (const lease::Lease& lease : existing) {
    if (lease.checkpoint != ExtendedSequenceNumber::ShardEnd()) continue;
    std::set<std::string> children(lease.child_shard_ids.begin(), lease.child_shard_ids.end());
    children.insert(children_of[lease.key].begin(), children_of[lease.key].end());
    bool all_started = true;
    for (const std::string& child : children) {
      auto it = leases.find(child);
      if (it == leases.end() || !Started(it->second->checkpoint)) all_started = false;
    }
    const bool gone = listed.count(lease.key) == 0;
    if ((!children.empty() && all_started) || (gone && children.empty())) {
      plan.remove.push_back(lease.key);
    }
  }
  return plan;
}

absl::StatusOr<ShardSyncResult> SyncShards(client::StreamClient& client, const Config& config,
                                           lease::LeaseTable& leases) {
  std::vector<v1::Shard> shards;
  v1::ListShardsRequest request;
  request.mutable_stream()->set_stream_name(config.stream_name);
  while (true) {
    absl::StatusOr<v1::ListShardsResponse> page = client.ListShards(request);
    if (!page.ok()) return page.status();
    shards.insert(shards.end(), page->shards().begin(), page->shards().end());
    if (page->next_token().empty()) break;
    request.Clear();
    request.set_next_token(page->next_token());
  }
  absl::StatusOr<std::vector<lease::Lease>> existing = leases.List();
  if (!existing.ok()) return existing.status();

  const ShardSyncPlan plan = PlanShardSync(shards, *existing, config.initial_position);
  ShardSyncResult result;
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
