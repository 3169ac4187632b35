#pragma once
// CoordinatorStore: the lease tables and checkpoints of every consumer application, kept
// in RocksDB — either a database of its own (embedded: one process) or a key range inside
// the broker's database (served to workers everywhere by the broker's CoordinatorService).
//
// Every mutation is a read-compare-write under one mutex and is synced to the WAL before it
// returns, so an acknowledged change survives a crash. Applications are namespaced: keys
// of one never meet another's. An application must be created before its leases are used
// (ResourceNotFound otherwise), as the KCL creates its lease table first.
//
// Lifecycle: Open()/OverDatabase(); the views from Leases()/Checkpoints() must not outlive
// the store. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "checkpoint/checkpoint_store.h"
#include "lease/lease.h"
#include "lease/lease_table.h"

namespace rocksdb {
class DB;
}

namespace eddy::lease {

class CoordinatorStore {
 public:
  // A database of its own at `path` (created if missing).
  static absl::StatusOr<std::unique_ptr<CoordinatorStore>> Open(const std::string& path);
  // Keys under `prefix` inside `db`, which must outlive the store.
  static std::unique_ptr<CoordinatorStore> OverDatabase(rocksdb::DB* db, std::string prefix);
  ~CoordinatorStore();

  // Creates the application's (empty) lease table; returns false if it existed.
  absl::StatusOr<bool> CreateApplication(const std::string& application);
  // Deletes the application and every lease it has; false if it did not exist.
  absl::StatusOr<bool> DeleteApplication(const std::string& application);
  absl::StatusOr<std::vector<std::string>> ListApplications();

  // Views bound to one application.
  std::unique_ptr<LeaseTable> Leases(const std::string& application);
  std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(const std::string& application);

  // The operations behind the views (LeaseTable / CheckpointStore document them).
  absl::StatusOr<bool> CreateIfAbsent(const std::string& app, const Lease& lease);
  absl::StatusOr<std::optional<Lease>> Get(const std::string& app, const std::string& key);
  absl::StatusOr<std::vector<Lease>> List(const std::string& app);
  absl::StatusOr<bool> Take(const std::string& app, const std::string& key,
                            uint64_t expected_counter, const std::string& new_owner);
  absl::StatusOr<bool> Renew(const std::string& app, const std::string& key,
                             const std::string& expected_owner, uint64_t expected_counter);
  // With `expected_epoch`, only that ownership is evicted (a session that broke frees the
  // leases its worker held then, never ones the worker has taken again since).
  absl::StatusOr<bool> Evict(const std::string& app, const std::string& key,
                             const std::string& expected_owner,
                             std::optional<uint64_t> expected_epoch = std::nullopt);
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

 private:
  CoordinatorStore(rocksdb::DB* db, std::unique_ptr<rocksdb::DB> owned, std::string prefix);

  // Reads the lease under the lock, lets `change` edit it (returning whether the condition
  // held), and writes it back durably when it did. ResourceNotFound for an unknown app.
  using Change = std::function<absl::StatusOr<bool>(std::optional<Lease>& lease)>;
  absl::StatusOr<bool> Mutate(const std::string& app, const std::string& key, const Change& change);
  absl::StatusOr<bool> Apply(const std::string& app, const std::string& key,
                             const absl::StatusOr<Change>& change);
  absl::Status CheckApplicationLocked(const std::string& app) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string AppKey(const std::string& app) const;
  std::string LeaseKey(const std::string& app, const std::string& key) const;

  std::unique_ptr<rocksdb::DB> owned_;
  rocksdb::DB* const db_;
  const std::string prefix_;
  absl::Mutex mu_;
};

// Checks an application name: 1–128 characters of [a-zA-Z0-9_.-].
absl::Status ValidateApplicationName(const std::string& application);
// Checks a lease key: 1–256 bytes, no control characters.
absl::Status ValidateLeaseKey(const std::string& key);

}  // namespace eddy::lease
