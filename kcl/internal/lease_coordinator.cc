#include "kcl/internal/lease_coordinator.h"

#include <algorithm>
#include <set>

#include "common/logging.h"

namespace eddy::kcl::internal {

LeaseCoordinator::LeaseCoordinator(lease::LeaseTable& table, const common::Clock& clock,
                                   LeaseCoordinatorOptions options)
    : table_(table), clock_(clock), options_(std::move(options)) {}

std::vector<HeldLease> LeaseCoordinator::Held() const {
  absl::MutexLock lock(&mu_);
  std::vector<HeldLease> held;
  for (const auto& [key, lease] : held_) held.push_back(lease);
  return held;
}

std::vector<std::string> LeaseCoordinator::DropAll() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  for (const auto& [key, held] : held_) keys.push_back(key);
  held_.clear();
  return keys;
}

std::vector<std::string> LeaseCoordinator::HandoffRequests() const {
  absl::MutexLock lock(&mu_);
  return handoff_requests_;
}

std::optional<HeldLease> LeaseCoordinator::Find(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(key);
  if (it == held_.end()) return std::nullopt;
  return it->second;
}

int64_t FreshnessMarginMillis(int64_t failover_millis) { return failover_millis / 10; }

bool LeaseCoordinator::HoldsFresh(const std::string& key, uint64_t epoch) const {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(key);
  return it != held_.end() && it->second.ownership.epoch == epoch &&
         clock_.NowMillis() - it->second.last_renewed_millis <
             options_.failover_millis - FreshnessMarginMillis(options_.failover_millis);
}

std::vector<std::string> LeaseCoordinator::RenewAll() {
  std::vector<std::string> lost;
  for (HeldLease held : Held()) {
    const std::string& key = held.lease.key;
    const int64_t now = clock_.NowMillis();
    bool keep = true;
    if (now - held.last_renewed_millis >= options_.failover_millis) {
      keep = false;  // others may already see it expired: never renew a stale lease
    } else {
      absl::StatusOr<bool> won = table_.Renew(key, options_.worker_id, held.lease.counter);
      if (won.ok() && *won) {
        ++held.lease.counter;
        held.last_renewed_millis = now;
      } else if (won.ok()) {
        // Lost the race — unless our own earlier renewal landed but its answer did not.
        absl::StatusOr<std::optional<lease::Lease>> current = table_.Get(key);
        if (current.ok() && current->has_value() && (*current)->owner == options_.worker_id &&
            (*current)->epoch == held.ownership.epoch) {
          held.lease = **current;
          held.last_renewed_millis = now;
        } else if (current.ok()) {
          keep = false;
        }
      }
    }
    absl::MutexLock lock(&mu_);
    if (keep) {
      held_[key] = held;
    } else {
      held_.erase(key);
      lost.push_back(key);
    }
  }
  return lost;
}

