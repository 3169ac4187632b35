#include "kcl/internal/shard_checkpointer.h"

#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/testing/temp_dir.h"
#include "lease/coordinator_store.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

class ShardCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*lease::CoordinatorStore::Open(dir_.path() + "/leases"));
    ASSERT_TRUE(*store_->CreateApplication("app"));
    table_ = store_->Leases("app");
    checkpoints_ = store_->Checkpoints("app");
    lease::Lease lease;
    lease.key = "shard";
    ASSERT_TRUE(*table_->CreateIfAbsent(lease));
    ASSERT_TRUE(*table_->Take("shard", 0, "w"));
    checkpointer_ = std::make_unique<ShardCheckpointer>(
        *checkpoints_, "shard", checkpoint::Ownership{"w", 1}, ExtendedSequenceNumber());
  }

  ExtendedSequenceNumber Stored() { return checkpoints_->Read("shard")->checkpoint; }

  common::testing::TempDir dir_;
  std::unique_ptr<lease::CoordinatorStore> store_;
  std::unique_ptr<lease::LeaseTable> table_;
  std::unique_ptr<checkpoint::CheckpointStore> checkpoints_;
  std::unique_ptr<ShardCheckpointer> checkpointer_;
};

TEST_F(ShardCheckpointerTest, CheckpointsTheLargestDelivered) {
  checkpointer_->SetLargestDelivered(*ExtendedSequenceNumber::Of("500"));
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  EXPECT_EQ(Stored().ToString(), "500");
  EXPECT_TRUE(checkpointer_->Checkpoint().ok()) << "the same value again is a no-op";
}

TEST_F(ShardCheckpointerTest, RefusesValuesOutsideTheWindow) {
  checkpointer_->SetLargestDelivered(*ExtendedSequenceNumber::Of("500"));
  ASSERT_TRUE(checkpointer_->CheckpointAt("300", 0).ok());
  absl::Status beyond = checkpointer_->CheckpointAt("501", 0);
  EXPECT_EQ(common::ErrorType(beyond), common::kInvalidArgument);
  EXPECT_NE(beyond.message().find("largest delivered 500"), std::string::npos) << beyond;
  EXPECT_EQ(common::ErrorType(checkpointer_->CheckpointAt("299", 0)), common::kInvalidArgument);
  EXPECT_EQ(common::ErrorType(checkpointer_->CheckpointAt("not-a-number", 0)),
            common::kInvalidArgument);
  EXPECT_EQ(Stored().ToString(), "300");
  EXPECT_TRUE(checkpointer_->CheckpointAt("500", 0).ok());
}

TEST_F(ShardCheckpointerTest, ShardEndCheckpointsShardEnd) {
  checkpointer_->SetLargestDelivered(*ExtendedSequenceNumber::Of("7"));
  checkpointer_->SetShardEnded();
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  EXPECT_EQ(Stored(), ExtendedSequenceNumber::ShardEnd());
}

TEST_F(ShardCheckpointerTest, TwoPhase) {
  checkpointer_->SetLargestDelivered(*ExtendedSequenceNumber::Of("90"));
  ASSERT_TRUE(checkpointer_->Prepare("80", 0, "state").ok());
  EXPECT_EQ(Stored(), ExtendedSequenceNumber::TrimHorizon());
  ASSERT_TRUE(checkpointer_->CommitPending().ok());
  EXPECT_EQ(Stored().ToString(), "80");
  EXPECT_EQ(checkpointer_->last_checkpoint().ToString(), "80");
}

TEST_F(ShardCheckpointerTest, AfterASteal_TheOldOwnerGetsLeaseLost) {
  checkpointer_->SetLargestDelivered(*ExtendedSequenceNumber::Of("100"));
  ASSERT_TRUE(checkpointer_->CheckpointAt("50", 0).ok());
  const lease::Lease current = **table_->Get("shard");
  ASSERT_TRUE(*table_->Take("shard", current.counter, "thief"));
  absl::Status refused = checkpointer_->CheckpointAt("100", 0);
  EXPECT_EQ(common::ErrorType(refused), kLeaseLost);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored().ToString(), "50") << "the new owner's progress is untouched";
  EXPECT_EQ(common::ErrorType(checkpointer_->Checkpoint()), kLeaseLost) << "and it stays lost";
}

}  // namespace
}  // namespace eddy::kcl::internal
