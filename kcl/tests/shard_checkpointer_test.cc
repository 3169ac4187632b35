#include "kcl/internal/shard_checkpointer.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "common/errors.h"
#include "common/testing/temp_dir.h"
#include "lease/coordinator_store.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

ExtendedSequenceNumber Seq(const std::string& sequence) {
  return *ExtendedSequenceNumber::Of(sequence);
}

// A CheckpointStore passing everything to `inner`: the decorators below change one call.
class ForwardingStore : public checkpoint::CheckpointStore {
 public:
  explicit ForwardingStore(checkpoint::CheckpointStore& inner) : inner_(inner) {}
  absl::StatusOr<checkpoint::CheckpointRecord> Read(const std::string& shard) override {
    return inner_.Read(shard);
  }
  absl::StatusOr<bool> Save(const std::string& shard, const checkpoint::Ownership& ownership,
                            const ExtendedSequenceNumber& value,
                            const std::string& state) override {
    return inner_.Save(shard, ownership, value, state);
  }
  absl::StatusOr<bool> Prepare(const std::string& shard, const checkpoint::Ownership& ownership,
                               const ExtendedSequenceNumber& value,
                               const std::string& state) override {
    return inner_.Prepare(shard, ownership, value, state);
  }
  absl::StatusOr<bool> Commit(const std::string& shard,
                              const checkpoint::Ownership& ownership) override {
    return inner_.Commit(shard, ownership);
  }

 private:
  checkpoint::CheckpointStore& inner_;
};

// A CheckpointStore whose Save of one chosen value blocks until released: two writes in
// flight at once, landing in the order the test chooses.
class BlockingSaves final : public ForwardingStore {
 public:
  BlockingSaves(checkpoint::CheckpointStore& inner, ExtendedSequenceNumber blocked)
      : ForwardingStore(inner), blocked_(blocked) {}
  absl::StatusOr<bool> Save(const std::string& shard, const checkpoint::Ownership& ownership,
                            const ExtendedSequenceNumber& value,
                            const std::string& state) override {
    if (value == blocked_) {
      entered.Notify();
      release.WaitForNotification();
    }
    return ForwardingStore::Save(shard, ownership, value, state);
  }
  absl::Notification entered;
  absl::Notification release;

 private:
  const ExtendedSequenceNumber blocked_;
};

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
    checkpointer_ = Make(ExtendedSequenceNumber());
  }

  std::unique_ptr<ShardCheckpointer> Make(
      ExtendedSequenceNumber last, std::optional<ExtendedSequenceNumber> pending = std::nullopt,
      checkpoint::CheckpointStore* store = nullptr) {
    return std::make_unique<ShardCheckpointer>(store != nullptr ? *store : *checkpoints_, "shard",
                                               checkpoint::Ownership{"w", 1}, last, pending);
  }

  // A ProcessRecords call of a batch ending at `last` that returns normally.
  void Processed(const std::string& last) {
    checkpointer_->BeginBatch(Seq(last));
    ASSERT_TRUE(checkpointer_->EndBatch(true).ok());
  }

  ExtendedSequenceNumber Stored() { return checkpoints_->Read("shard")->checkpoint; }

  common::testing::TempDir dir_;
  std::unique_ptr<lease::CoordinatorStore> store_;
  std::unique_ptr<lease::LeaseTable> table_;
  std::unique_ptr<checkpoint::CheckpointStore> checkpoints_;
  std::unique_ptr<ShardCheckpointer> checkpointer_;
};

TEST_F(ShardCheckpointerTest, CheckpointCoversWhatWasProcessed) {
  Processed("500");
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  EXPECT_EQ(Stored().ToString(), "500");
  EXPECT_TRUE(checkpointer_->Checkpoint().ok()) << "the same value again is a no-op";
}

TEST_F(ShardCheckpointerTest, AFailedBatchIsNeverCoveredByAnImplicitCheckpoint) {
  Processed("100");
  checkpointer_->BeginBatch(Seq("500"));
  ASSERT_TRUE(checkpointer_->EndBatch(false).ok());  // ProcessRecords threw
  // A shutdown (or hand-off) right now: ShutdownRequested checkpoints.
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  EXPECT_EQ(Stored().ToString(), "100") << "the failed batch was recorded as done";
}

