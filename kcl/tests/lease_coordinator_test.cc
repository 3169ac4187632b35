// The lease algorithm with an embedded store and a fake clock: no threads, no sleeping.
#include "kcl/internal/lease_coordinator.h"

#include <gtest/gtest.h>

#include "common/testing/fake_clock.h"
#include "common/testing/temp_dir.h"
#include "lease/coordinator_store.h"

namespace eddy::kcl::internal {
namespace {

class LeaseCoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*lease::CoordinatorStore::Open(dir_.path() + "/leases"));
    ASSERT_TRUE(*store_->CreateApplication("app"));
    table_ = store_->Leases("app");
  }

  void AddLeases(int count) {
    for (int i = 0; i < count; ++i) {
      lease::Lease lease;
      lease.key = "shard-" + std::to_string(i);
      ASSERT_TRUE(*table_->CreateIfAbsent(lease));
    }
  }

  std::unique_ptr<LeaseCoordinator> Worker(const std::string& id, int max_steal = 1) {
    return std::make_unique<LeaseCoordinator>(
        *table_, clock_, LeaseCoordinatorOptions{id, 10'000, 1 << 30, max_steal});
  }

  int HandoffsAskedBy(const std::string& id) {
    int asked = 0;
    for (const lease::Lease& lease : *table_->List()) asked += lease.handoff_to == id ? 1 : 0;
    return asked;
  }

  std::map<std::string, int> OwnerCounts() {
    std::map<std::string, int> counts;
    absl::StatusOr<std::vector<lease::Lease>> leases = table_->List();
    EXPECT_TRUE(leases.ok()) << leases.status();
    if (!leases.ok()) return counts;
    for (const lease::Lease& lease : *leases) ++counts[lease.owner];
    return counts;
  }

  common::testing::TempDir dir_;
  common::testing::FakeClock clock_;
  std::unique_ptr<lease::CoordinatorStore> store_;
  std::unique_ptr<lease::LeaseTable> table_;
};

TEST_F(LeaseCoordinatorTest, ALoneWorkerTakesEveryFreeLease) {
  AddLeases(5);
  auto worker = Worker("a");
  auto taken = worker->TakeLeases();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 5u);
  EXPECT_EQ(OwnerCounts()["a"], 5);
  for (const HeldLease& held : worker->Held()) {
    EXPECT_EQ(held.ownership.owner, "a");
    EXPECT_EQ(held.ownership.epoch, 1u);
  }
}

TEST_F(LeaseCoordinatorTest, WorkersBalanceByExpiryAndThenBySteals) {
  AddLeases(12);
  auto a = Worker("a");
  auto b = Worker("b");
  auto c = Worker("c");
  ASSERT_EQ(a->TakeLeases()->size(), 12u);
  // b and c see a's leases as alive (their counters move): they ask a to hand one over per
  // pass, and a — as its scheduler does once the processor has checkpointed — lets go.
  for (int pass = 0; pass < 20; ++pass) {
    clock_.AdvanceMillis(1000);
    for (auto* worker : {a.get(), b.get(), c.get()}) {
      worker->RenewAll();
      ASSERT_TRUE(worker->TakeLeases().ok());
      for (const std::string& key : worker->HandoffRequests()) {
        ASSERT_TRUE(worker->Release(key).ok());
      }
    }
  }
  auto counts = OwnerCounts();
  EXPECT_EQ(counts["a"], 4);
  EXPECT_EQ(counts["b"], 4);
  EXPECT_EQ(counts["c"], 4);
  EXPECT_EQ(a->Held().size(), 4u) << "a noticed the steals when renewing";
}

TEST_F(LeaseCoordinatorTest, LeasesExpireOnlyAfterAFailoverTimeOnTheObserversClock) {
  AddLeases(4);
  auto a = Worker("a");
  auto b = Worker("b");
  ASSERT_EQ(a->TakeLeases()->size(), 4u);
  // First sight stamps a's leases "now": none is expired; b may only ask for a hand-off.
  ASSERT_TRUE(b->TakeLeases()->empty());
  // a stops renewing (it died). Before a failover time has passed, b takes nothing.
  clock_.AdvanceMillis(9'999);
  auto early = b->TakeLeases();
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());
  EXPECT_EQ(OwnerCounts()["a"], 4);
  clock_.AdvanceMillis(1);
  auto late = b->TakeLeases();
  ASSERT_TRUE(late.ok());
  // a's leases have not moved for a failover time: a no longer counts as a live worker,
  // so b's share is everything.
  EXPECT_EQ(b->Held().size(), 4u);
  EXPECT_EQ(OwnerCounts()["b"], 4);
}

