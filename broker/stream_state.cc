#include "broker/stream_state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "broker/sequence_number.h"

namespace eddy::broker {

ShardState::ShardState(uint64_t stream_id_in, uint32_t index_in, common::HashKeyRange range,
                       uint64_t starting_counter_in, const BrokerLimits& limits,
                       const common::Clock& clock)
    : stream_id(stream_id_in),
      index(index_in),
      shard_id(FormatShardId(index_in)),
      hash_range(range),
      starting_counter(starting_counter_in),
      write_bytes(limits.write_bytes_per_second, limits.write_bytes_per_second, clock),
      write_records(limits.write_records_per_second, limits.write_records_per_second, clock),
      read_calls(limits.read_calls_per_second, limits.read_calls_per_second, clock),
      read_bytes(limits.read_bytes_per_second, limits.read_bytes_per_second, clock),
      tail_bytes_(limits.tail_bytes_per_shard),
      tail_(std::make_unique<ShardTail>(starting_counter_in + 1, tail_bytes_)) {}

void ShardState::InitCounters(uint64_t last) {
  last_assigned = last;
  committed.store(last);
  tail_ = std::make_unique<ShardTail>(last + 1, tail_bytes_);
}

StreamState::StreamState(uint64_t id_in, std::string name_in, int64_t creation_millis_in,
                         StreamMode mode_in, int max_record_size_kib_in, int retention_hours)
    : id(id_in),
      name(std::move(name_in)),
      arn(StreamArn(name)),
      creation_millis(creation_millis_in),
      max_record_size_kib(max_record_size_kib_in),
      retention_hours_(retention_hours) {
  settings_.mode = mode_in;
}

StreamSettings StreamState::settings() const {
  absl::MutexLock lock(&mu_);
  return settings_;
}

void StreamState::set_settings(StreamSettings settings) {
  absl::MutexLock lock(&mu_);
  settings_ = std::move(settings);
}

StreamMode StreamState::mode() const {
  absl::MutexLock lock(&mu_);
  return settings_.mode;
}

void ShardState::RecordIngress(int64_t bytes, common::HashKey key) {
  absl::MutexLock lock(&ingress_mu_);
  ingress_.bytes += bytes;
  if (!ingress_.any || key < ingress_.min_key) ingress_.min_key = key;
  if (!ingress_.any || key > ingress_.max_key) ingress_.max_key = key;
  ingress_.any = true;
}

ShardState::Ingress ShardState::TakeIngress() {
  absl::MutexLock lock(&ingress_mu_);
  Ingress taken = ingress_;
  ingress_ = Ingress();
  return taken;
}

bool StreamState::updating() const {
  absl::MutexLock lock(&mu_);
  return updating_;
}

bool StreamState::BeginUpdate() {
  absl::MutexLock lock(&mu_);
  if (updating_) return false;
  updating_ = true;
  return true;
}

void StreamState::EndUpdate() {
  absl::MutexLock lock(&mu_);
  updating_ = false;
}

uint32_t StreamState::next_shard_index() const {
  absl::MutexLock lock(&mu_);
  return next_shard_index_;
}

void StreamState::set_next_shard_index(uint32_t index) {
  absl::MutexLock lock(&mu_);
  next_shard_index_ = index;
}

void StreamState::ApplyReshard(
    const std::vector<std::pair<std::shared_ptr<ShardState>, uint64_t>>& parents,
    std::vector<std::shared_ptr<ShardState>> children) {
  absl::MutexLock lock(&mu_);
  for (const auto& [parent, ending] : parents) parent->ending_counter.store(ending);
  for (auto& child : children) {
    next_shard_index_ = std::max(next_shard_index_, child->index + 1);
    shards_.push_back(std::move(child));
  }
}

void StreamState::RemoveShard(uint32_t index) {
  absl::MutexLock lock(&mu_);
  shards_.erase(std::remove_if(shards_.begin(), shards_.end(),
                               [index](const auto& s) { return s->index == index; }),
                shards_.end());
}

int StreamState::retention_hours() const {
  absl::MutexLock lock(&mu_);
  return retention_hours_;
}

void StreamState::set_retention_hours(int hours, int64_t now_millis) {
  absl::MutexLock lock(&mu_);
  trim_floor_counter_ = TrimFloorAtLocked(now_millis);
  retention_hours_ = hours;
}

uint64_t StreamState::TrimFloorAt(int64_t now_millis) const {
  absl::MutexLock lock(&mu_);
  return TrimFloorAtLocked(now_millis);
}

uint64_t StreamState::TrimFloorAtLocked(int64_t now_millis) const {
  const uint64_t horizon =
      CounterAtMillis(now_millis - static_cast<int64_t>(retention_hours_) * 3'600'000);
  return std::max(trim_floor_counter_, horizon);
}

uint64_t StreamState::trim_floor_counter() const {
  absl::MutexLock lock(&mu_);
  return trim_floor_counter_;
}

void StreamState::set_trim_floor_counter(uint64_t counter) {
  absl::MutexLock lock(&mu_);
  trim_floor_counter_ = counter;
}

std::vector<std::shared_ptr<ShardState>> StreamState::Shards() const {
  absl::MutexLock lock(&mu_);
  return shards_;
}

void StreamState::AddShard(std::shared_ptr<ShardState> shard) {
  absl::MutexLock lock(&mu_);
  next_shard_index_ = std::max(next_shard_index_, shard->index + 1);
  shards_.push_back(std::move(shard));
}

std::shared_ptr<ShardState> StreamState::FindShard(uint32_t index) const {
  absl::MutexLock lock(&mu_);
  for (const auto& shard : shards_) {
    if (shard->index == index) return shard;
  }
  return nullptr;
}

std::shared_ptr<ShardState> StreamState::RouteHashKey(common::HashKey key) const {
  absl::MutexLock lock(&mu_);
  for (const auto& shard : shards_) {
    if (shard->IsOpen() && shard->hash_range.Contains(key)) return shard;
  }
  return nullptr;
}

std::vector<ChildShardInfo> StreamState::ChildrenOf(const ShardState& shard) const {
  std::vector<ChildShardInfo> children;
  for (const auto& candidate : Shards()) {
    if (candidate->parent_shard_id != shard.shard_id &&
        candidate->adjacent_parent_shard_id != shard.shard_id) {
      continue;
    }
    ChildShardInfo child{candidate->shard_id, {candidate->parent_shard_id}, candidate->hash_range};
    if (!candidate->adjacent_parent_shard_id.empty()) {
      child.parent_shards.push_back(candidate->adjacent_parent_shard_id);
    }
    children.push_back(std::move(child));
  }
  return children;
}

uint64_t StreamState::TrimHorizonCounter(int64_t now_millis) const {
  absl::MutexLock lock(&mu_);
  return std::max(trim_floor_counter_,
                  CounterAtMillis(now_millis - static_cast<int64_t>(retention_hours_) * 3'600'000));
}

std::string StreamArn(absl::string_view name) {
  return absl::StrCat("arn:aws:kinesis:local:000000000000:stream/", name);
}

}  // namespace eddy::broker
