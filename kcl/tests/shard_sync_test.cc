// The shard sync plan: which leases new shards get, respecting ancestry, and which
// finished leases go.
#include "kcl/internal/shard_sync.h"

#include <gtest/gtest.h>

#include <map>

#include "common/errors.h"
#include "common/testing/temp_dir.h"
#include "kcl/tests/fake_stream_connection.h"
#include "lease/coordinator_store.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

client::ShardDescription MakeShard(const std::string& id, const std::string& parent = "",
                                   const std::string& adjacent = "", bool closed = false) {
  client::ShardDescription shard;
  shard.shard_id = id;
  shard.parent_shard_id = parent;
  shard.adjacent_parent_shard_id = adjacent;
  shard.hash_range = {0, 100};
  shard.starting_sequence_number = "1";
  if (closed) shard.ending_sequence_number = "9";
  return shard;
}

lease::Lease MakeLease(const std::string& key, ExtendedSequenceNumber checkpoint,
                       std::vector<std::string> children = {}) {
  lease::Lease lease;
  lease.key = key;
  lease.checkpoint = checkpoint;
  lease.child_shard_ids = std::move(children);
  return lease;
}

ExtendedSequenceNumber At(const std::string& sequence) {
  return *ExtendedSequenceNumber::Of(sequence, 0);
}

std::map<std::string, lease::Lease> Created(const ShardSyncPlan& plan) {
  std::map<std::string, lease::Lease> out;
  for (const lease::Lease& lease : plan.create) out[lease.key] = lease;
  return out;
}

// A (closed) split into B and C; D open and untouched. Listed children first on purpose:
// the plan must follow lineage, not listing order.
std::vector<client::ShardDescription> SplitStream() {
  return {MakeShard("B", "A"), MakeShard("C", "A"), MakeShard("A", "", "", true), MakeShard("D")};
}

TEST(ShardSyncPlanTest, AFreshTrimHorizonApplicationStartsAtTheRootsOnly) {
  auto created = Created(PlanShardSync(SplitStream(), {}, InitialPosition::kTrimHorizon));
  ASSERT_EQ(created.size(), 2u) << "A and D; B and C wait for A to finish";
  EXPECT_EQ(created["A"].checkpoint, ExtendedSequenceNumber::TrimHorizon());
  EXPECT_EQ(created["D"].checkpoint, ExtendedSequenceNumber::TrimHorizon());
  EXPECT_TRUE(created["A"].parent_shard_ids.empty());
}

TEST(ShardSyncPlanTest, AFreshLatestApplicationSkipsClosedShardsAndStartsTheirChildren) {
  auto created = Created(PlanShardSync(SplitStream(), {}, InitialPosition::kLatest));
  ASSERT_EQ(created.size(), 3u);
  EXPECT_EQ(created.count("A"), 0u) << "nothing after LATEST is left in a closed shard";
  for (const char* id : {"B", "C", "D"}) {
    EXPECT_EQ(created[id].checkpoint, ExtendedSequenceNumber::Latest()) << id;
    EXPECT_TRUE(created[id].parent_shard_ids.empty()) << id;
  }
}

TEST(ShardSyncPlanTest, ChildrenGetLeasesOnlyOnceTheirParentFinished) {
  const std::vector<lease::Lease> running = {MakeLease("A", At("5")), MakeLease("D", At("7"))};
  EXPECT_TRUE(PlanShardSync(SplitStream(), running, InitialPosition::kLatest).create.empty());

  const std::vector<lease::Lease> finished = {MakeLease("A", ExtendedSequenceNumber::ShardEnd()),
                                              MakeLease("D", At("7"))};
  auto created = Created(PlanShardSync(SplitStream(), finished, InitialPosition::kLatest));
  ASSERT_EQ(created.size(), 2u);
  for (const char* id : {"B", "C"}) {
    EXPECT_EQ(created[id].checkpoint, ExtendedSequenceNumber::TrimHorizon())
        << id << ": a child starts where its parent ended, whatever the initial position";
    EXPECT_EQ(created[id].parent_shard_ids, std::vector<std::string>{"A"});
  }
}

TEST(ShardSyncPlanTest, AMergedChildWaitsForBothParents) {
  const std::vector<client::ShardDescription> shards = {
      MakeShard("B", "", "", true), MakeShard("C", "", "", true), MakeShard("E", "B", "C")};
  const std::vector<lease::Lease> one = {MakeLease("B", ExtendedSequenceNumber::ShardEnd()),
                                         MakeLease("C", At("3"))};
  EXPECT_TRUE(PlanShardSync(shards, one, InitialPosition::kTrimHorizon).create.empty());
  const std::vector<lease::Lease> both = {MakeLease("B", ExtendedSequenceNumber::ShardEnd()),
                                          MakeLease("C", ExtendedSequenceNumber::ShardEnd())};
  auto created = Created(PlanShardSync(shards, both, InitialPosition::kTrimHorizon));
  ASSERT_EQ(created.count("E"), 1u);
  EXPECT_EQ(created["E"].parent_shard_ids, (std::vector<std::string>{"B", "C"}));
}

