#include "aggregation/aggregate.h"

#include <map>

#include "absl/strings/match.h"
#include "common/errors.h"
#include "common/hash_key.h"
#include "common/md5.h"
#include "eddy/kpl/v1/aggregated_record.pb.h"

namespace eddy::aggregation {
namespace {

// Protobuf overhead of one more record in the worst case: tags and varint lengths of the
// record, its two indices and its data, plus the table entries' tags and lengths.
constexpr size_t kPerRecordOverhead = 48;

}  // namespace

bool HasMagic(absl::string_view data) { return absl::StartsWith(data, kMagic); }

bool AggregateBuilder::Add(UserRecord record) {
  const size_t added = record.partition_key.size() + record.explicit_hash_key.size() +
                       record.data.size() + kPerRecordOverhead;
  if (!records_.empty() && encoded_bound_ + added > max_bytes_) return false;
  encoded_bound_ += added;
  records_.push_back(std::move(record));
  return true;
}

void AggregateBuilder::Clear() {
  records_.clear();
  encoded_bound_ = kMagic.size() + kChecksumBytes;
}

std::string AggregateBuilder::ExplicitHashKey() const {
  if (records_.empty()) return "";
  const UserRecord& first = records_.front();
  if (!first.explicit_hash_key.empty()) return first.explicit_hash_key;
  return common::FormatUint128(common::HashKeyOfPartitionKey(first.partition_key));
}

std::string AggregateBuilder::Build() const {
  kpl::v1::AggregatedRecord aggregate;
  std::map<std::string, uint64_t> partition_keys;
  std::map<std::string, uint64_t> hash_keys;
  for (const UserRecord& user : records_) {
    kpl::v1::Record* record = aggregate.add_records();
    auto [pk, pk_new] = partition_keys.emplace(user.partition_key, partition_keys.size());
    if (pk_new) aggregate.add_partition_key_table(user.partition_key);
    record->set_partition_key_index(pk->second);
    if (!user.explicit_hash_key.empty()) {
      auto [hk, hk_new] = hash_keys.emplace(user.explicit_hash_key, hash_keys.size());
      if (hk_new) aggregate.add_explicit_hash_key_table(user.explicit_hash_key);
      record->set_explicit_hash_key_index(hk->second);
    }
    record->set_data(user.data);
  }
  std::string body = aggregate.SerializeAsString();
  std::string out(kMagic);
  out += body;
  out += common::Md5(body);
  return out;
}

absl::StatusOr<std::vector<UserRecord>> Deaggregate(absl::string_view data) {
  if (!HasMagic(data)) return common::InvalidArgument("not an aggregate: no KPL magic");
  if (data.size() < kMagic.size() + kChecksumBytes) {
    return common::InvalidArgument("aggregate too short");
  }
  const absl::string_view body =
      data.substr(kMagic.size(), data.size() - kMagic.size() - kChecksumBytes);
  const absl::string_view checksum = data.substr(data.size() - kChecksumBytes);
  if (common::Md5(body) != checksum) return common::InvalidArgument("aggregate checksum mismatch");
  kpl::v1::AggregatedRecord aggregate;
  // Partial parse + IsInitialized: the same check as ParseFromArray without its log line.
  if (!aggregate.ParsePartialFromArray(body.data(), static_cast<int>(body.size())) ||
      !aggregate.IsInitialized()) {
    return common::InvalidArgument("aggregate protobuf does not parse");
  }
  if (aggregate.records_size() == 0) return common::InvalidArgument("aggregate has no records");
  std::vector<UserRecord> out;
  out.reserve(static_cast<size_t>(aggregate.records_size()));
  for (const kpl::v1::Record& record : aggregate.records()) {
    if (record.partition_key_index() >=
        static_cast<uint64_t>(aggregate.partition_key_table_size())) {
      return common::InvalidArgument("aggregate partition key index out of range");
    }
    UserRecord user;
    user.partition_key =
        aggregate.partition_key_table(static_cast<int>(record.partition_key_index()));
    if (record.has_explicit_hash_key_index()) {
      if (record.explicit_hash_key_index() >=
          static_cast<uint64_t>(aggregate.explicit_hash_key_table_size())) {
        return common::InvalidArgument("aggregate explicit hash key index out of range");
      }
      user.explicit_hash_key =
          aggregate.explicit_hash_key_table(static_cast<int>(record.explicit_hash_key_index()));
      common::HashKey ignored = 0;
      if (!common::ParseDecimalUint128(user.explicit_hash_key, &ignored)) {
        return common::InvalidArgument("aggregate explicit hash key is not a hash key");
      }
    }
    user.data = record.data();
    out.push_back(std::move(user));
  }
  return out;
}

}  // namespace eddy::aggregation
