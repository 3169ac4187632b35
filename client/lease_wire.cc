#include "client/lease_wire.h"

#include "common/hash_key.h"

namespace eddy::client {

v1::LeaseRecord LeaseToWire(const lease::Lease& lease) {
  v1::LeaseRecord record;
  record.set_key(lease.key);
  record.set_owner(lease.owner);
  record.set_counter(lease.counter);
  record.set_epoch(lease.epoch);
  record.set_checkpoint(lease.checkpoint.ToString());
  record.set_checkpoint_state(lease.checkpoint_state);
  record.set_has_pending_checkpoint(lease.pending_checkpoint.has_value());
  if (lease.pending_checkpoint) record.set_pending_checkpoint(lease.pending_checkpoint->ToString());
  record.set_pending_checkpoint_state(lease.pending_checkpoint_state);
  for (const std::string& id : lease.parent_shard_ids) record.add_parent_shard_ids(id);
  for (const std::string& id : lease.child_shard_ids) record.add_child_shard_ids(id);
  record.mutable_hash_key_range()->set_starting_hash_key(
      common::FormatUint128(lease.hash_range.start));
  record.mutable_hash_key_range()->set_ending_hash_key(common::FormatUint128(lease.hash_range.end));
  record.set_owner_switches_since_checkpoint(lease.owner_switches_since_checkpoint);
  record.set_handoff_to(lease.handoff_to);
  return record;
}

absl::StatusOr<lease::Lease> LeaseFromWire(const v1::LeaseRecord& record) {
  lease::Lease lease;
  lease.key = record.key();
  lease.owner = record.owner();
  lease.counter = record.counter();
  lease.epoch = record.epoch();
  if (!record.checkpoint().empty()) {
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> position =
        checkpoint::ExtendedSequenceNumber::Parse(record.checkpoint());
    if (!position.ok()) return position.status();
    lease.checkpoint = *position;
  }
  lease.checkpoint_state = record.checkpoint_state();
  if (record.has_pending_checkpoint()) {
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> pending =
        checkpoint::ExtendedSequenceNumber::Parse(record.pending_checkpoint());
    if (!pending.ok()) return pending.status();
    lease.pending_checkpoint = *pending;
  }
  lease.pending_checkpoint_state = record.pending_checkpoint_state();
  lease.parent_shard_ids.assign(record.parent_shard_ids().begin(),
                                record.parent_shard_ids().end());
  lease.child_shard_ids.assign(record.child_shard_ids().begin(), record.child_shard_ids().end());
  if (record.has_hash_key_range()) {
    absl::StatusOr<common::HashKey> start =
        common::ParseHashKey(record.hash_key_range().starting_hash_key(), "StartingHashKey");
    if (!start.ok()) return start.status();
    absl::StatusOr<common::HashKey> end =
        common::ParseHashKey(record.hash_key_range().ending_hash_key(), "EndingHashKey");
    if (!end.ok()) return end.status();
    lease.hash_range = common::HashKeyRange{*start, *end};
  }
  lease.owner_switches_since_checkpoint = record.owner_switches_since_checkpoint();
  lease.handoff_to = record.handoff_to();
  return lease;
}

}  // namespace eddy::client
