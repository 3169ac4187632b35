#include "kcl/internal/deaggregation.h"

#include <optional>

#include "aggregation/aggregate.h"
#include "common/logging.h"

namespace eddy::kcl::internal {
namespace {

KinesisClientRecord Base(const v1::Record& record, const std::string& shard_id) {
  KinesisClientRecord out;
  out.shard_id = shard_id;
  out.sequence_number = record.sequence_number();
  out.partition_key = record.partition_key();
  out.approximate_arrival_timestamp_millis = record.approximate_arrival_timestamp_millis();
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

bool AppendUserRecords(const v1::Record& record, const std::string& shard_id,
                       const common::HashKeyRange& range, std::vector<KinesisClientRecord>* out) {
  // Not an aggregate (the cheap magic check spares plain records a parse and an error
  // status), or a malformed one: delivered as it is.
  std::optional<std::vector<aggregation::UserRecord>> users;
  if (aggregation::HasMagic(record.data())) {
    absl::StatusOr<std::vector<aggregation::UserRecord>> parsed =
        aggregation::Deaggregate(record.data());
    if (parsed.ok()) users = std::move(*parsed);
  }
  if (!users.has_value()) {
    KinesisClientRecord plain = Base(record, shard_id);
    plain.data = record.data();
    out->push_back(std::move(plain));
    return true;
  }
  for (const aggregation::UserRecord& user : *users) {
    if (!range.Contains(EffectiveHashKey(user))) {
      common::Logger("eddy.kcl")
          ->warn(
              "shard={} aggregate {} dropped: user record with partition key '{}' lies "
              "outside the shard's hash key range (routed by a stale shard map)",
              shard_id, record.sequence_number(), user.partition_key);
      return false;
    }
  }
  uint64_t sub_sequence = 0;
  for (aggregation::UserRecord& user : *users) {
    KinesisClientRecord sub = Base(record, shard_id);
    sub.sub_sequence_number = sub_sequence++;
    sub.partition_key = std::move(user.partition_key);
    sub.data = std::move(user.data);
    out->push_back(std::move(sub));
  }
  return true;
}

}  // namespace eddy::kcl::internal