TEST(ShardSyncPlanTest, AParentLeaseOutlivingItsExpiredShardStillMakesTheChildADescendant) {
  // A's records expired and it is no longer listed, but its lease says where B starts.
  const std::vector<client::ShardDescription> shards = {MakeShard("B", "A")};
  const std::vector<lease::Lease> leases = {MakeLease("A", ExtendedSequenceNumber::ShardEnd())};
  auto created = Created(PlanShardSync(shards, leases, InitialPosition::kLatest));
  ASSERT_EQ(created.count("B"), 1u);
  EXPECT_EQ(created["B"].checkpoint, ExtendedSequenceNumber::TrimHorizon());
}

TEST(ShardSyncPlanTest, AShardWhoseFinishedLeaseWasCleanedUpIsNeverLeasedAgain) {
  // A was processed, its lease removed once B and C started: A must not start over.
  for (InitialPosition position : {InitialPosition::kTrimHorizon, InitialPosition::kLatest}) {
    const std::vector<lease::Lease> leases = {MakeLease("B", At("12")), MakeLease("C", At("13")),
                                              MakeLease("D", At("7"))};
    EXPECT_TRUE(PlanShardSync(SplitStream(), leases, position).create.empty());
  }
  // Nor a grandparent whose grandchild holds the only lease left.
  const std::vector<client::ShardDescription> shards = {
      MakeShard("A", "", "", true), MakeShard("B", "A", "", true), MakeShard("C", "B")};
  EXPECT_TRUE(PlanShardSync(shards, {MakeLease("C", At("3"))}, InitialPosition::kTrimHorizon)
                  .create.empty());
}

TEST(ShardSyncPlanTest, FinishedLeasesStayWhileTheirShardIsListed) {
  const auto shards = SplitStream();
  auto removed = [&](const std::vector<lease::Lease>& leases) {
    return PlanShardSync(shards, leases, InitialPosition::kTrimHorizon).remove;
  };
  const auto end = ExtendedSequenceNumber::ShardEnd();
  EXPECT_TRUE(
      removed({MakeLease("A", end, {"B", "C"}), MakeLease("B", At("12")), MakeLease("C", end)})
          .empty())
      << "A is listed: its finished lease says it was processed";
  EXPECT_EQ(removed({MakeLease("Z", end)}), std::vector<std::string>{"Z"})
      << "a finished lease of a shard that has expired";
  EXPECT_TRUE(removed({MakeLease("Y", At("4"))}).empty()) << "only finished leases go";
}

TEST(ShardSyncPlanTest, AListingOlderThanTheLeasesNeverRevivesAFinishedShard) {
  // The listing was taken before A was split (a worker frozen between listing and reading
  // the leases): A looks open and childless, but its lease says it is done.
  const std::vector<client::ShardDescription> stale = {MakeShard("A")};
  const ShardSyncPlan plan = PlanShardSync(stale,
                                           {MakeLease("A", ExtendedSequenceNumber::ShardEnd()),
                                            MakeLease("B", At("12")), MakeLease("C", At("13"))},
                                           InitialPosition::kTrimHorizon);
  EXPECT_TRUE(plan.create.empty());
  EXPECT_TRUE(plan.remove.empty()) << "A is listed: its lease is what says it is done";
}

// A split into B and C, then B into E and F — all closed but E and F and C — before any
// worker started.
std::vector<client::ShardDescription> TwoSplitsInARow() {
  return {MakeShard("E", "B"), MakeShard("F", "B"), MakeShard("C", "A"),
          MakeShard("B", "A", "", true), MakeShard("A", "", "", true)};
}

TEST(ShardSyncPlanTest, GrandchildrenWaitForTheMiddleGeneration) {
  for (InitialPosition position : {InitialPosition::kTrimHorizon, InitialPosition::kAtTimestamp}) {
    auto created = Created(PlanShardSync(TwoSplitsInARow(), {}, position));
    ASSERT_EQ(created.size(), 1u) << "only the root: B, C wait for A, and E, F for B";
    EXPECT_EQ(created.count("A"), 1u);
  }
  // A is being processed: still only A.
  auto created = Created(
      PlanShardSync(TwoSplitsInARow(), {MakeLease("A", At("5"))}, InitialPosition::kTrimHorizon));
  EXPECT_TRUE(created.empty()) << "E or F started before B";
}

