#pragma once
// EtcdCoordinator: the lease tables, fenced checkpoints and worker sessions of every
// consumer application, kept in an etcd cluster (docs/coordination.md has the key layout).
// It behaves as lease::CoordinatorStore and the broker's coordinator do — the one
// conformance suite checks all three — and survives losing a minority of etcd members.
//
// Every mutation is the same rule as the other backends (lease/lease_rules.h) applied to a
// linearizable read, then written by one Txn that compares the revisions it read: the
// application key exists, the lease record's mod_revision, the owner key's mod_revision. A
// Txn that loses its compare is decided again on a fresh read; an ambiguous one
// (UNAVAILABLE, DEADLINE_EXCEEDED) is resolved by reading whether its write landed.
//
// Ownership lives in two keys: the lease record (never attached to an etcd lease: its
// checkpoint must outlive any worker) and an owner key "<owner>/<epoch>" attached to the
// etcd lease of the session of the worker that took it. When a session's etcd lease ends
// (its keepalives stopped for the TTL), etcd deletes its owner keys, and every lease they
// held reads unowned: free to take, and refused to checkpoints of the old ownership.
//
// Thread-safe. One worker session at a time per coordinator: its leases are taken under it.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "checkpoint/checkpoint_store.h"
#include "client/remote_coordinator.h"
#include "coordination/etcd_client.h"
#include "lease/lease.h"
#include "lease/lease_rules.h"
#include "lease/lease_table.h"

namespace eddy::coordination {

struct EtcdCoordinatorOptions {
  EtcdClientOptions client;
  // Every key lives under this prefix.
  std::string prefix = "/eddy/v1";
  // How soon after its last keepalive a crashed worker's leases are free. The session's
  // etcd lease is granted the whole seconds that keep that promise through etcd's 500 ms
  // revoke ticker (TTL − 0.5 s, rounded down), at least etcd's minimum of 2 s — so from
  // 3 s up the promise holds; below, a crash frees leases within 2.5 s.
  int64_t session_ttl_millis = 10'000;
  // Workers (the scheduler): a new ownership is written only under a live session, so
  // that it ends with the session; without one a take fails (retryably). Off for admin
  // tools and tests, whose owner keys are attached to no etcd lease.
  bool require_session = false;
};

class EtcdCoordinator {
 public:
  explicit EtcdCoordinator(EtcdCoordinatorOptions options);
  ~EtcdCoordinator();

  // Creates the application's (empty) lease table; false if it existed.
  absl::StatusOr<bool> CreateApplication(const std::string& application);
  // Deletes the application, its leases and owner keys; false if it did not exist.
  absl::StatusOr<bool> DeleteApplication(const std::string& application);
  absl::StatusOr<std::vector<std::string>> ListApplications();

  // Views bound to one application; they must not outlive the coordinator.
  std::unique_ptr<lease::LeaseTable> Leases(const std::string& application);
  std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(const std::string& application);

  // Opens this worker's session: an etcd lease kept alive every TTL/3, and a watch that
  // announces leases freed (owner keys deleted) or created. It ends when the etcd lease is
  // gone or can no longer be proven alive by the local clock; leases taken while it is
  // live are held under it.
  std::unique_ptr<client::WorkerSession> OpenSession(const std::string& application,
                                                     const std::string& worker);
  // Whether the current session's etcd lease is alive for sure by this host's clock: the
  // last keepalive answered was sent less than the TTL (minus a safety margin) ago. A
  // worker hands batches to its processors only while this holds.
  bool SessionValid() const;

