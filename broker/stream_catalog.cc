#include "broker/stream_catalog.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/sequence_number.h"
#include "broker/token_codec.h"
#include "broker/validation.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

std::string HashKeyBytes(common::HashKey key) {
  std::string bytes;
  AppendBigEndian64(&bytes, absl::Uint128High64(key));
  AppendBigEndian64(&bytes, absl::Uint128Low64(key));
  return bytes;
}

common::HashKey HashKeyFromBytes(absl::string_view bytes) {
  if (bytes.size() != 16) return 0;
  return absl::MakeUint128(ReadBigEndian64(bytes.substr(0, 8)), ReadBigEndian64(bytes.substr(8)));
}

absl::StatusOr<std::string> NameOf(const StreamRef& ref) {
  if (ref.arn.empty()) {
    if (ref.name.empty()) return common::ValidationError("StreamName or StreamARN is required.");
    return ref.name;
  }
  constexpr absl::string_view kMarker = ":stream/";
  const size_t at = ref.arn.rfind(kMarker.data(), std::string::npos, kMarker.size());
  if (!absl::StartsWith(ref.arn, "arn:") || at == std::string::npos) {
    return common::InvalidArgument(absl::StrCat("Invalid StreamARN '", ref.arn, "'."));
  }
  std::string name = ref.arn.substr(at + kMarker.size());
  if (!ref.name.empty() && ref.name != name) {
    return common::InvalidArgument(
        absl::StrCat("StreamARN '", ref.arn, "' does not name stream '", ref.name, "'."));
  }
  return name;
}

absl::Status NotFound(absl::string_view name) {
  return common::ResourceNotFound(
      absl::StrCat("Stream ", name, " under account 000000000000 not found."));
}

}  // namespace

StreamCatalog::StreamCatalog(RecordStore& store, const BrokerLimits& limits,
                             const common::Clock& clock)
    : store_(store), limits_(limits), clock_(clock) {}

absl::StatusOr<std::unique_ptr<StreamCatalog>> StreamCatalog::Open(RecordStore& store,
                                                                   const BrokerLimits& limits,
                                                                   const common::Clock& clock) {
  std::unique_ptr<StreamCatalog> catalog(new StreamCatalog(store, limits, clock));
  absl::StatusOr<std::vector<storage::v1::StoredStream>> stored = store.LoadStreams();
  if (!stored.ok()) return stored.status();
  absl::MutexLock lock(&catalog->mu_);
  for (const storage::v1::StoredStream& s : *stored) {
    auto stream = std::make_shared<StreamState>(s.stream_id(), s.name(), s.creation_millis(),
                                                static_cast<StreamMode>(s.stream_mode()),
                                                s.max_record_size_kib(), s.retention_hours());
    for (const storage::v1::StoredShard& stored_shard : s.shards()) {
      auto shard = std::make_shared<ShardState>(
          s.stream_id(), stored_shard.index(),
          common::HashKeyRange{HashKeyFromBytes(stored_shard.starting_hash_key()),
                               HashKeyFromBytes(stored_shard.ending_hash_key())},
          stored_shard.starting_counter(), limits, clock);
      shard->parent_shard_id = stored_shard.parent_shard_id();
      shard->adjacent_parent_shard_id = stored_shard.adjacent_parent_shard_id();
      shard->ending_counter.store(stored_shard.ending_counter());
      absl::StatusOr<uint64_t> high_water = store.HighWater(s.stream_id(), stored_shard.index());
      if (!high_water.ok()) return high_water.status();
      // Nothing below the shard's start is ever assigned; nothing written is ever reused.
      const uint64_t last = std::max(*high_water, stored_shard.starting_counter());
      shard->InitCounters(last);
      stream->AddShard(std::move(shard));
    }
    stream->set_next_shard_index(std::max(stream->next_shard_index(), s.next_shard_index()));
    stream->set_trim_floor_counter(s.trim_floor_counter());
    StreamSettings settings = stream->settings();
    settings.tags.insert(s.tags().begin(), s.tags().end());
    settings.shard_level_metrics.insert(s.shard_level_metrics().begin(),
                                        s.shard_level_metrics().end());
    if (!s.encryption_type().empty()) settings.encryption_type = s.encryption_type();
    settings.key_id = s.key_id();
    stream->set_settings(std::move(settings));
    catalog->by_id_[s.stream_id()] = stream;
    catalog->by_name_[s.name()] = std::move(stream);
  }
  return catalog;
}

int StreamCatalog::OpenShardCount() const {
  absl::MutexLock lock(&mu_);
  return OpenShardCountLocked();
}