TEST_F(LeaseCoordinatorTest, StealingAsksTheOwnerFirstAndTakesByForceOnlyLate) {
  AddLeases(2);
  auto a = Worker("a");
  auto b = Worker("b");
  ASSERT_EQ(a->TakeLeases()->size(), 2u);
  ASSERT_TRUE(b->TakeLeases().ok());
  auto leases = *table_->List();
  int asked = 0;
  for (const lease::Lease& lease : leases) asked += lease.handoff_to == "b" ? 1 : 0;
  EXPECT_EQ(asked, 1) << "b asked a to hand one lease over";
  EXPECT_EQ(OwnerCounts()["a"], 2) << "without taking it";
  ASSERT_TRUE(a->TakeLeases().ok());
  EXPECT_EQ(a->HandoffRequests().size(), 1u) << "a sees the request";
  // a keeps renewing but never lets go: after two failover times b takes it anyway.
  for (int step = 0; step < 21; ++step) {
    clock_.AdvanceMillis(1000);
    a->RenewAll();
    ASSERT_TRUE(b->TakeLeases().ok());
  }
  EXPECT_EQ(OwnerCounts()["b"], 1);
  EXPECT_EQ(OwnerCounts()["a"], 1);
}

TEST_F(LeaseCoordinatorTest, ANewcomerFarBelowItsShareAsksAWorkerHoldingExactlyItsShare) {
  AddLeases(4);
  auto a = Worker("a");
  auto b = Worker("b");
  auto c = Worker("c");
  ASSERT_EQ(a->TakeLeases()->size(), 4u);
  // b asks a for a lease (a holds more than its share of 2), a lets go, b takes it on its
  // next pass and asks for the next.
  for (int pass = 0; pass < 3; ++pass) {
    ASSERT_TRUE(b->TakeLeases().ok());
    ASSERT_TRUE(a->TakeLeases().ok());
    for (const std::string& key : a->HandoffRequests()) ASSERT_TRUE(a->Release(key, true).ok());
  }
  ASSERT_TRUE(b->TakeLeases().ok());
  ASSERT_EQ(OwnerCounts()["a"], 2);
  ASSERT_EQ(OwnerCounts()["b"], 2);
  // c joins: target ceil(4/3) = 2, the others hold exactly 2, c holds 0 — two short.
  ASSERT_TRUE(c->TakeLeases().ok());
  const auto leases = *table_->List();
  int asked = 0;
  for (const lease::Lease& lease : leases) asked += lease.handoff_to == "c" ? 1 : 0;
  EXPECT_EQ(asked, 1) << "c asks for one lease";
}

TEST_F(LeaseCoordinatorTest, MaxLeasesToStealAsksForSeveralHandOffsInOnePass) {
  AddLeases(6);
  auto a = Worker("a");
  ASSERT_EQ(a->TakeLeases()->size(), 6u);
  // b's share is 3: with max_leases_to_steal 3 it asks for all three at once...
  auto b = Worker("b", 3);
  ASSERT_TRUE(b->TakeLeases().ok());
  EXPECT_EQ(HandoffsAskedBy("b"), 3);
  // ...and they count as on their way: the next pass asks for no more.
  ASSERT_TRUE(b->TakeLeases().ok());
  EXPECT_EQ(HandoffsAskedBy("b"), 3);
  ASSERT_TRUE(a->TakeLeases().ok());
  for (const std::string& key : a->HandoffRequests()) ASSERT_TRUE(a->Release(key, true).ok());
  ASSERT_EQ(b->TakeLeases()->size(), 3u);
  EXPECT_EQ(OwnerCounts()["a"], 3);
  EXPECT_EQ(OwnerCounts()["b"], 3);
}

TEST_F(LeaseCoordinatorTest, WithTheDefaultOneLeaseIsAskedForAtATime) {
  AddLeases(6);
  auto a = Worker("a");
  ASSERT_EQ(a->TakeLeases()->size(), 6u);
  auto b = Worker("b");
  ASSERT_TRUE(b->TakeLeases().ok());
  EXPECT_EQ(HandoffsAskedBy("b"), 1);
}

