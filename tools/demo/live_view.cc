#include "tools/demo/live_view.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/hash_key.h"

namespace eddy::tools::demo {
namespace {

constexpr size_t kEventsShown = 10;
constexpr auto kRateWindow = std::chrono::seconds(2);
constexpr auto kStatusLineEvery = std::chrono::seconds(3);

double KeyShare(const v1::Shard& shard) {
  common::HashKey start = 0;
  common::HashKey end = 0;
  common::ParseDecimalUint128(shard.hash_key_range().starting_hash_key(), &start);
  common::ParseDecimalUint128(shard.hash_key_range().ending_hash_key(), &end);
  const double width = static_cast<double>(end - start) + 1.0;
  return 100.0 * width / 3.402823669209385e38;
}

std::string OwnerName(const std::string& owner) { return owner.empty() ? "-" : owner; }

}  // namespace

std::string ShortShardId(const std::string& shard_id) {
  const size_t dash = shard_id.rfind('-');
  if (dash == std::string::npos) return shard_id;
  std::string digits = shard_id.substr(dash + 1);
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  return digits;
}

LiveView::LiveView(std::ostream& out, bool interactive, std::string title)
    : out_(out), interactive_(interactive), title_(std::move(title)) {}

double LiveView::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void LiveView::Event(const std::string& text) {
  const std::string line = absl::StrFormat("%6.1fs  %s", ElapsedSeconds(), text);
  events_.push_back(line);
  while (events_.size() > kEventsShown) events_.pop_front();
  if (!interactive_) out_ << line << std::endl;
}

void LiveView::UpdateLeases(const std::vector<v1::Shard>& shards,
                            const std::vector<lease::Lease>& leases) {
  shards_ = shards;
  std::map<std::string, lease::Lease> now;
  for (const lease::Lease& lease : leases) now[lease.key] = lease;
  if (leases_seen_) {
    for (const auto& [key, lease] : now) {
      auto before = leases_.find(key);
      if (before == leases_.end()) {
        Event(lease.parent_shard_ids.empty()
                  ? absl::StrCat("lease ", ShortShardId(key), " created")
                  : absl::StrCat("lease ", ShortShardId(key), " created (child of ",
                                 absl::StrJoin(lease.parent_shard_ids, " + ",
                                               [](std::string* out, const std::string& id) {
                                                 out->append(ShortShardId(id));
                                               }),
                                 ")"));
        if (!lease.owner.empty())
          Event(absl::StrCat("lease ", ShortShardId(key), " → ", lease.owner));
        continue;
      }
      const lease::Lease& old = before->second;
      if (old.checkpoint != lease.checkpoint &&
          lease.checkpoint == checkpoint::ExtendedSequenceNumber::ShardEnd()) {
        Event(absl::StrCat("shard ", ShortShardId(key), " finished: SHARD_END checkpointed by ",
                           OwnerName(old.owner)));
      }
      if (old.owner != lease.owner) {
        if (lease.owner.empty()) {
          Event(absl::StrCat("lease ", ShortShardId(key), " released by ", OwnerName(old.owner)));
        } else if (old.owner.empty()) {
          Event(absl::StrCat("lease ", ShortShardId(key), " → ", lease.owner));
        } else {
          Event(
              absl::StrCat("lease ", ShortShardId(key), " moved ", old.owner, " → ", lease.owner));
        }
      }
    }
    for (const auto& [key, lease] : leases_) {
      if (now.count(key) == 0) {
        Event(absl::StrCat("lease ", ShortShardId(key), " cleaned up (its shard has expired)"));
      }
    }
  }
  leases_ = std::move(now);
  leases_seen_ = true;
}

void LiveView::AddProcessed(const std::vector<ProcessedRecord>& records) {
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, int64_t> counts;
  for (const ProcessedRecord& r : records) {
    ++counts[r.shard_id];
    ++per_worker_[r.worker_id];
    stats_[r.shard_id].millis_behind = r.millis_behind_latest;
  }
  for (const auto& [shard, count] : counts) {
    ShardStats& stats = stats_[shard];
    stats.processed += count;
    stats.recent.emplace_back(now, count);
  }
}

double LiveView::RecordsPerSecond(ShardStats& stats) {
  const auto now = std::chrono::steady_clock::now();
  while (!stats.recent.empty() && now - stats.recent.front().first > kRateWindow) {
    stats.recent.pop_front();
  }
  int64_t total = 0;
  for (const auto& [when, count] : stats.recent) total += count;
  return static_cast<double>(total) / std::chrono::duration<double>(kRateWindow).count();
}

std::string LiveView::Frame() {
  std::ostringstream frame;
  frame << "\033[1m" << title_ << "\033[0m" << absl::StrFormat("   t=%.1fs\n", ElapsedSeconds());
  frame << status_ << "\n\n";
  frame << absl::StrFormat("%-22s %6s  %-7s %-13s %-10s %7s %10s %10s\n", "SHARD", "KEYS", "STATE",
                           "LEASE", "OWNER", "REC/S", "BEHIND ms", "PROCESSED");
  for (const v1::Shard& shard : shards_) {
    const bool open = shard.sequence_number_range().ending_sequence_number().empty();
    auto lease = leases_.find(shard.shard_id());
    std::string lease_state = "none";
    std::string owner = "-";
    if (lease != leases_.end()) {
      owner = OwnerName(lease->second.owner);
      if (lease->second.checkpoint == checkpoint::ExtendedSequenceNumber::ShardEnd()) {
        lease_state = "SHARD_END";
      } else if (lease->second.checkpoint.is_sentinel()) {
        lease_state = lease->second.checkpoint.ToString();
      } else {
        lease_state = "checkpointed";
      }
    } else if (!open && stats_.count(shard.shard_id()) != 0) {
      lease_state = "cleaned up";
    }
    ShardStats& stats = stats_[shard.shard_id()];
    frame << absl::StrFormat("%-22s %5.1f%%  %-7s %-13s %-10s %7.0f %10d %10d\n", shard.shard_id(),
                             KeyShare(shard), open ? "open" : "closed", lease_state, owner,
                             RecordsPerSecond(stats), stats.millis_behind, stats.processed);
  }
  frame << "\nworkers:";
  for (const auto& [worker, count] : per_worker_) {
    int held = 0;
    for (const auto& [key, lease] : leases_) held += lease.owner == worker ? 1 : 0;
    auto note = worker_notes_.find(worker);
    frame << absl::StrFormat("  %s (%s%d leases, %d records)", worker,
                             note == worker_notes_.end() ? "" : note->second + ", ", held, count);
  }
  frame << "\n\nevents:\n";
  for (const std::string& event : events_) frame << "  " << event << "\n";
  return frame.str();
}

void LiveView::Render() {
  if (interactive_) {
    out_ << "\033[H\033[2J" << Frame() << std::flush;
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_status_line_ < kStatusLineEvery) return;
  last_status_line_ = now;
  std::string owners;
  for (const v1::Shard& shard : shards_) {
    if (!shard.sequence_number_range().ending_sequence_number().empty()) continue;
    auto lease = leases_.find(shard.shard_id());
    absl::StrAppend(&owners, " ", ShortShardId(shard.shard_id()), ":",
                    lease == leases_.end() ? "-" : OwnerName(lease->second.owner));
  }
  out_ << absl::StrFormat("%6.1fs  [status] %s; open shards (owner)%s", ElapsedSeconds(), status_,
                          owners)
       << std::endl;
}

}  // namespace eddy::tools::demo
