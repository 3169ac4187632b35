#include "kcl/internal/shard_sync.h"

#include <set>

#include "common/hash_key.h"

namespace eddy::kcl::internal {

absl::StatusOr<int> SyncShards(client::StreamClient& client, const Config& config,
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
  std::set<std::string> listed;
  for (const v1::Shard& shard : shards) listed.insert(shard.shard_id());
  absl::StatusOr<std::vector<lease::Lease>> existing = leases.List();
  if (!existing.ok()) return existing.status();
  std::set<std::string> leased;
  for (const lease::Lease& lease : *existing) leased.insert(lease.key);

  int created = 0;
  for (const v1::Shard& shard : shards) {
    if (leased.count(shard.shard_id()) != 0) continue;
    lease::Lease lease;
    lease.key = shard.shard_id();
    for (const std::string& parent : {shard.parent_shard_id(), shard.adjacent_parent_shard_id()}) {
      if (!parent.empty() && listed.count(parent) != 0) lease.parent_shard_ids.push_back(parent);
    }
    if (!lease.parent_shard_ids.empty()) {
      lease.checkpoint = checkpoint::ExtendedSequenceNumber::TrimHorizon();
    } else {
      switch (config.initial_position) {
        case InitialPosition::kTrimHorizon:
          lease.checkpoint = checkpoint::ExtendedSequenceNumber::TrimHorizon();
          break;
        case InitialPosition::kLatest:
          lease.checkpoint = checkpoint::ExtendedSequenceNumber::Latest();
          break;
        case InitialPosition::kAtTimestamp:
          lease.checkpoint = checkpoint::ExtendedSequenceNumber::AtTimestamp();
          break;
      }
    }
    common::HashKey start = 0;
    common::HashKey end = common::kMaxHashKey;
    common::ParseDecimalUint128(shard.hash_key_range().starting_hash_key(), &start);
    common::ParseDecimalUint128(shard.hash_key_range().ending_hash_key(), &end);
    lease.hash_range = common::HashKeyRange{start, end};
    absl::StatusOr<bool> won = leases.CreateIfAbsent(lease);
    if (!won.ok()) return won.status();
    created += *won ? 1 : 0;
  }
  return created;
}

}  // namespace eddy::kcl::internal