TEST_F(ShardCheckpointerTest, CheckpointInsideProcessRecordsWaitsForItToReturnNormally) {
  checkpointer_->BeginBatch(Seq("500"));
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  EXPECT_EQ(Stored(), ExtendedSequenceNumber::TrimHorizon()) << "not before the call returns";
  ASSERT_TRUE(checkpointer_->EndBatch(true).ok());
  EXPECT_EQ(Stored().ToString(), "500");

  checkpointer_->BeginBatch(Seq("900"));
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  ASSERT_TRUE(checkpointer_->EndBatch(false).ok());  // then it threw
  EXPECT_EQ(Stored().ToString(), "500") << "a call that threw checkpoints nothing implicitly";
}

TEST_F(ShardCheckpointerTest, AnExplicitCheckpointInsideAFailedCallStandsAndIsNotUndone) {
  Processed("100");
  checkpointer_->BeginBatch(Seq("500"));
  ASSERT_TRUE(checkpointer_->CheckpointAt("300", 0).ok()) << "explicit: written at once";
  EXPECT_EQ(Stored().ToString(), "300");
  ASSERT_TRUE(checkpointer_->EndBatch(false).ok());
  ASSERT_TRUE(checkpointer_->Checkpoint().ok()) << "implicit, behind the explicit one: no-op";
  EXPECT_EQ(Stored().ToString(), "300");
  EXPECT_EQ(checkpointer_->last_checkpoint().ToString(), "300");
}

