#pragma once
// LeaseCoordinator: one worker's side of the lease protocol (DESIGN.md, Coordination) —
// which leases it holds, renewing them, and taking its share of the others.
//
// Expiry is judged only on this worker's own clock: a lease whose counter has not moved
// for a failover time, by local observation, is expired (no wall-clock time is stored in
// the table, so clocks of different hosts never need to agree). Each taking pass aims at
// ceil(leases / live workers) (capped by max_leases_for_worker): expired or free leases
// first, oldest first; when none are left and the worker is still short, it steals from the
// most loaded worker, at most max_leases_to_steal per pass. A lease left free for a
// failover time beyond when it became takeable (its fair taker is capped by
// max_leases_for_worker) is taken even beyond the target, so no shard goes unprocessed.
// Leases checkpointed at SHARD_END are finished work: never taken, not counted.
//
// Stealing is a graceful hand-off: the stealer asks the owner (RequestHandoff), the owner's
// processor gets ShutdownRequested and may checkpoint, then the owner releases the lease
// and the stealer takes it on its next pass. An owner that does not let go within two
// failover times loses the lease by force.
//
// The passes are driven by the caller (the scheduler's timers, or a test with a fake
// clock). Thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "checkpoint/checkpoint_store.h"
#include "common/clock.h"
#include "lease/lease_table.h"

namespace eddy::kcl::internal {

struct LeaseCoordinatorOptions {
  std::string worker_id;
  // A lease whose counter has not moved for this long is expired. Renewals happen every
  // failover / 3.
  int64_t failover_millis = 10'000;
  int max_leases_for_worker = 1 << 30;
  int max_leases_to_steal = 1;
};

// A lease this worker holds, with the ownership its checkpoints are fenced on.
struct HeldLease {
  lease::Lease lease;
  checkpoint::Ownership ownership;
  int64_t last_renewed_millis = 0;  // local clock
};

// The part of the failover time a held lease is not trusted for: it covers clock rates
// differing between hosts and the time from the check to the batch it admits.
int64_t FreshnessMarginMillis(int64_t failover_millis);

class LeaseCoordinator {
 public:
  // `table` and `clock` must outlive the coordinator.
  LeaseCoordinator(lease::LeaseTable& table, const common::Clock& clock,
                   LeaseCoordinatorOptions options);

  // Renews every held lease; returns the keys of those lost (taken by others, or not
  // renewed within a failover time). Storage errors keep the lease until it expires.
  std::vector<std::string> RenewAll();

  // Scans the table and takes this worker's share; returns the keys taken.
  absl::StatusOr<std::vector<std::string>> TakeLeases();

  // Keys of held leases another worker asked this one to hand over (seen by the last
  // TakeLeases pass).
  std::vector<std::string> HandoffRequests() const;

  // Gives a held lease up at once (graceful shutdown, hand-over): the next taker does not
  // wait for it to expire. A lease `handed_over` to a worker that asked for it is not taken
  // back by this worker for a failover time — the asker gets it, not whoever passes first.
  absl::Status Release(const std::string& key, bool handed_over = false);

  // Forgets every held lease without touching the table (the coordinator already freed
  // them: this worker's session broke). Returns their keys.
  std::vector<std::string> DropAll();

  std::vector<HeldLease> Held() const;
  std::optional<HeldLease> Find(const std::string& key) const;
  // Whether this worker holds `key` in ownership `epoch`, renewed within the failover time
  // less a safety margin (FreshnessMarginMillis) by the local clock. A shard consumer checks
  // this before each batch, so a worker whose renewals stall (a frozen coordinator, a
  // cut-off network, a process stopped and resumed) stops delivering before any other
  // worker can see the lease expired.
  bool HoldsFresh(const std::string& key, uint64_t epoch) const;
  const std::string& worker_id() const { return options_.worker_id; }

 private:
  struct Observation {
    uint64_t counter = 0;
    int64_t seen_change_millis = 0;
  };

  lease::LeaseTable& table_;
  const common::Clock& clock_;
  const LeaseCoordinatorOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, HeldLease> held_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Observation> observed_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> handoff_requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> requested_handoffs_ ABSL_GUARDED_BY(mu_);  // key → since
  struct HandedOver {
    int64_t millis = 0;
    uint64_t epoch = 0;  // the lease's epoch right after the release
  };
  std::map<std::string, HandedOver> handed_over_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::kcl::internal
