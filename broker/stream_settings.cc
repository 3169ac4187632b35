// StreamBroker: the settings the API records and reports — capacity mode, tags, enhanced
// monitoring, encryption — and DescribeLimits.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/stream_broker.h"
#include "broker/validation.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

constexpr int kMaxTagsPerStream = 50;
constexpr int kMaxTagsPerCall = 10;
constexpr int kMaxTagKeysPerRemove = 50;
constexpr size_t kMaxTagKeyChars = 128;
constexpr size_t kMaxTagValueChars = 256;
constexpr int kOnDemandStreamCountLimit = 50;

// The shard-level metrics of enhanced monitoring, in AWS's order.
const std::vector<std::string>& AllShardLevelMetrics() {
  static const std::vector<std::string> kAll = {
      "IncomingBytes",     "IncomingRecords",
      "OutgoingBytes",     "OutgoingRecords",
      "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
      "IteratorAgeMilliseconds"};
  return kAll;
}

absl::Status ValidateTagKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxTagKeyChars) {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '", key,
        "' at 'tags' failed to satisfy constraint: Tag keys must be 1 to 128 characters."));
  }
  if (absl::StartsWithIgnoreCase(key, "aws:")) {
    return common::InvalidArgument(
        absl::StrCat("Tag key ", key, " uses the reserved prefix \"aws:\"."));
  }
  return absl::OkStatus();
}

std::vector<std::string> Sorted(const std::set<std::string>& metrics) {
  std::vector<std::string> out;
  for (const std::string& metric : AllShardLevelMetrics()) {
    if (metrics.count(metric) != 0) out.push_back(metric);
  }
  return out;
}

}  // namespace

absl::Status StreamBroker::UpdateStreamMode(const StreamRef& ref, StreamMode mode) {
  absl::StatusOr<std::shared_ptr<StreamState>> stream = catalog_->Find(ref);
  if (!stream.ok()) return stream.status();
  if ((*stream)->updating()) {
    return common::ResourceInUse(absl::StrCat("Stream ", (*stream)->name,
                                              " is being resharded; try again once ACTIVE."));
  }
  absl::StatusOr<StreamSettings> before =
      catalog_->UpdateSettings(ref, [mode](StreamSettings& settings) {
        settings.mode = mode;
        return absl::OkStatus();
      });
  return before.status();
}

absl::Status StreamBroker::TagStream(const StreamRef& ref,
                                     const std::vector<std::pair<std::string, std::string>>& tags) {
  if (tags.empty() || static_cast<int>(tags.size()) > kMaxTagsPerCall) {
    return common::InvalidArgument(absl::StrCat("A request adds 1 to ", kMaxTagsPerCall,
                                                " tags; this one has ", tags.size(), "."));
  }
  for (const auto& [key, value] : tags) {
    if (absl::Status s = ValidateTagKey(key); !s.ok()) return s;
    if (value.size() > kMaxTagValueChars) {
      return common::ValidationError(absl::StrCat(
          "1 validation error detected: Value of tag '", key,
          "' failed to satisfy constraint: Tag values must be at most 256 characters."));
    }
  }
  return catalog_
      ->UpdateSettings(ref,
                       [&tags](StreamSettings& settings) {
                         for (const auto& [key, value] : tags) settings.tags[key] = value;
                         if (static_cast<int>(settings.tags.size()) > kMaxTagsPerStream) {
                           return common::LimitExceeded(
                               absl::StrCat("A stream has at most ", kMaxTagsPerStream,
                                            " tags; this request would leave ",
                                            settings.tags.size(), "."));
                         }
                         return absl::OkStatus();
                       })
      .status();
}

absl::Status StreamBroker::UntagStream(const StreamRef& ref, const std::vector<std::string>& keys) {
  if (keys.empty() || static_cast<int>(keys.size()) > kMaxTagKeysPerRemove) {
    return common::InvalidArgument(absl::StrCat("A request removes 1 to ", kMaxTagKeysPerRemove,
                                                " tag keys; this one has ", keys.size(), "."));
  }
  for (const std::string& key : keys) {
    if (absl::Status s = ValidateTagKey(key); !s.ok()) return s;
  }
  return catalog_
      ->UpdateSettings(ref,
                       [&keys](StreamSettings& settings) {
                         for (const std::string& key : keys) settings.tags.erase(key);
                         return absl::OkStatus();
                       })
      .status();
}

absl::StatusOr<StreamSettings> StreamBroker::StreamSettingsOf(const StreamRef& ref) const {
  absl::StatusOr<std::shared_ptr<StreamState>> stream = catalog_->Find(ref);
  if (!stream.ok()) return stream.status();
  return (*stream)->settings();
}

absl::StatusOr<MonitoringChange> StreamBroker::ChangeEnhancedMonitoring(
    const StreamRef& ref, const std::vector<std::string>& metrics, bool enable) {
  if (metrics.empty() || metrics.size() > 7) {
    return common::ValidationError(
        "1 validation error detected: Value at 'shardLevelMetrics' failed to satisfy "
        "constraint: Member must have length between 1 and 7");
  }
  std::set<std::string> named;
  for (const std::string& metric : metrics) {
    if (metric == "ALL") {
      named.insert(AllShardLevelMetrics().begin(), AllShardLevelMetrics().end());
      continue;
    }
    if (std::find(AllShardLevelMetrics().begin(), AllShardLevelMetrics().end(), metric) ==
        AllShardLevelMetrics().end()) {
      return common::ValidationError(absl::StrCat(
          "1 validation error detected: Value '", metric,
          "' at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy enum "
          "value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
          "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
          "IteratorAgeMilliseconds, ALL]"));
    }
    named.insert(metric);
  }
  std::set<std::string> after;
  absl::StatusOr<StreamSettings> before =
      catalog_->UpdateSettings(ref, [&](StreamSettings& settings) {
        for (const std::string& metric : named) {
          if (enable) {
            settings.shard_level_metrics.insert(metric);
          } else {
            settings.shard_level_metrics.erase(metric);
          }
        }
        after = settings.shard_level_metrics;
        return absl::OkStatus();
      });
  if (!before.ok()) return before.status();
  return MonitoringChange{Sorted(before->shard_level_metrics), Sorted(after)};
}

absl::Status StreamBroker::ChangeEncryption(const StreamRef& ref,
                                            const std::string& encryption_type,
                                            const std::string& key_id, bool start) {
  if (encryption_type != "KMS") {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '", encryption_type,
        "' at 'encryptionType' failed to satisfy constraint: Member must satisfy enum value "
        "set: [KMS]"));
  }
  if (key_id.empty() || key_id.size() > 2048) {
    return common::ValidationError(
        "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member "
        "must have length between 1 and 2048");
  }
  return catalog_
      ->UpdateSettings(ref,
                       [&](StreamSettings& settings) {
                         if (start) {
                           settings.encryption_type = "KMS";
                           settings.key_id = key_id;
                         } else {
                           settings.encryption_type = "NONE";
                           settings.key_id.clear();
                         }
                         return absl::OkStatus();
                       })
      .status();
}

BrokerLimitsInfo StreamBroker::DescribeLimits() const {
  BrokerLimitsInfo info;
  info.shard_limit = catalog_->limits().max_shards;
  info.open_shard_count = catalog_->OpenShardCount();
  for (const auto& stream : catalog_->List()) {
    info.on_demand_stream_count += stream->mode() == StreamMode::kOnDemand ? 1 : 0;
  }
  info.on_demand_stream_count_limit = kOnDemandStreamCountLimit;
  return info;
}

}  // namespace eddy::broker
