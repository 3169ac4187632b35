#include "broker/consumer_registry.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/validation.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

constexpr int kMaxCreatingAtOnce = 5;
constexpr absl::string_view kConsumerMarker = "/consumer/";

absl::Status NotFound(absl::string_view name, absl::string_view stream) {
  return common::ResourceNotFound(
      absl::StrCat("Consumer ", name, " under stream ", stream, " not found."));
}

}  // namespace

ConsumerRegistry::ConsumerRegistry(RecordStore& store, const BrokerLimits& limits,
                                   const common::Clock& clock, int64_t activation_millis)
    : store_(store), limits_(limits), clock_(clock), activation_millis_(activation_millis) {}

absl::StatusOr<std::unique_ptr<ConsumerRegistry>> ConsumerRegistry::Open(
    RecordStore& store, const BrokerLimits& limits, const common::Clock& clock,
    int64_t activation_millis, const std::vector<std::shared_ptr<StreamState>>& streams) {
  std::unique_ptr<ConsumerRegistry> registry(
      new ConsumerRegistry(store, limits, clock, activation_millis));
  absl::StatusOr<std::vector<storage::v1::StoredConsumer>> stored = store.LoadConsumers();
  if (!stored.ok()) return stored.status();
  std::map<uint64_t, std::string> stream_names;
  for (const auto& stream : streams) stream_names[stream->id] = stream->name;
  absl::MutexLock lock(&registry->mu_);
  for (const storage::v1::StoredConsumer& c : *stored) {
    auto stream = stream_names.find(c.stream_id());
    if (stream == stream_names.end()) continue;  // its stream was deleted
    registry->consumers_[{c.stream_id(), c.name()}] = Entry{stream->second, c.creation_millis()};
  }
  return registry;
}

ConsumerInfo ConsumerRegistry::InfoLocked(const Key& key, const Entry& entry) const {
  ConsumerInfo info;
  info.stream_id = key.first;
  info.stream_name = entry.stream_name;
  info.stream_arn = StreamArn(entry.stream_name);
  info.name = key.second;
  info.creation_millis = entry.creation_millis;
  info.arn =
      absl::StrCat(info.stream_arn, kConsumerMarker, key.second, ":", entry.creation_millis / 1000);
  info.status = clock_.NowMillis() - entry.creation_millis >= activation_millis_
                    ? ConsumerStatus::kActive
                    : ConsumerStatus::kCreating;
  return info;
}

absl::StatusOr<ConsumerInfo> ConsumerRegistry::Register(const StreamState& stream,
                                                        const std::string& name) {
  if (absl::Status s = ValidateResourceName("consumerName", name); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  const Key key{stream.id, name};
  if (consumers_.count(key) != 0) {
    return common::ResourceInUse(
        absl::StrCat("Consumer ", name, " under stream ", stream.name, " already exists."));
  }
  int registered = 0;
  int creating = 0;
  const int64_t now = clock_.NowMillis();
  for (const auto& [k, entry] : consumers_) {
    if (k.first != stream.id) continue;
    ++registered;
    if (now - entry.creation_millis < activation_millis_) ++creating;
  }
  if (registered >= limits_.max_consumers_per_stream) {
    return common::LimitExceeded(absl::StrCat("Stream ", stream.name, " already has ", registered,
                                              " registered consumers, the limit."));
  }
  if (creating >= kMaxCreatingAtOnce) {
    return common::LimitExceeded(absl::StrCat("Stream ", stream.name, " has ", creating,
                                              " consumers in CREATING state; wait for them."));
  }
  storage::v1::StoredConsumer stored;
  stored.set_stream_id(stream.id);
  stored.set_name(name);
  stored.set_creation_millis(now);
  if (absl::Status s = store_.PutConsumer(stored); !s.ok()) return s;
  const Entry& entry = consumers_[key] = Entry{stream.name, now};
  return InfoLocked(key, entry);
}

absl::StatusOr<ConsumerInfo> ConsumerRegistry::Deregister(const StreamState& stream,
                                                          const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = consumers_.find(Key{stream.id, name});
  if (it == consumers_.end()) return NotFound(name, stream.name);
  if (absl::Status s = store_.DeleteConsumer(stream.id, name); !s.ok()) return s;
  ConsumerInfo info = InfoLocked(it->first, it->second);
  info.status = ConsumerStatus::kDeleting;
  consumers_.erase(it);
  return info;
}

absl::StatusOr<ConsumerInfo> ConsumerRegistry::Describe(const StreamState& stream,
                                                        const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = consumers_.find(Key{stream.id, name});
  if (it == consumers_.end()) return NotFound(name, stream.name);
  return InfoLocked(it->first, it->second);
}

bool ConsumerRegistry::ParseArn(const std::string& arn, std::string* stream_name,
                                std::string* consumer_name) {
  constexpr absl::string_view kStreamMarker = ":stream/";
  const size_t stream_at = arn.find(kStreamMarker.data(), 0, kStreamMarker.size());
  const size_t consumer_at =
      arn.rfind(kConsumerMarker.data(), std::string::npos, kConsumerMarker.size());
  const size_t colon = arn.rfind(':');
  if (arn.rfind("arn:", 0) != 0 || stream_at == std::string::npos ||
      consumer_at == std::string::npos || colon == std::string::npos || colon < consumer_at ||
      consumer_at < stream_at) {
    return false;
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(arn.substr(colon + 1), &seconds)) return false;
  *stream_name =
      arn.substr(stream_at + kStreamMarker.size(), consumer_at - stream_at - kStreamMarker.size());
  *consumer_name = arn.substr(consumer_at + kConsumerMarker.size(),
                              colon - consumer_at - kConsumerMarker.size());
  return true;
}

absl::StatusOr<ConsumerInfo> ConsumerRegistry::FindByArn(const std::string& arn) const {
  std::string stream_name;
  std::string consumer_name;
  if (!ParseArn(arn, &stream_name, &consumer_name)) {
    return common::InvalidArgument(absl::StrCat("Invalid ConsumerARN '", arn.substr(0, 256), "'."));
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [key, entry] : consumers_) {
    if (key.second == consumer_name && entry.stream_name == stream_name) {
      ConsumerInfo info = InfoLocked(key, entry);
      if (info.arn == arn) return info;  // the creation time must match too
    }
  }
  return common::ResourceNotFound(absl::StrCat("Consumer ", arn, " not found."));
}

std::vector<ConsumerInfo> ConsumerRegistry::List(uint64_t stream_id) const {
  std::vector<ConsumerInfo> out;
  absl::MutexLock lock(&mu_);
  for (auto it = consumers_.lower_bound(Key{stream_id, ""});
       it != consumers_.end() && it->first.first == stream_id; ++it) {
    out.push_back(InfoLocked(it->first, it->second));
  }
  return out;
}

int ConsumerRegistry::Count(uint64_t stream_id) const {
  return static_cast<int>(List(stream_id).size());
}

std::vector<ConsumerInfo> ConsumerRegistry::RemoveAll(uint64_t stream_id) {
  std::vector<ConsumerInfo> removed = List(stream_id);
  absl::MutexLock lock(&mu_);
  for (const ConsumerInfo& info : removed) {
    store_.DeleteConsumer(stream_id, info.name).IgnoreError();  // the stream is gone anyway
    consumers_.erase(Key{stream_id, info.name});
  }
  return removed;
}

}  // namespace eddy::broker
