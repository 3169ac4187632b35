// StreamBroker: SplitShard, MergeShards, UpdateShardCount.
//
// A reshard runs on the commit thread between two commit groups, so it never interleaves
// with a write: every record routed to a parent before it is committed below the parent's
// ending counter, and any record routed to a parent but committed after is re-routed to the
// child that owns its hash key (commit_queue.cc). Per partition key, a reader that drains a
// parent before its children therefore sees records in write order.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "broker/sequence_number.h"
#include "broker/stream_broker.h"
#include "broker/validation.h"
#include "common/errors.h"
#include "common/logging.h"

namespace eddy::broker {
namespace {

absl::Status RefuseOnDemand(const StreamState& stream, absl::string_view operation) {
  if (stream.mode() != StreamMode::kOnDemand) return absl::OkStatus();
  return common::ValidationError(absl::StrCat(operation, " is not supported for stream ",
                                              stream.name,
                                              " in ON_DEMAND capacity mode: the broker "
                                              "scales it by itself."));
}

// An open shard of `stream` by id, or the error Kinesis gives.
absl::StatusOr<std::shared_ptr<ShardState>> OpenShard(const StreamState& stream,
                                                      const std::string& shard_id,
                                                      absl::string_view field) {
  absl::StatusOr<uint32_t> index = ParseShardId(shard_id);
  if (!index.ok()) return index.status();
  std::shared_ptr<ShardState> shard = stream.FindShard(*index);
  if (shard == nullptr) {
    return common::ResourceNotFound(absl::StrCat("Shard ", shard_id, " in stream ", stream.name,
                                                 " under account 000000000000 does not exist."));
  }
  if (!shard->IsOpen()) {
    return common::InvalidArgument(
        absl::StrCat(field, " ", shard_id, " is closed: only open shards can be resharded."));
  }
  return shard;
}

}  // namespace

absl::Status StreamBroker::ApplyReshard(const std::shared_ptr<StreamState>& stream,
                                        const std::vector<std::shared_ptr<ShardState>>& parents,
                                        const std::vector<ChildSpec>& children) {
  const int growth = static_cast<int>(children.size()) - static_cast<int>(parents.size());
  if (growth > 0 && catalog_->OpenShardCount() + growth > options_.limits.max_shards) {
    return common::LimitExceeded(absl::StrCat("This request would exceed the shard limit of ",
                                              options_.limits.max_shards, "."));
  }
  absl::Status status = commit_queue_.RunOrderedAndWait([&]() -> absl::Status {
    for (const auto& parent : parents) {
      if (!parent->IsOpen() || parent->deleted.load()) {
        return common::InvalidArgument(
            absl::StrCat("Shard ", parent->shard_id, " was closed meanwhile."));
      }
    }
    std::vector<std::pair<std::shared_ptr<ShardState>, uint64_t>> closing;
    uint64_t child_start = CounterAtMillis(clock_.NowMillis());
    for (const auto& parent : parents) {
      // The last record readers can reach: counters assigned to a group whose write failed
      // hold nothing, and an ending above `committed` would never be reached by a reader.
      const uint64_t ending = std::max(parent->committed.load(), parent->starting_counter);
      closing.emplace_back(parent, ending);
      child_start = std::max(child_start, ending + 1);
    }
    std::vector<std::shared_ptr<ShardState>> created;
    uint32_t index = stream->next_shard_index();
    for (const ChildSpec& spec : children) {
      auto child = std::make_shared<ShardState>(stream->id, index++, spec.range, child_start,
                                                options_.limits, clock_);
      child->InitCounters(child_start);
      child->parent_shard_id = spec.parent;
      child->adjacent_parent_shard_id = spec.adjacent_parent;
      created.push_back(std::move(child));
    }
    // Stored first, then made visible: readers do not go through the commit queue, and one
    // that saw a parent's end would follow children a failed write then took back.
    return catalog_->CommitReshard(*stream, closing, created);
  });
  if (!status.ok()) return status;
  for (const auto& parent : parents) fanout_->OnCommit(*parent);  // subscribers see the end
  std::string summary;
  for (const auto& parent : parents) absl::StrAppend(&summary, parent->shard_id, " ");
  common::Logger("eddy.broker")
      ->info("stream={} resharded: {}closed, {} children", stream->name, summary, children.size());
  return absl::OkStatus();
}

absl::Status StreamBroker::SplitShard(const StreamRef& ref, const std::string& shard_id,
                                      const std::string& new_starting_hash_key) {
  absl::StatusOr<std::shared_ptr<StreamState>> stream = catalog_->Find(ref);
  if (!stream.ok()) return stream.status();
  if (absl::Status s = RefuseOnDemand(**stream, "SplitShard"); !s.ok()) return s;
  return SplitShardInternal(*stream, shard_id, new_starting_hash_key);
}

absl::Status StreamBroker::SplitShardInternal(const std::shared_ptr<StreamState>& stream,
                                              const std::string& shard_id,
                                              const std::string& new_starting_hash_key) {
  absl::StatusOr<std::shared_ptr<ShardState>> shard = OpenShard(*stream, shard_id, "ShardToSplit");
  if (!shard.ok()) return shard.status();
  absl::StatusOr<common::HashKey> key =
      common::ParseHashKey(new_starting_hash_key, "NewStartingHashKey");
  if (!key.ok()) return key.status();
  const common::HashKeyRange range = (*shard)->hash_range;
  if (!(range.start + 1 < *key && *key < range.end)) {
    return common::InvalidArgument(absl::StrCat(
        "NewStartingHashKey ", new_starting_hash_key, " must lie strictly inside shard ", shard_id,
        "'s range (", common::FormatUint128(range.start + 1), ", ",
        common::FormatUint128(range.end), ")."));
  }
  if (!stream->BeginUpdate()) {
    return common::ResourceInUse(absl::StrCat("Stream ", stream->name, " is UPDATING."));
  }
  absl::Status status = ApplyReshard(stream, {*shard},
                                     {ChildSpec{{range.start, *key - 1}, shard_id, ""},
                                      ChildSpec{{*key, range.end}, shard_id, ""}});
  stream->EndUpdate();
  return status;
}

absl::Status StreamBroker::MergeShards(const StreamRef& ref, const std::string& shard_id,
                                       const std::string& adjacent_shard_id) {
  absl::StatusOr<std::shared_ptr<StreamState>> stream = catalog_->Find(ref);
  if (!stream.ok()) return stream.status();
  if (absl::Status s = RefuseOnDemand(**stream, "MergeShards"); !s.ok()) return s;
  return MergeShardsInternal(*stream, shard_id, adjacent_shard_id);
}

absl::Status StreamBroker::MergeShardsInternal(const std::shared_ptr<StreamState>& stream,
                                               const std::string& shard_id,
                                               const std::string& adjacent_shard_id) {
  absl::StatusOr<std::shared_ptr<ShardState>> first = OpenShard(*stream, shard_id, "ShardToMerge");
  if (!first.ok()) return first.status();
  absl::StatusOr<std::shared_ptr<ShardState>> second =
      OpenShard(*stream, adjacent_shard_id, "AdjacentShardToMerge");
  if (!second.ok()) return second.status();
  const common::HashKeyRange a = (*first)->hash_range;
  const common::HashKeyRange b = (*second)->hash_range;
  const bool adjacent = (a.end != common::kMaxHashKey && a.end + 1 == b.start) ||
                        (b.end != common::kMaxHashKey && b.end + 1 == a.start);
  if (shard_id == adjacent_shard_id || !adjacent) {
    return common::InvalidArgument(absl::StrCat("Shards ", shard_id, " and ", adjacent_shard_id,
                                                " are not adjacent: their hash key ranges must "
                                                "be contiguous."));
  }
  if (!stream->BeginUpdate()) {
    return common::ResourceInUse(absl::StrCat("Stream ", stream->name, " is UPDATING."));
  }
  absl::Status status = ApplyReshard(
      stream, {*first, *second},
      {ChildSpec{
          {std::min(a.start, b.start), std::max(a.end, b.end)}, shard_id, adjacent_shard_id}});
  stream->EndUpdate();
  return status;
}

absl::StatusOr<int> StreamBroker::UpdateShardCount(const StreamRef& ref, int target) {
  absl::StatusOr<std::shared_ptr<StreamState>> found = catalog_->Find(ref);
  if (!found.ok()) return found.status();
  const std::shared_ptr<StreamState> stream = *found;
  if (absl::Status s = RefuseOnDemand(*stream, "UpdateShardCount"); !s.ok()) return s;
  auto open_shards = [&] {
    std::vector<std::shared_ptr<ShardState>> open;
    for (const auto& shard : stream->Shards()) {
      if (shard->IsOpen()) open.push_back(shard);
    }
    std::sort(open.begin(), open.end(), [](const auto& x, const auto& y) {
      return x->hash_range.start < y->hash_range.start;
    });
    return open;
  };
  const int current = static_cast<int>(open_shards().size());
  if (target < 1 || target > 2 * current || 2 * target < current) {
    return common::InvalidArgument(absl::StrCat(
        "TargetShardCount ", target, " is outside what one UpdateShardCount can reach from ",
        current, " open shards: between half and double (", (current + 1) / 2, " … ", 2 * current,
        ")."));
  }
  // Uniform scaling as single splits and merges: split the widest shard in half, or merge
  // the adjacent pair that is narrowest together, until the count is reached.
  for (int guard = 0; guard < 4 * current + 4; ++guard) {
    std::vector<std::shared_ptr<ShardState>> open = open_shards();
    const int count = static_cast<int>(open.size());
    if (count == target) return current;
    absl::Status status;
    if (count < target) {
      auto widest = *std::max_element(open.begin(), open.end(), [](const auto& x, const auto& y) {
        return x->hash_range.end - x->hash_range.start < y->hash_range.end - y->hash_range.start;
      });
      const common::HashKeyRange r = widest->hash_range;
      const common::HashKey middle = r.start + (r.end - r.start) / 2 + 1;
      status = SplitShardInternal(stream, widest->shard_id, common::FormatUint128(middle));
    } else {
      size_t best = 0;
      common::HashKey best_width = common::kMaxHashKey;
      for (size_t i = 0; i + 1 < open.size(); ++i) {
        const common::HashKey width = open[i + 1]->hash_range.end - open[i]->hash_range.start;
        if (width <= best_width) {
          best_width = width;
          best = i;
        }
      }
      status = MergeShardsInternal(stream, open[best]->shard_id, open[best + 1]->shard_id);
    }
    if (!status.ok()) return status;
  }
  return common::InternalFailure("UpdateShardCount did not converge.");
}

}  // namespace eddy::broker