absl::StatusOr<std::vector<std::string>> LeaseCoordinator::TakeLeases() {
  absl::StatusOr<std::vector<lease::Lease>> all = table_.List();
  if (!all.ok()) return all.status();
  const int64_t now = clock_.NowMillis();
  std::vector<const lease::Lease*> available;
  std::map<std::string, std::vector<const lease::Lease*>> by_owner;
  int mine = 0;
  {
    absl::MutexLock lock(&mu_);
    std::map<std::string, Observation> seen;
    handoff_requests_.clear();
    for (const lease::Lease& lease : *all) {
      if (lease.owner == options_.worker_id && held_.count(lease.key) != 0 &&
          !lease.handoff_to.empty() && lease.handoff_to != options_.worker_id) {
        handoff_requests_.push_back(lease.key);
      }
      // A finished shard's lease is nobody's work any more (its children carry on).
      if (lease.checkpoint == checkpoint::ExtendedSequenceNumber::ShardEnd()) continue;
      Observation observation{lease.counter, now};
      auto it = observed_.find(lease.key);
      if (it != observed_.end() && it->second.counter == lease.counter) {
        observation.seen_change_millis = it->second.seen_change_millis;
      }
      seen[lease.key] = observation;
      const bool expired =
          lease.owner.empty() || now - observation.seen_change_millis >= options_.failover_millis;
      if (lease.owner == options_.worker_id && held_.count(lease.key) != 0 && !expired) {
        ++mine;
        by_owner[lease.owner].push_back(&lease);
      } else if (expired) {
        available.push_back(&lease);
      } else if (lease.owner != options_.worker_id) {
        by_owner[lease.owner].push_back(&lease);
      } else {
        available.push_back(&lease);  // ours in the table but not held here: take it back
      }
    }
    observed_ = std::move(seen);
    // Longest-unrenewed first.
    std::sort(available.begin(), available.end(), [this](const auto* a, const auto* b) {
      return observed_[a->key].seen_change_millis < observed_[b->key].seen_change_millis;
    });
  }
  by_owner[options_.worker_id];  // count this worker even when it holds nothing
  const int workers = static_cast<int>(by_owner.size());
  int total = 0;
  for (const lease::Lease& lease : *all) {
    total += lease.checkpoint == checkpoint::ExtendedSequenceNumber::ShardEnd() ? 0 : 1;
  }
  int target = std::max(1, (total + workers - 1) / workers);
  target = std::min(target, options_.max_leases_for_worker);

  std::vector<const lease::Lease*> to_take;
  std::vector<const lease::Lease*> spare;  // free leases to try when a take loses a race
  int shortfall = target - mine;
  {
    // Hand-offs asked for earlier count as on their way (unless the lease is free or expired
    // by now: then it is simply taken below).
    std::set<std::string> available_keys;
    for (const lease::Lease* lease : available) available_keys.insert(lease->key);
    absl::MutexLock lock(&mu_);
    for (auto it = requested_handoffs_.begin(); it != requested_handoffs_.end();) {
      const lease::Lease* lease = nullptr;
      for (const lease::Lease& l : *all) {
        if (l.key == it->first) lease = &l;
      }
      if (lease == nullptr || lease->handoff_to != options_.worker_id ||
          available_keys.count(lease->key) != 0) {
        it = requested_handoffs_.erase(it);  // released, taken, or gone
        continue;
      }
      if (now - it->second >= 2 * options_.failover_millis) {
        to_take.push_back(lease);  // the owner would not let go: take it by force
        it = requested_handoffs_.erase(it);
      } else {
        --shortfall;
        ++it;
      }
    }
  }
  {
    absl::MutexLock lock(&mu_);
    // Forget a hand-over once someone has taken the lease since, or after a failover time.
    for (const lease::Lease& lease : *all) {
      auto it = handed_over_.find(lease.key);
      if (it != handed_over_.end() && (!lease.owner.empty() || lease.epoch > it->second.epoch)) {
        handed_over_.erase(it);
      }
    }
    for (auto it = handed_over_.begin(); it != handed_over_.end();) {
      it = now - it->second.millis >= options_.failover_millis ? handed_over_.erase(it)
                                                               : std::next(it);
    }
    for (const lease::Lease* lease : available) {
      if (handed_over_.count(lease->key) != 0) continue;  // the asker's to take
      // A lease nobody has taken for a failover time past when it became free is
      // orphaned — its share belongs to workers that cannot take it (capped by
      // max_leases_for_worker, say): taken beyond the target, so no shard goes unprocessed.
      // Balancing moves it later if someone has room.
      const int64_t free_for = now - observed_[lease->key].seen_change_millis;
      const bool orphaned = free_for >= (lease->owner.empty() ? 1 : 2) * options_.failover_millis;
      const int holding = mine + static_cast<int>(to_take.size());
      if (shortfall > 0) {
        to_take.push_back(lease);
        --shortfall;
      } else if (orphaned && holding < options_.max_leases_for_worker) {
        to_take.push_back(lease);
      } else {
        spare.push_back(lease);
      }
    }
  }
  if (shortfall > 0 && to_take.empty()) {
    // Nothing free: ask the most loaded worker to hand one over, if it has more than its
    // share.
    const std::vector<const lease::Lease*>* most = nullptr;
    for (const auto& [owner, leases] : by_owner) {
      if (owner != options_.worker_id && (most == nullptr || leases.size() > most->size())) {
        most = &leases;
      }
    }
    // As the KCL: steal from a worker above its share; or, when this worker is two or more
    // short, from one exactly at it (2/2/0 becomes 2/1/1, not left as it is).
    const int most_held = most == nullptr ? 0 : static_cast<int>(most->size());
    if (most != nullptr && (most_held > target || (shortfall >= 2 && most_held == target))) {
      const int steal =
          std::min({shortfall, std::max(1, most_held - target), options_.max_leases_to_steal});
      int asked = 0;
      for (const lease::Lease* lease : *most) {
        if (asked >= std::max(1, steal)) break;
        if (lease->handoff_to == options_.worker_id) continue;
        absl::StatusOr<bool> won =
            table_.RequestHandoff(lease->key, lease->owner, options_.worker_id);
        if (won.ok() && *won) {
          absl::MutexLock lock(&mu_);
          requested_handoffs_[lease->key] = now;
          ++asked;
        }
      }
    }
  }

  std::vector<std::string> taken;
  size_t next_spare = 0;
  for (size_t i = 0; i < to_take.size(); ++i) {
    // A pass never runs long (a slow coordinator): renewals come first.
    if (clock_.NowMillis() - now > options_.failover_millis / 3) break;
    const lease::Lease* lease = to_take[i];
    absl::StatusOr<bool> won = table_.Take(lease->key, lease->counter, options_.worker_id);
    if (!won.ok() || !*won) {
      // Another worker was quicker. Workers told at once that leases are free all start
      // with the oldest: try the next free one now rather than at the next pass.
      if (next_spare < spare.size()) to_take.push_back(spare[next_spare++]);
      continue;
    }
    HeldLease held{*lease, checkpoint::Ownership{options_.worker_id, lease->epoch + 1}, now};
    held.lease.owner = options_.worker_id;
    ++held.lease.counter;
    ++held.lease.epoch;
    absl::MutexLock lock(&mu_);
    held_[lease->key] = held;
    observed_[lease->key] = Observation{held.lease.counter, now};
    taken.push_back(lease->key);
  }
  return taken;
}

absl::Status LeaseCoordinator::Release(const std::string& key, bool handed_over) {
  {
    absl::MutexLock lock(&mu_);
    auto it = held_.find(key);
    if (it == held_.end()) return absl::OkStatus();
    // Evict bumps the epoch once; any take after it bumps it again.
    if (handed_over)
      handed_over_[key] = HandedOver{clock_.NowMillis(), it->second.ownership.epoch + 1};
    held_.erase(it);
  }
  absl::StatusOr<bool> evicted = table_.Evict(key, options_.worker_id);
  return evicted.status();
}

}  // namespace eddy::kcl::internal