TEST_F(ShardCheckpointerTest, RefusesValuesOutsideTheWindow) {
  Processed("500");
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

TEST_F(ShardCheckpointerTest, ShardEndOnlyOnceTheShardEndedWithEverythingProcessed) {
  Processed("7");
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  EXPECT_EQ(Stored().ToString(), "7") << "no SHARD_END before the consumer says so";
  checkpointer_->SetShardEnded();
  ASSERT_TRUE(checkpointer_->Checkpoint().ok());
  EXPECT_EQ(Stored(), ExtendedSequenceNumber::ShardEnd());
}

TEST_F(ShardCheckpointerTest, TwoPhase) {
  Processed("90");
  ASSERT_TRUE(checkpointer_->Prepare("80", 0, "state").ok());
  EXPECT_EQ(Stored(), ExtendedSequenceNumber::TrimHorizon());
  ASSERT_TRUE(checkpointer_->CommitPending().ok());
  EXPECT_EQ(Stored().ToString(), "80");
  EXPECT_EQ(checkpointer_->last_checkpoint().ToString(), "80");
  EXPECT_EQ(common::ErrorType(checkpointer_->CommitPending()), common::kInvalidArgument)
      << "nothing is pending any more";
}

TEST_F(ShardCheckpointerTest, CommittingAPendingCheckpointFromTheLeaseMovesLastCheckpoint) {
  // An earlier ownership prepared 80; this one starts with it pending (Initialize's
  // pending_checkpoint) and commits it without a Prepare of its own.
  const lease::Lease current = **table_->Get("shard");
  ASSERT_TRUE(*checkpoints_->Prepare("shard", {"w", current.epoch}, Seq("80"), "state"));
  checkpointer_ = Make(ExtendedSequenceNumber(), Seq("80"));
  ASSERT_TRUE(checkpointer_->CommitPending().ok());
  EXPECT_EQ(Stored().ToString(), "80");
  EXPECT_EQ(checkpointer_->last_checkpoint().ToString(), "80");
  EXPECT_EQ(common::ErrorType(checkpointer_->CheckpointAt("70", 0)), common::kInvalidArgument)
      << "the window starts at the committed checkpoint";
}

TEST_F(ShardCheckpointerTest, ConcurrentCheckpointsNeverLeaveTheStoredOneBehind) {
  BlockingSaves blocking(*checkpoints_, Seq("10"));
  checkpointer_ = Make(ExtendedSequenceNumber(), std::nullopt, &blocking);
  Processed("20");
  std::thread first([&] { EXPECT_TRUE(checkpointer_->CheckpointAt("10", 0).ok()); });
  blocking.entered.WaitForNotification();  // the write of 10 is in flight
  absl::Notification second_done;
  std::thread second([&] {
    // 20 is accepted (it is ahead of the last checkpoint) but must land after 10.
    EXPECT_TRUE(checkpointer_->CheckpointAt("20", 0).ok());
    second_done.Notify();
  });
  // While 10 is in flight, 20 cannot complete (it would land first and be overwritten).
  EXPECT_FALSE(second_done.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  blocking.release.Notify();
  first.join();
  second.join();
  EXPECT_EQ(Stored().ToString(), "20");
  EXPECT_EQ(checkpointer_->last_checkpoint().ToString(), "20");
}

// A CheckpointStore whose next Save lands but answers DEADLINE_EXCEEDED, as a call that
// timed out after the coordinator applied it does.
class LandsButTimesOut final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::StatusOr<bool> Save(const std::string& shard, const checkpoint::Ownership& ownership,
                            const ExtendedSequenceNumber& value,
                            const std::string& state) override {
    absl::StatusOr<bool> won = ForwardingStore::Save(shard, ownership, value, state);
    if (time_out_next) {
      time_out_next = false;
      return absl::DeadlineExceededError("timed out (but applied)");
    }
    return won;
  }
  bool time_out_next = false;
};

TEST_F(ShardCheckpointerTest, AWriteThatTimedOutButLandedIsNeverWrittenBelow) {
  LandsButTimesOut store(*checkpoints_);
  checkpointer_ = Make(ExtendedSequenceNumber(), std::nullopt, &store);
  Processed("500");
  store.time_out_next = true;
  EXPECT_EQ(checkpointer_->CheckpointAt("400", 0).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Stored().ToString(), "400") << "(it landed)";
  // A later, lower checkpoint is refused: the checkpointer learned what is stored.
  EXPECT_EQ(common::ErrorType(checkpointer_->CheckpointAt("300", 0)), common::kInvalidArgument);
  EXPECT_EQ(Stored().ToString(), "400");
  EXPECT_EQ(checkpointer_->last_checkpoint().ToString(), "400");
  ASSERT_TRUE(checkpointer_->CheckpointAt("450", 0).ok());
  EXPECT_EQ(Stored().ToString(), "450");
}

TEST_F(ShardCheckpointerTest, LatestIsResolvedOnceIntoARealCheckpoint) {
  checkpointer_ = Make(ExtendedSequenceNumber::Latest());
  ASSERT_TRUE(checkpointer_->ResolveLatest(Seq("4000")).ok());
  EXPECT_EQ(Stored().ToString(), "4000");
  ASSERT_TRUE(checkpointer_->ResolveLatest(Seq("5000")).ok());
  EXPECT_EQ(Stored().ToString(), "4000") << "only the first resolution counts";
  EXPECT_EQ(common::ErrorType(checkpointer_->CheckpointAt("3999", 0)), common::kInvalidArgument);
}

TEST_F(ShardCheckpointerTest, AfterASteal_TheOldOwnerGetsLeaseLost) {
  Processed("100");
  ASSERT_TRUE(checkpointer_->CheckpointAt("50", 0).ok());
  const lease::Lease current = **table_->Get("shard");
  ASSERT_TRUE(*table_->Take("shard", current.counter, "thief"));
  absl::Status refused = checkpointer_->CheckpointAt("100", 0);
  EXPECT_EQ(common::ErrorType(refused), kLeaseLost);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored().ToString(), "50") << "the new owner's progress is untouched";
  EXPECT_EQ(common::ErrorType(checkpointer_->Checkpoint()), kLeaseLost) << "and it stays lost";
  EXPECT_TRUE(checkpointer_->lease_lost());
}

}  // namespace
}  // namespace eddy::kcl::internal
