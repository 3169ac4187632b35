#pragma once
// LeaseTable and CheckpointStore views of a multi-application store, bound to one
// application: thin adapters over a store with CoordinatorStore's operations (the embedded
// RocksDB store, the etcd coordinator). The store must outlive its views.

#include <string>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint_store.h"
#include "lease/lease_table.h"

namespace eddy::lease {

template <typename Store>
class LeaseTableView final : public LeaseTable {
 public:
  LeaseTableView(Store& store, std::string app) : store_(store), app_(std::move(app)) {}
  const std::string& application() const override { return app_; }
  absl::StatusOr<bool> CreateIfAbsent(const Lease& lease) override {
    return store_.CreateIfAbsent(app_, lease);
  }
  absl::StatusOr<std::optional<Lease>> Get(const std::string& key) override {
    return store_.Get(app_, key);
  }
  absl::StatusOr<std::vector<Lease>> List() override { return store_.List(app_); }
  absl::StatusOr<bool> Take(const std::string& key, uint64_t counter,
                            const std::string& owner) override {
    return store_.Take(app_, key, counter, owner);
  }
  absl::StatusOr<bool> Renew(const std::string& key, const std::string& owner,
                             uint64_t counter) override {
    return store_.Renew(app_, key, owner, counter);
  }
  absl::StatusOr<bool> Evict(const std::string& key, const std::string& owner) override {
    return store_.Evict(app_, key, owner);
  }
  absl::StatusOr<bool> UpdateLineage(const std::string& key, const std::string& owner,
                                     const std::vector<std::string>& children) override {
    return store_.UpdateLineage(app_, key, owner, children);
  }
  absl::StatusOr<bool> RequestHandoff(const std::string& key, const std::string& owner,
                                      const std::string& requester) override {
    return store_.RequestHandoff(app_, key, owner, requester);
  }
  absl::StatusOr<bool> Delete(const std::string& key) override { return store_.Delete(app_, key); }

 private:
  Store& store_;
  const std::string app_;
};

template <typename Store>
class CheckpointView final : public checkpoint::CheckpointStore {
 public:
  CheckpointView(Store& store, std::string app) : store_(store), app_(std::move(app)) {}
  absl::StatusOr<checkpoint::CheckpointRecord> Read(const std::string& shard) override {
    return store_.ReadCheckpoint(app_, shard);
  }
  absl::StatusOr<bool> Save(const std::string& shard, const checkpoint::Ownership& ownership,
                            const checkpoint::ExtendedSequenceNumber& value,
                            const std::string& state) override {
    return store_.SaveCheckpoint(app_, shard, ownership, value, state);
  }
  absl::StatusOr<bool> Prepare(const std::string& shard, const checkpoint::Ownership& ownership,
                               const checkpoint::ExtendedSequenceNumber& pending,
                               const std::string& state) override {
    return store_.PrepareCheckpoint(app_, shard, ownership, pending, state);
  }
  absl::StatusOr<bool> Commit(const std::string& shard,
                              const checkpoint::Ownership& ownership) override {
    return store_.CommitCheckpoint(app_, shard, ownership);
  }

 private:
  Store& store_;
  const std::string app_;
};

}  // namespace eddy::lease