TEST(ShardSyncPlanTest, AWorkerThatDiedRightAfterShardEndLosesNoGeneration) {
  // A reached SHARD_END; its worker died before creating B's and C's leases.
  auto created =
      Created(PlanShardSync(TwoSplitsInARow(), {MakeLease("A", ExtendedSequenceNumber::ShardEnd())},
                            InitialPosition::kTrimHorizon));
  ASSERT_EQ(created.size(), 2u) << "B and C, and not yet E and F";
  EXPECT_EQ(created["B"].parent_shard_ids, std::vector<std::string>{"A"});
  EXPECT_EQ(created["B"].checkpoint, ExtendedSequenceNumber::TrimHorizon());
  EXPECT_EQ(created.count("C"), 1u);
  // Then B ends and its worker dies too: E and F come, C is already there.
  created = Created(
      PlanShardSync(TwoSplitsInARow(),
                    {MakeLease("A", ExtendedSequenceNumber::ShardEnd()),
                     MakeLease("B", ExtendedSequenceNumber::ShardEnd()), MakeLease("C", At("3"))},
                    InitialPosition::kTrimHorizon));
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created["E"].parent_shard_ids, std::vector<std::string>{"B"});
  EXPECT_EQ(created.count("F"), 1u);
}

TEST(ShardSyncPlanTest, AMergeWaitsForAParentThatHasNoLeaseYet) {
  // A and B roots; B split into C and D; A merged with C into M.
  const std::vector<client::ShardDescription> shards = {
      MakeShard("M", "A", "C"), MakeShard("C", "B", "", true), MakeShard("D", "B"),
      MakeShard("A", "", "", true), MakeShard("B", "", "", true)};
  // A is done, B is still being processed: C has no lease yet, and M must wait for it.
  auto created = Created(PlanShardSync(
      shards, {MakeLease("A", ExtendedSequenceNumber::ShardEnd()), MakeLease("B", At("4"))},
      InitialPosition::kTrimHorizon));
  EXPECT_TRUE(created.empty()) << "M started before its parent C";
  // B done: C and D come; M still waits (C is not finished).
  created = Created(PlanShardSync(shards,
                                  {MakeLease("A", ExtendedSequenceNumber::ShardEnd()),
                                   MakeLease("B", ExtendedSequenceNumber::ShardEnd())},
                                  InitialPosition::kTrimHorizon));
  EXPECT_EQ(created.size(), 2u);
  EXPECT_EQ(created.count("M"), 0u);
}

TEST(ShardSyncPlanTest, AShardWhoseChildStartedIsNotLeasedAgainButOneWhoseChildWaitsIs) {
  // B's lease was cleaned up after E and F started: B is done.
  EXPECT_TRUE(Created(PlanShardSync(TwoSplitsInARow(),
                                    {MakeLease("C", At("3")), MakeLease("E", At("7")),
                                     MakeLease("F", At("8"))},
                                    InitialPosition::kTrimHorizon))
                  .empty());
  // A child lease that never started says nothing about its parent: B (and A first) still
  // have records to process.
  auto created = Created(PlanShardSync(TwoSplitsInARow(),
                                       {MakeLease("E", ExtendedSequenceNumber::TrimHorizon())},
                                       InitialPosition::kTrimHorizon));
  EXPECT_EQ(created.count("A"), 1u);
}

// SyncShards carries the plan out against the stream's listing (a fake connection) and a
// real lease table; a failed listing changes nothing.
class SyncShardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*lease::CoordinatorStore::Open(dir_.path() + "/leases"));
    ASSERT_TRUE(*store_->CreateApplication("app"));
    table_ = store_->Leases("app");
    config_.application_name = "app";
    config_.stream_name = "s";
    config_.initial_position = InitialPosition::kTrimHorizon;
    fake_.shards = SplitStream();
  }

  common::testing::TempDir dir_;
  std::unique_ptr<lease::CoordinatorStore> store_;
  std::unique_ptr<lease::LeaseTable> table_;
  Config config_;
  testing::FakeStreamConnection fake_;
};

