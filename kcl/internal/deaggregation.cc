#include "kcl/internal/deaggregation.h"

#include <optional>

#include "aggregation/aggregate.h"
#include "common/logging.h"

namespace eddy::kcl::internal {
namespace {

KinesisClientRecord Base(const client::StreamRecord& record, const std::string& shard_id) {
  KinesisClientRecord out;
  out.shard_id = shard_id;
  out.sequence_number = record.sequence_number;
  out.partition_key = record.partition_key;
  out.approximate_arrival_timestamp_millis = record.approximate_arrival_millis;
  return out;
}

common::HashKey EffectiveHashKey(const aggregation::UserRecord& user) {
  common::HashKey key = 0;
  if (!user.explicit_hash_key.empty() &&
      common::ParseDecimalUint128(user.explicit_hash_key, &key)) {
    return key;
  }
  return common::HashKeyOfPartitionKey(user.partition_key);
}

}  // namespace

int AppendUserRecords(client::StreamRecord&& record, const std::string& shard_id,
                      const common::HashKeyRange& range, OutOfRangeUserRecords policy,
                      std::vector<KinesisClientRecord>* out) {
  // Not an aggregate (the cheap magic check spares plain records a parse and an error
  // status), or a malformed one: delivered as it is.
  std::optional<std::vector<aggregation::UserRecord>> users;
  if (aggregation::HasMagic(record.data)) {
    absl::StatusOr<std::vector<aggregation::UserRecord>> parsed =
        aggregation::Deaggregate(record.data);
    if (parsed.ok()) users = std::move(*parsed);
  }
  if (!users.has_value()) {
    KinesisClientRecord plain = Base(record, shard_id);
    plain.data = std::move(record.data);
    out->push_back(std::move(plain));
    return 0;
  }
  int out_of_range = 0;
  uint64_t sub_sequence = 0;
  for (aggregation::UserRecord& user : *users) {
    // Sub-sequence numbers are positions in the aggregate, dropped records included, so a
    // checkpoint names the same user record whatever the policy.
    const uint64_t position = sub_sequence++;
    if (!range.Contains(EffectiveHashKey(user))) {
      if (out_of_range++ == 0) {
        common::Logger("eddy.kcl")
            ->info(
                "shard={} aggregate {} holds user records outside the shard's hash key range "
                "(first: partition key '{}'); {}",
                shard_id, record.sequence_number, user.partition_key,
                policy == OutOfRangeUserRecords::kDrop ? "dropping them" : "delivering them");
      }
      if (policy == OutOfRangeUserRecords::kDrop) continue;
    }
    KinesisClientRecord sub = Base(record, shard_id);
    sub.sub_sequence_number = position;
    sub.partition_key = std::move(user.partition_key);
    sub.data = std::move(user.data);
    out->push_back(std::move(sub));
  }
  return out_of_range;
}

}  // namespace eddy::kcl::internal