TEST_F(LeaseCoordinatorTest, AHeldLeaseIsFreshOnlyWhileRenewedWithinTheFailoverTime) {
  AddLeases(1);
  auto a = Worker("a");
  ASSERT_EQ(a->TakeLeases()->size(), 1u);
  const uint64_t epoch = a->Held()[0].ownership.epoch;
  EXPECT_TRUE(a->HoldsFresh("shard-0", epoch));
  EXPECT_FALSE(a->HoldsFresh("shard-0", epoch + 1)) << "another ownership";
  EXPECT_FALSE(a->HoldsFresh("shard-1", epoch)) << "not held";
  clock_.AdvanceMillis(8'999);
  EXPECT_TRUE(a->HoldsFresh("shard-0", epoch));
  clock_.AdvanceMillis(1);
  // Within the safety margin (a tenth of the failover time) of expiry: no longer trusted.
  EXPECT_FALSE(a->HoldsFresh("shard-0", epoch));
  clock_.AdvanceMillis(1'000);
  // Not renewed for a failover time (the coordinator stalled, say): others may take it.
  EXPECT_FALSE(a->HoldsFresh("shard-0", epoch));
  a->RenewAll();
  EXPECT_FALSE(a->HoldsFresh("shard-0", epoch)) << "a stale lease is never renewed";
}

TEST_F(LeaseCoordinatorTest, ALeaseNobodyCanTakeWithinTheirShareIsTakenBeyondIt) {
  AddLeases(4);
  auto capped = std::make_unique<LeaseCoordinator>(*table_, clock_,
                                                   LeaseCoordinatorOptions{"capped", 10'000, 1, 1});
  auto a = Worker("a");
  ASSERT_EQ(capped->TakeLeases()->size(), 1u);
  // Share ceil(4/2) = 2: a takes two; the fourth lease is capped's share, which it cannot
  // take. It stays free for a failover time, then a takes it anyway.
  ASSERT_EQ(a->TakeLeases()->size(), 2u);
  EXPECT_EQ(OwnerCounts()[""], 1);
  for (int second = 1; second < 10; ++second) {
    clock_.AdvanceMillis(1000);
    EXPECT_TRUE(a->RenewAll().empty());
    EXPECT_TRUE(capped->RenewAll().empty());
    ASSERT_EQ(capped->TakeLeases()->size(), 0u);
    ASSERT_EQ(a->TakeLeases()->size(), 0u) << "not before a failover time (" << second << " s)";
  }
  clock_.AdvanceMillis(1000);
  EXPECT_TRUE(a->RenewAll().empty());
  EXPECT_TRUE(capped->RenewAll().empty());
  ASSERT_EQ(a->TakeLeases()->size(), 1u);
  EXPECT_EQ(OwnerCounts(), (std::map<std::string, int>{{"a", 3}, {"capped", 1}}));
}

TEST_F(LeaseCoordinatorTest, AHandedOverLeaseGoesToTheAskerEvenIfTheOwnerPassesFirst) {
  AddLeases(2);
  auto a = Worker("a");
  auto b = Worker("b");
  ASSERT_EQ(a->TakeLeases()->size(), 2u);
  ASSERT_TRUE(b->TakeLeases().ok());  // b asks for one
  ASSERT_TRUE(a->TakeLeases().ok());
  ASSERT_EQ(a->HandoffRequests().size(), 1u);
  const std::string key = a->HandoffRequests()[0];
  ASSERT_TRUE(a->Release(key, /*handed_over=*/true).ok());
  // a passes before b: b holds nothing, so a counts one live worker and would want both.
  clock_.AdvanceMillis(100);
  EXPECT_TRUE(a->TakeLeases()->empty()) << "a does not take back what it handed over";
  EXPECT_EQ(*b->TakeLeases(), std::vector<std::string>{key});
  // Once b has taken it — even if a never saw b holding it — a released lease is free for
  // anyone again, a included.
  ASSERT_TRUE(b->Release(key).ok());
  EXPECT_EQ(*a->TakeLeases(), std::vector<std::string>{key});
}

// A table where another worker ("b") takes a lease just before "a"'s first Take of it
// lands: the race two survivors run when they are told of free leases at the same moment.
class RacingTable final : public lease::LeaseTable {
 public:
  explicit RacingTable(lease::LeaseTable& inner) : inner_(inner) {}
  const std::string& application() const override { return inner_.application(); }
  absl::StatusOr<bool> CreateIfAbsent(const lease::Lease& l) override {
    return inner_.CreateIfAbsent(l);
  }
  absl::StatusOr<std::optional<lease::Lease>> Get(const std::string& k) override {
    return inner_.Get(k);
  }
  absl::StatusOr<std::vector<lease::Lease>> List() override { return inner_.List(); }
  absl::StatusOr<bool> Take(const std::string& k, uint64_t counter,
                            const std::string& owner) override {
    if (owner == "a" && !raced_) {
      raced_ = true;
      EXPECT_TRUE(*inner_.Take(k, counter, "b"));  // b is quicker
    }
    return inner_.Take(k, counter, owner);
  }
  absl::StatusOr<bool> Renew(const std::string& k, const std::string& o, uint64_t c) override {
    return inner_.Renew(k, o, c);
  }
  absl::StatusOr<bool> Evict(const std::string& k, const std::string& o) override {
    return inner_.Evict(k, o);
  }
  absl::StatusOr<bool> UpdateLineage(const std::string& k, const std::string& o,
                                     const std::vector<std::string>& c) override {
    return inner_.UpdateLineage(k, o, c);
  }
  absl::StatusOr<bool> RequestHandoff(const std::string& k, const std::string& o,
                                      const std::string& r) override {
    return inner_.RequestHandoff(k, o, r);
  }
  absl::StatusOr<bool> Delete(const std::string& k) override { return inner_.Delete(k); }

 private:
  lease::LeaseTable& inner_;
  bool raced_ = false;
};

TEST_F(LeaseCoordinatorTest, LosingARaceForAFreeLeaseTakesAnotherInTheSamePass) {
  AddLeases(3);  // free
  lease::Lease b_lease;
  b_lease.key = "shard-x";
  ASSERT_TRUE(*table_->CreateIfAbsent(b_lease));
  ASSERT_TRUE(*table_->Take("shard-x", 0, "b"));  // b is live
  RacingTable racing(*table_);
  LeaseCoordinator a(racing, clock_, LeaseCoordinatorOptions{"a", 10'000, 1 << 30, 1});
  // a's share is ceil(4 / 2) = 2; b wins the first lease a tries.
  absl::StatusOr<std::vector<std::string>> taken = a.TakeLeases();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 2u) << "a lost one race and took the next free lease instead";
  EXPECT_EQ(OwnerCounts()["a"], 2);
  EXPECT_EQ(OwnerCounts()["b"], 2);
}

TEST_F(LeaseCoordinatorTest, ALostLeaseIsDroppedAtRenewal) {
  AddLeases(1);
  auto a = Worker("a");
  ASSERT_EQ(a->TakeLeases()->size(), 1u);
  const lease::Lease current = **table_->Get("shard-0");
  ASSERT_TRUE(*table_->Take("shard-0", current.counter, "b"));
  auto lost = a->RenewAll();
  EXPECT_EQ(lost, std::vector<std::string>{"shard-0"});
  EXPECT_TRUE(a->Held().empty());
}

TEST_F(LeaseCoordinatorTest, AWorkerStopsRenewingWhatItCouldNotRenewForAFailoverTime) {
  AddLeases(1);
  auto a = Worker("a");
  ASSERT_EQ(a->TakeLeases()->size(), 1u);
  clock_.AdvanceMillis(10'000);  // a was frozen: others may have seen the lease expire
  EXPECT_EQ(a->RenewAll(), std::vector<std::string>{"shard-0"});
}

TEST_F(LeaseCoordinatorTest, ReleasedLeasesAreFreeAtOnce) {
  AddLeases(2);
  auto a = Worker("a");
  auto b = Worker("b");
  ASSERT_EQ(a->TakeLeases()->size(), 2u);
  ASSERT_TRUE(a->Release("shard-0").ok());
  ASSERT_TRUE(a->Release("shard-1").ok());
  auto taken = b->TakeLeases();  // no failover time to wait out
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 2u);
}

TEST_F(LeaseCoordinatorTest, MaxLeasesForWorkerCapsTheShare) {
  AddLeases(6);
  LeaseCoordinator capped(*table_, clock_, LeaseCoordinatorOptions{"a", 10'000, 2, 1});
  EXPECT_EQ(capped.TakeLeases()->size(), 2u);
}

}  // namespace
}  // namespace eddy::kcl::internal