TEST_F(SyncShardsTest, CreatesTheRootsLeasesOnceAndReportsTheListing) {
  absl::StatusOr<ShardSyncResult> first = SyncShards(fake_, config_, *table_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->created, 2);  // A and D
  EXPECT_FALSE(first->listed.has_value()) << "a filtered listing is not the stream's";
  absl::StatusOr<std::vector<lease::Lease>> leases = table_->List();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 2u);
  EXPECT_EQ((*leases)[0].key, "A");
  EXPECT_EQ((*leases)[1].key, "D");

  absl::StatusOr<ShardSyncResult> again = SyncShards(fake_, config_, *table_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(again->listed, (std::set<std::string>{"A", "B", "C", "D"}));
}

// On an empty lease table only the shards where the application starts are listed (the
// KCL's ShardFilter by initial position); every later sync lists the whole stream.
TEST_F(SyncShardsTest, TheFirstSyncListsOnlyTheShardsAtTheInitialPosition) {
  using Type = client::ShardFilter::Type;
  const std::vector<std::pair<InitialPosition, Type>> cases = {
      {InitialPosition::kTrimHorizon, Type::kAtTrimHorizon},
      {InitialPosition::kLatest, Type::kAtLatest},
      {InitialPosition::kAtTimestamp, Type::kAtTimestamp}};
  for (const auto& [position, type] : cases) {
    store_->DeleteApplication("app").IgnoreError();
    ASSERT_TRUE(*store_->CreateApplication("app"));
    table_ = store_->Leases("app");
    fake_.list_shards_filters.clear();
    config_.initial_position = position;
    config_.initial_timestamp_millis = 1700000000123;
    ASSERT_TRUE(SyncShards(fake_, config_, *table_).ok());
    ASSERT_TRUE(SyncShards(fake_, config_, *table_).ok());
    ASSERT_EQ(fake_.list_shards_filters.size(), 2u);
    EXPECT_EQ(fake_.list_shards_filters[0].type, type);
    EXPECT_EQ(fake_.list_shards_filters[0].timestamp_millis,
              type == Type::kAtTimestamp ? 1700000000123 : 0);
    EXPECT_EQ(fake_.list_shards_filters[1].type, Type::kNone) << "the table has leases now";
  }
}

// The children the filtered listing left out are planned by the next, whole listing: they
// wait behind their parent, whose lease the first sync created.
TEST_F(SyncShardsTest, ChildrenLeftOutOfTheFirstListingWaitBehindTheirParents) {
  fake_.filtered_shards = {MakeShard("A", "", "", true), MakeShard("D")};  // at the horizon
  absl::StatusOr<ShardSyncResult> first = SyncShards(fake_, config_, *table_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->created, 2);
  absl::StatusOr<ShardSyncResult> second = SyncShards(fake_, config_, *table_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->created, 0) << "B and C wait for A";
  EXPECT_FALSE(*table_->Get("B"));
}

TEST_F(SyncShardsTest, AnEndpointRefusingTheShardFilterIsListedWhole) {
  fake_.list_shards_errors.push_back(common::InvalidArgument("Unexpected member ShardFilter"));
  absl::StatusOr<ShardSyncResult> first = SyncShards(fake_, config_, *table_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->created, 2);  // A and D, as from any listing
  ASSERT_EQ(fake_.list_shards_filters.size(), 2u);
  EXPECT_EQ(fake_.list_shards_filters[1].type, client::ShardFilter::Type::kNone);
  EXPECT_EQ(first->listed, (std::set<std::string>{"A", "B", "C", "D"}));
}

TEST_F(SyncShardsTest, AFailedListingIsReportedAndChangesNothing) {
  fake_.list_shards_errors.push_back(absl::UnavailableError("connection refused"));
  absl::StatusOr<ShardSyncResult> failed = SyncShards(fake_, config_, *table_);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(table_->List()->empty());
}

TEST_F(SyncShardsTest, AFinishedLeaseGoesOnceItsShardIsNoLongerListed) {
  ASSERT_TRUE(SyncShards(fake_, config_, *table_).ok());
  ASSERT_TRUE(*table_->Take("A", 0, "w"));
  // A is read to its end (the worker's SHARD_END checkpoint), then expires from the stream.
  std::optional<lease::Lease> a = *table_->Get("A");
  ASSERT_TRUE(a.has_value());
  absl::StatusOr<bool> saved = store_->Checkpoints("app")->Save(
      "A", checkpoint::Ownership{"w", a->epoch}, ExtendedSequenceNumber::ShardEnd(), "");
  ASSERT_TRUE(saved.ok() && *saved) << saved.status();
  fake_.shards = {MakeShard("B"), MakeShard("C"), MakeShard("D")};
  absl::StatusOr<ShardSyncResult> result = SyncShards(fake_, config_, *table_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->removed, 1);
  EXPECT_FALSE(table_->Get("A")->has_value());
}

}  // namespace
}  // namespace eddy::kcl::internal