int StreamCatalog::OpenShardCountLocked() const {
  int count = 0;
  for (const auto& [name, stream] : by_name_) {
    for (const auto& shard : stream->Shards()) count += shard->IsOpen() ? 1 : 0;
  }
  return count;
}

absl::Status StreamCatalog::Create(const CreateStreamParams& requested) {
  CreateStreamParams params = requested;
  // Kinesis: no ShardCount means 4 shards ON_DEMAND, 1 PROVISIONED; an explicit 0 is refused.
  if (!params.shard_count.has_value()) {
    params.shard_count = params.mode == StreamMode::kOnDemand ? 4 : 1;
  }
  if (absl::Status s = ValidateStreamName(params.name); !s.ok()) return s;
  if (absl::Status s = ValidateRange("shardCount", *params.shard_count, 1, 100000); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateRange("maxRecordSizeInKiB", params.max_record_size_kib,
                                     kMinRecordSizeKib, kMaxRecordSizeKib);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateRetentionHours(params.retention_hours); !s.ok()) return s;

  absl::MutexLock lock(&mu_);
  if (by_name_.count(params.name) != 0) {
    return common::ResourceInUse(
        absl::StrCat("Stream ", params.name, " under account 000000000000 already exists."));
  }
  const int open = OpenShardCountLocked();
  if (open + *params.shard_count > limits_.max_shards) {
    return common::LimitExceeded(absl::StrCat(
        "This request would exceed the shard limit for the account 000000000000 (", open,
        " open shards, limit ", limits_.max_shards, ", requested ", *params.shard_count, ")."));
  }
  absl::StatusOr<uint64_t> id = store_.AllocateStreamId();
  if (!id.ok()) return id.status();
  const int64_t now = clock_.NowMillis();
  auto stream = std::make_shared<StreamState>(*id, params.name, now, params.mode,
                                              params.max_record_size_kib, params.retention_hours);
  const std::vector<common::HashKeyRange> ranges = common::EvenHashKeyRanges(*params.shard_count);
  for (int i = 0; i < *params.shard_count; ++i) {
    auto shard = std::make_shared<ShardState>(*id, static_cast<uint32_t>(i), ranges[i],
                                              CounterAtMillis(now), limits_, clock_);
    shard->InitCounters(shard->starting_counter);
    stream->AddShard(std::move(shard));
  }
  if (absl::Status s = Persist(*stream); !s.ok()) return s;
  by_id_[stream->id] = stream;
  by_name_[params.name] = std::move(stream);
  return absl::OkStatus();
}

absl::Status StreamCatalog::Persist(const StreamState& stream) {
  absl::MutexLock lock(&write_mu_);
  return WriteLocked(stream, {});
}

absl::Status StreamCatalog::CommitReshard(
    StreamState& stream,
    const std::vector<std::pair<std::shared_ptr<ShardState>, uint64_t>>& closing,
    const std::vector<std::shared_ptr<ShardState>>& created) {
  absl::MutexLock lock(&write_mu_);
  if (absl::Status written = WriteLocked(stream, {closing, created, std::nullopt, std::nullopt, std::nullopt});
      !written.ok()) {
    return written;
  }
  stream.ApplyReshard(closing, created);
  return absl::OkStatus();
}

absl::Status StreamCatalog::WriteLocked(const StreamState& stream, const PendingChange& change) {
  if (stream.deleted.load()) {
    return common::ResourceNotFound(absl::StrCat("Stream ", stream.name, " was deleted."));
  }
  storage::v1::StoredStream stored;
  stored.set_stream_id(stream.id);
  stored.set_name(stream.name);
  stored.set_creation_millis(stream.creation_millis);
  stored.set_retention_hours(change.retention_hours.value_or(stream.retention_hours()));
  const StreamSettings settings = change.settings.value_or(stream.settings());
  stored.set_stream_mode(static_cast<int>(settings.mode));
  for (const auto& [key, value] : settings.tags) (*stored.mutable_tags())[key] = value;
  for (const std::string& metric : settings.shard_level_metrics) {
    stored.add_shard_level_metrics(metric);
  }
  stored.set_encryption_type(settings.encryption_type);
  stored.set_key_id(settings.key_id);
  stored.set_max_record_size_kib(stream.max_record_size_kib);
  uint32_t next_shard_index = stream.next_shard_index();
  stored.set_trim_floor_counter(change.trim_floor_counter.value_or(stream.trim_floor_counter()));
  auto add = [&stored](const ShardState& shard, uint64_t ending_counter) {
    storage::v1::StoredShard* s = stored.add_shards();
    s->set_index(shard.index);
    s->set_starting_hash_key(HashKeyBytes(shard.hash_range.start));
    s->set_ending_hash_key(HashKeyBytes(shard.hash_range.end));
    s->set_starting_counter(shard.starting_counter);
    s->set_ending_counter(ending_counter);
    s->set_parent_shard_id(shard.parent_shard_id);
    s->set_adjacent_parent_shard_id(shard.adjacent_parent_shard_id);
  };
  for (const auto& shard : stream.Shards()) {
    uint64_t ending = shard->ending_counter.load();
    for (const auto& [parent, parent_ending] : change.closing) {
      if (parent.get() == shard.get()) ending = parent_ending;
    }
    add(*shard, ending);
  }
  for (const auto& child : change.created) {
    add(*child, child->ending_counter.load());
    next_shard_index = std::max(next_shard_index, child->index + 1);
  }
  stored.set_next_shard_index(next_shard_index);
  return store_.PutStream(stored);
}

