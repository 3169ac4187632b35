#pragma once
// The conditions and effects of every LeaseTable and CheckpointStore mutation (the table in
// lease/lease_table.h), as changes to one lease held in memory. Every backend runs them
// inside its own compare-and-set — a mutex over RocksDB, a revision-compared etcd Txn — so
// all backends decide every race and every bad input alike.
//
// A change edits the lease (nullopt: absent, or to be deleted) and returns whether its
// condition held; only then is the edit written. Input is checked when the change is made:
// an InvalidArgument there means nothing was read or written.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "checkpoint/checkpoint_store.h"
#include "lease/lease.h"

namespace eddy::lease {

using LeaseChange = std::function<absl::StatusOr<bool>(std::optional<Lease>& lease)>;

absl::StatusOr<LeaseChange> CreateIfAbsentChange(const Lease& lease);
absl::StatusOr<LeaseChange> TakeChange(uint64_t expected_counter, const std::string& new_owner);
absl::StatusOr<LeaseChange> RenewChange(const std::string& expected_owner,
                                        uint64_t expected_counter);
// With `expected_epoch`, only that ownership is evicted.
absl::StatusOr<LeaseChange> EvictChange(const std::string& expected_owner,
                                        std::optional<uint64_t> expected_epoch = std::nullopt);
absl::StatusOr<LeaseChange> LineageChange(const std::string& expected_owner,
                                          const std::vector<std::string>& child_shard_ids);
absl::StatusOr<LeaseChange> HandoffChange(const std::string& expected_owner,
                                          const std::string& requester);
LeaseChange DeleteChange();
absl::StatusOr<LeaseChange> SaveCheckpointChange(const checkpoint::Ownership& ownership,
                                                 const checkpoint::ExtendedSequenceNumber& value,
                                                 const std::string& state);
absl::StatusOr<LeaseChange> PrepareCheckpointChange(
    const checkpoint::Ownership& ownership, const checkpoint::ExtendedSequenceNumber& pending,
    const std::string& state);
// InvalidArgument (from the change) if the lease has nothing pending.
LeaseChange CommitCheckpointChange(const std::string& key, const checkpoint::Ownership& ownership);

// A read-only change that copies the lease out.
LeaseChange ReadChange(std::optional<Lease>* out);
// The lease's checkpoint; ResourceNotFound naming `app` and `key` if there is no lease.
absl::StatusOr<checkpoint::CheckpointRecord> CheckpointOf(const std::string& app,
                                                          const std::string& key,
                                                          const std::optional<Lease>& lease);

}  // namespace eddy::lease
