#include "lease/lease_rules.h"

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "lease/coordinator_store.h"

namespace eddy::lease {
namespace {

absl::Status ValidateOwner(const std::string& owner, bool may_be_empty) {
  if ((owner.empty() && !may_be_empty) || owner.size() > kMaxOwnerBytes) {
    return common::InvalidArgument(
        absl::StrCat("Invalid owner '", owner.substr(0, 64), "': 1–", kMaxOwnerBytes, " bytes."));
  }
  return absl::OkStatus();
}

absl::Status ValidateState(const std::string& state) {
  if (state.size() > checkpoint::kMaxStateBytes) {
    return common::InvalidArgument(absl::StrCat("Checkpoint state of ", state.size(),
                                                " bytes is over the limit of ",
                                                checkpoint::kMaxStateBytes, "."));
  }
  return absl::OkStatus();
}

bool Holds(const std::optional<Lease>& lease, const checkpoint::Ownership& ownership) {
  return lease.has_value() && !ownership.owner.empty() && lease->owner == ownership.owner &&
         lease->epoch == ownership.epoch;
}

}  // namespace

absl::StatusOr<LeaseChange> CreateIfAbsentChange(const Lease& lease) {
  if (absl::Status s = ValidateOwner(lease.owner, /*may_be_empty=*/true); !s.ok()) return s;
  if (absl::Status s = ValidateState(lease.checkpoint_state); !s.ok()) return s;
  if (lease.parent_shard_ids.size() > kMaxLineageEntries ||
      lease.child_shard_ids.size() > kMaxLineageEntries) {
    return common::InvalidArgument("A lease has at most two parents and two children.");
  }
  for (const auto* ids : {&lease.parent_shard_ids, &lease.child_shard_ids}) {
    for (const std::string& id : *ids) {
      if (absl::Status s = ValidateLeaseKey(id); !s.ok()) return s;
    }
  }
  return LeaseChange([lease](std::optional<Lease>& current) -> absl::StatusOr<bool> {
    if (current.has_value()) return false;
    current = lease;
    return true;
  });
}

absl::StatusOr<LeaseChange> TakeChange(uint64_t expected_counter, const std::string& new_owner) {
  if (absl::Status s = ValidateOwner(new_owner, false); !s.ok()) return s;
  return LeaseChange([=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!lease.has_value() || lease->counter != expected_counter) return false;
    if (lease->owner != new_owner) ++lease->owner_switches_since_checkpoint;
    lease->owner = new_owner;
    lease->handoff_to.clear();
    ++lease->counter;
    ++lease->epoch;
    return true;
  });
}

absl::StatusOr<LeaseChange> RenewChange(const std::string& expected_owner,
                                        uint64_t expected_counter) {
  if (absl::Status s = ValidateOwner(expected_owner, false); !s.ok()) return s;
  return LeaseChange([=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!lease.has_value() || lease->owner != expected_owner ||
        lease->counter != expected_counter) {
      return false;
    }
    ++lease->counter;
    return true;
  });
}

absl::StatusOr<LeaseChange> EvictChange(const std::string& expected_owner,
                                        std::optional<uint64_t> expected_epoch) {
  if (absl::Status s = ValidateOwner(expected_owner, false); !s.ok()) return s;
  return LeaseChange([=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!lease.has_value() || lease->owner != expected_owner) return false;
    if (expected_epoch.has_value() && lease->epoch != *expected_epoch) return false;
    lease->owner.clear();
    lease->handoff_to.clear();
    ++lease->counter;
    ++lease->epoch;
    return true;
  });
}

absl::StatusOr<LeaseChange> LineageChange(const std::string& expected_owner,
                                          const std::vector<std::string>& children) {
  if (absl::Status s = ValidateOwner(expected_owner, true); !s.ok()) return s;
  if (children.size() > kMaxLineageEntries) {
    return common::InvalidArgument("A lease has at most two child shards.");
  }
  for (const std::string& child : children) {
    if (absl::Status s = ValidateLeaseKey(child); !s.ok()) return s;
  }
  return LeaseChange([=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!lease.has_value() || lease->owner != expected_owner) return false;
    lease->child_shard_ids = children;
    return true;
  });
}

absl::StatusOr<LeaseChange> HandoffChange(const std::string& expected_owner,
                                          const std::string& requester) {
  if (absl::Status s = ValidateOwner(expected_owner, false); !s.ok()) return s;
  if (absl::Status s = ValidateOwner(requester, false); !s.ok()) return s;
  return LeaseChange([=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!lease.has_value() || lease->owner != expected_owner) return false;
    lease->handoff_to = requester;
    return true;
  });
}

LeaseChange DeleteChange() {
  return [](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!lease.has_value()) return false;
    lease.reset();
    return true;
  };
}

absl::StatusOr<LeaseChange> SaveCheckpointChange(const checkpoint::Ownership& ownership,
                                                 const checkpoint::ExtendedSequenceNumber& value,
                                                 const std::string& state) {
  if (absl::Status s = ValidateState(state); !s.ok()) return s;
  return LeaseChange([=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!Holds(lease, ownership)) return false;
    lease->checkpoint = value;
    lease->checkpoint_state = state;
    lease->pending_checkpoint.reset();
    lease->pending_checkpoint_state.clear();
    lease->owner_switches_since_checkpoint = 0;
    return true;
  });
}

absl::StatusOr<LeaseChange> PrepareCheckpointChange(
    const checkpoint::Ownership& ownership, const checkpoint::ExtendedSequenceNumber& pending,
    const std::string& state) {
  if (absl::Status s = ValidateState(state); !s.ok()) return s;
  return LeaseChange([=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!Holds(lease, ownership)) return false;
    lease->pending_checkpoint = pending;
    lease->pending_checkpoint_state = state;
    return true;
  });
}

LeaseChange CommitCheckpointChange(const std::string& key, const checkpoint::Ownership& ownership) {
  return [=](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    if (!Holds(lease, ownership)) return false;
    if (!lease->pending_checkpoint.has_value()) {
      return common::InvalidArgument(
          absl::StrCat("No pending checkpoint for ", key, " to commit."));
    }
    lease->checkpoint = *lease->pending_checkpoint;
    lease->checkpoint_state = lease->pending_checkpoint_state;
    lease->pending_checkpoint.reset();
    lease->pending_checkpoint_state.clear();
    lease->owner_switches_since_checkpoint = 0;
    return true;
  };
}

LeaseChange ReadChange(std::optional<Lease>* out) {
  return [out](std::optional<Lease>& lease) -> absl::StatusOr<bool> {
    *out = lease;
    return false;  // read only
  };
}

absl::StatusOr<checkpoint::CheckpointRecord> CheckpointOf(const std::string& app,
                                                          const std::string& key,
                                                          const std::optional<Lease>& lease) {
  if (!lease.has_value()) {
    return common::ResourceNotFound(
        absl::StrCat("Application ", app, " has no lease for ", key, "."));
  }
  return checkpoint::CheckpointRecord{lease->checkpoint, lease->checkpoint_state,
                                      lease->pending_checkpoint, lease->pending_checkpoint_state};
}

}  // namespace eddy::lease
