// When a child may start: parents at SHARD_END, or gone from the stream — never merely
// missing from the lease table.
#include <gtest/gtest.h>

#include "common/testing/temp_dir.h"
#include "kcl/internal/lineage.h"
#include "lease/coordinator_store.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

class LineageRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*lease::CoordinatorStore::Open(dir_.path() + "/leases"));
    ASSERT_TRUE(*store_->CreateApplication("app"));
    table_ = store_->Leases("app");
  }
  void AddLease(const std::string& key, ExtendedSequenceNumber checkpoint) {
    lease::Lease lease;
    lease.key = key;
    lease.checkpoint = checkpoint;
    ASSERT_TRUE(*table_->CreateIfAbsent(lease));
  }
  bool Finished(const std::vector<std::string>& parents, const ListedShards* listed) {
    absl::StatusOr<bool> finished = ParentsFinished(*table_, "C", parents, listed);
    EXPECT_TRUE(finished.ok()) << finished.status();
    return finished.ok() && *finished;
  }

  common::testing::TempDir dir_;
  std::unique_ptr<lease::CoordinatorStore> store_;
  std::unique_ptr<lease::LeaseTable> table_;
};

TEST_F(LineageRulesTest, AParentIsFinishedAtShardEndOnly) {
  AddLease("P", ExtendedSequenceNumber::ShardEnd());
  AddLease("Q", *ExtendedSequenceNumber::Of("12"));
  ListedShards listed;
  listed.Set({"P", "Q"});
  EXPECT_TRUE(Finished({"P"}, &listed));
  EXPECT_FALSE(Finished({"P", "Q"}, &listed));
}

TEST_F(LineageRulesTest, AParentWithoutALeaseIsFinishedOnlyOnceTheStreamNoLongerListsIt) {
  ListedShards listed;
  EXPECT_FALSE(Finished({"P"}, &listed)) << "no listing yet: not finished";
  EXPECT_FALSE(Finished({"P"}, nullptr));
  listed.Set({"P", "C"});
  EXPECT_FALSE(Finished({"P"}, &listed)) << "listed, lease still to come: not finished";
  listed.Set({"C"});
  EXPECT_TRUE(Finished({"P"}, &listed)) << "expired and gone: nothing left of it";
  listed.Set({"X"});
  EXPECT_FALSE(Finished({"P"}, &listed))
      << "a listing from before the child was born says nothing about its parents";
}

TEST_F(LineageRulesTest, AChildLeaseComesOnlyWhenEveryParentIsFinishedAndNamesThoseWithLeases) {
  AddLease("A", ExtendedSequenceNumber::ShardEnd());
  ListedShards listed;
  listed.Set({"A", "B", "M"});
  const ChildShardInfo merged{"M", {"A", "B"}, common::HashKeyRange{0, 100}};
  EXPECT_FALSE(*CreateChildLeaseIfParentsFinished(*table_, merged, &listed));
  EXPECT_FALSE((*table_->Get("M")).has_value()) << "B has no lease yet";
  AddLease("B", ExtendedSequenceNumber::ShardEnd());
  EXPECT_TRUE(*CreateChildLeaseIfParentsFinished(*table_, merged, &listed));
  const lease::Lease child = **table_->Get("M");
  EXPECT_EQ(child.checkpoint, ExtendedSequenceNumber::TrimHorizon());
  EXPECT_EQ(child.parent_shard_ids, (std::vector<std::string>{"A", "B"}));
}

}  // namespace
}  // namespace eddy::kcl::internal