absl::StatusOr<std::shared_ptr<StreamState>> StreamCatalog::Remove(const StreamRef& ref) {
  absl::StatusOr<std::string> name = NameOf(ref);
  if (!name.ok()) return name.status();
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(*name);
  if (it == by_name_.end()) return NotFound(*name);
  {
    // No metadata write of this stream is in flight, and none is made after this one.
    absl::MutexLock write(&write_mu_);
    if (absl::Status s = store_.DeleteStream(*name); !s.ok()) return s;
    it->second->deleted.store(true);
  }
  std::shared_ptr<StreamState> stream = std::move(it->second);
  by_name_.erase(it);
  by_id_.erase(stream->id);
  for (const auto& shard : stream->Shards()) shard->deleted.store(true);
  return stream;
}

absl::StatusOr<std::shared_ptr<StreamState>> StreamCatalog::Find(const StreamRef& ref) const {
  absl::StatusOr<std::string> name = NameOf(ref);
  if (!name.ok()) return name.status();
  if (absl::Status s = ValidateStreamName(*name); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(*name);
  if (it == by_name_.end()) return NotFound(*name);
  return it->second;
}

std::shared_ptr<StreamState> StreamCatalog::FindById(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<StreamState>> StreamCatalog::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<StreamState>> streams;
  for (const auto& [name, stream] : by_name_) streams.push_back(stream);
  return streams;
}

absl::Status StreamCatalog::ChangeRetention(const StreamRef& ref, int hours, bool increase) {
  absl::StatusOr<std::shared_ptr<StreamState>> stream = Find(ref);
  if (!stream.ok()) return stream.status();
  if (absl::Status s = ValidateRetentionHours(hours); !s.ok()) return s;
  // Serializes retention changes with every other metadata write; stored first, then
  // applied: neither readers nor the trimmer ever act on a retention that a failed write
  // then takes back.
  absl::MutexLock write(&write_mu_);
  const int current = (*stream)->retention_hours();
  if (increase && hours < current) {
    return common::InvalidArgument(
        absl::StrCat("Requested retention period (", hours, " hours) for stream ", (*stream)->name,
                     " can not be shorter than existing retention period (", current,
                     " hours). Use DecreaseRetentionPeriod API."));
  }
  if (!increase && hours > current) {
    return common::InvalidArgument(
        absl::StrCat("Requested retention period (", hours, " hours) for stream ", (*stream)->name,
                     " can not be longer than existing retention period (", current,
                     " hours). Use IncreaseRetentionPeriod API."));
  }
  const int64_t now = clock_.NowMillis();
  PendingChange change;
  change.retention_hours = hours;
  change.trim_floor_counter = (*stream)->TrimFloorAt(now);
  if (absl::Status written = WriteLocked(**stream, change); !written.ok()) return written;
  (*stream)->set_retention_hours(hours, now);
  return absl::OkStatus();
}

absl::StatusOr<StreamSettings> StreamCatalog::UpdateSettings(
    const StreamRef& ref, const std::function<absl::Status(StreamSettings&)>& change) {
  absl::StatusOr<std::shared_ptr<StreamState>> stream = Find(ref);
  if (!stream.ok()) return stream.status();
  absl::MutexLock write(&write_mu_);
  const StreamSettings before = (*stream)->settings();
  StreamSettings after = before;
  if (absl::Status s = change(after); !s.ok()) return s;
  PendingChange pending;
  pending.settings = after;
  if (absl::Status written = WriteLocked(**stream, pending); !written.ok()) return written;
  (*stream)->set_settings(std::move(after));
  return before;
}

}  // namespace eddy::broker