  // The operations behind the views (LeaseTable / CheckpointStore document them).
  absl::StatusOr<bool> CreateIfAbsent(const std::string& app, const lease::Lease& lease);
  absl::StatusOr<std::optional<lease::Lease>> Get(const std::string& app, const std::string& key);
  absl::StatusOr<std::vector<lease::Lease>> List(const std::string& app);
  absl::StatusOr<bool> Take(const std::string& app, const std::string& key,
                            uint64_t expected_counter, const std::string& new_owner);
  absl::StatusOr<bool> Renew(const std::string& app, const std::string& key,
                             const std::string& expected_owner, uint64_t expected_counter);
  absl::StatusOr<bool> Evict(const std::string& app, const std::string& key,
                             const std::string& expected_owner);
  absl::StatusOr<bool> UpdateLineage(const std::string& app, const std::string& key,
                                     const std::string& expected_owner,
                                     const std::vector<std::string>& child_shard_ids);
  absl::StatusOr<bool> RequestHandoff(const std::string& app, const std::string& key,
                                      const std::string& expected_owner,
                                      const std::string& requester);
  absl::StatusOr<bool> Delete(const std::string& app, const std::string& key);
  absl::StatusOr<checkpoint::CheckpointRecord> ReadCheckpoint(const std::string& app,
                                                              const std::string& key);
  absl::StatusOr<bool> SaveCheckpoint(const std::string& app, const std::string& key,
                                      const checkpoint::Ownership& ownership,
                                      const checkpoint::ExtendedSequenceNumber& value,
                                      const std::string& state);
  absl::StatusOr<bool> PrepareCheckpoint(const std::string& app, const std::string& key,
                                         const checkpoint::Ownership& ownership,
                                         const checkpoint::ExtendedSequenceNumber& pending,
                                         const std::string& state);
  absl::StatusOr<bool> CommitCheckpoint(const std::string& app, const std::string& key,
                                        const checkpoint::Ownership& ownership);

  // Keys (docs/coordination.md).
  std::string AppKey(const std::string& app) const;
  std::string RecordPrefix(const std::string& app) const;
  std::string OwnerPrefix(const std::string& app) const;

  EtcdClient& client() { return client_; }
  const EtcdCoordinatorOptions& options() const { return options_; }

  // The session's side (etcd_session.cc): the etcd lease new owner keys attach to (0:
  // none), its granted TTL, and until when (steady clock, ms) it is known alive.
  void AttachSession(int64_t lease_id, int64_t ttl_millis, int64_t valid_until_millis);
  void ExtendSession(int64_t lease_id, int64_t valid_until_millis);
  void DetachSession(int64_t lease_id);

 private:
  // One lease as read at one revision: its record and owner key.
  struct Snapshot {
    std::optional<lease::Lease> lease;  // effective: unowned unless the owner key says so
    std::string record_bytes;
    int64_t record_mod = 0;  // 0: no record
    std::string owner_value;
    int64_t owner_mod = 0;  // 0: no owner key
  };
  // The three reads of a snapshot: the application key, the record, the owner key.
  std::vector<etcdserverpb::RequestOp> SnapshotReads(const std::string& app,
                                                     const std::string& key) const;
  absl::StatusOr<Snapshot> ParseSnapshot(
      const std::string& app,
      const google::protobuf::RepeatedPtrField<etcdserverpb::ResponseOp>& responses);
  absl::StatusOr<Snapshot> Read(const std::string& app, const std::string& key);
  std::optional<Snapshot> Cached(const std::string& app, const std::string& key);
  void Remember(const std::string& app, const std::string& key, const Snapshot& snapshot);
  void Forget(const std::string& app, const std::string& key);
  absl::StatusOr<bool> Apply(const std::string& app, const std::string& key,
                             const absl::StatusOr<lease::LeaseChange>& change);
  absl::StatusOr<bool> Mutate(const std::string& app, const std::string& key,
                              const lease::LeaseChange& change);

  const EtcdCoordinatorOptions options_;
  EtcdClient client_;
  absl::Mutex cache_mu_;
  // The last state seen of each lease, by record key: a compare's expectation (never an
  // answer).
  std::map<std::string, Snapshot> cache_ ABSL_GUARDED_BY(cache_mu_);
  std::atomic<int64_t> session_lease_{0};
  std::atomic<int64_t> session_valid_until_{0};
  std::atomic<int64_t> session_margin_millis_{0};
};

}  // namespace eddy::coordination
