#include "broker/capacity_manager.h"

#include <algorithm>

#include "absl/time/time.h"
#include "common/logging.h"

namespace eddy::broker {

CapacityManager::CapacityManager(StreamCatalog& catalog, const common::Clock& clock,
                                 OnDemandOptions options, Split split, Merge merge)
    : catalog_(catalog),
      clock_(clock),
      options_(options),
      split_(std::move(split)),
      merge_(std::move(merge)) {}

CapacityManager::~CapacityManager() { Stop(); }

void CapacityManager::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    while (
        !stop_.WaitForNotificationWithTimeout(absl::Milliseconds(options_.check_interval_millis))) {
      CheckNow();
    }
  });
}

void CapacityManager::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void CapacityManager::CheckNow() {
  absl::MutexLock lock(&mu_);
  const int64_t now = clock_.NowMillis();
  for (const auto& stream : catalog_.List()) {
    if (stream->mode() == StreamMode::kOnDemand) CheckStream(stream, now);
  }
}

void CapacityManager::CheckStream(const std::shared_ptr<StreamState>& stream, int64_t now) {
  struct Rate {
    std::shared_ptr<ShardState> shard;
    double bytes_per_second = 0;
    bool window_full = false;
    Sample span;
  };
  std::vector<Rate> rates;
  for (const auto& shard : stream->Shards()) {
    if (!shard->IsOpen()) continue;
    const ShardState::Ingress ingress = shard->TakeIngress();
    ShardLoad& load = loads_[{stream->id, shard->index}];
    load.samples.push_back(
        Sample{now, ingress.bytes, ingress.min_key, ingress.max_key, ingress.any});
    while (load.samples.size() > 1 &&
           now - load.samples[1].at_millis >= options_.split_window_millis) {
      load.samples.pop_front();
    }
    Rate rate;
    rate.shard = shard;
    const int64_t span_millis = now - load.samples.front().at_millis;
    rate.window_full = span_millis >= options_.split_window_millis;
    int64_t bytes = 0;
    for (size_t i = 1; i < load.samples.size(); ++i) {
      const Sample& s = load.samples[i];
      bytes += s.bytes;
      if (!s.any) continue;
      if (!rate.span.any || s.min_key < rate.span.min_key) rate.span.min_key = s.min_key;
      if (!rate.span.any || s.max_key > rate.span.max_key) rate.span.max_key = s.max_key;
      rate.span.any = true;
    }
    rate.bytes_per_second = span_millis > 0 ? bytes * 1000.0 / span_millis : 0;
    if (rate.bytes_per_second < options_.merge_bytes_per_second) {
      if (load.cold_since_millis < 0) load.cold_since_millis = now;
    } else {
      load.cold_since_millis = -1;
    }
    rates.push_back(rate);
  }
  auto log = common::Logger("eddy.broker");
  for (const Rate& rate : rates) {
    if (!rate.window_full || rate.bytes_per_second <= options_.split_bytes_per_second) continue;
    if (!rate.span.any || rate.span.min_key == rate.span.max_key) continue;  // one key: no help
    const common::HashKeyRange range = rate.shard->hash_range;
    common::HashKey key = rate.span.min_key + (rate.span.max_key - rate.span.min_key) / 2 + 1;
    key = std::max(key, range.start + 2);
    if (key >= range.end) continue;
    absl::Status status = split_(stream, rate.shard->shard_id, common::FormatUint128(key));
    log->info("stream={} shard={} on-demand split at {:.0f} B/s: {}", stream->name,
              rate.shard->shard_id, rate.bytes_per_second, status.ToString());
    loads_.erase({stream->id, rate.shard->index});
    return;  // one change per check: the next check sees the new shards
  }
  for (size_t i = 0; i < rates.size(); ++i) {
    for (size_t j = 0; j < rates.size(); ++j) {
      const ShardState& a = *rates[i].shard;
      const ShardState& b = *rates[j].shard;
      const bool siblings =
          i != j && !a.parent_shard_id.empty() && a.parent_shard_id == b.parent_shard_id &&
          a.adjacent_parent_shard_id.empty() && b.adjacent_parent_shard_id.empty() &&
          a.hash_range.end != common::kMaxHashKey && a.hash_range.end + 1 == b.hash_range.start;
      if (!siblings) continue;
      const ShardLoad& la = loads_[{stream->id, a.index}];
      const ShardLoad& lb = loads_[{stream->id, b.index}];
      if (la.cold_since_millis < 0 || lb.cold_since_millis < 0 ||
          now - std::max(la.cold_since_millis, lb.cold_since_millis) <
              options_.merge_quiet_millis) {
        continue;
      }
      absl::Status status = merge_(stream, a.shard_id, b.shard_id);
      log->info("stream={} shards={},{} on-demand merge of cold siblings: {}", stream->name,
                a.shard_id, b.shard_id, status.ToString());
      loads_.erase({stream->id, a.index});
      loads_.erase({stream->id, b.index});
      return;
    }
  }
}

}  // namespace eddy::broker
