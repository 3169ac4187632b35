// The etcd coordinator's sessions and failures against real etcd processes: owner keys go
// with their session, a frozen etcd ends the session on the worker's own clock, quorum loss
// refuses changes without losing any, and an answer lost with the leader is decided by
// reading. (The lease rules themselves: coordinator_conformance_test.)
#include "coordination/etcd_coordinator.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>

#include "client/remote_coordinator.h"
#include "common/errors.h"
#include "common/testing/temp_dir.h"
#include "tests/integration/etcd_cluster.h"

namespace eddy::testing {
namespace {

using checkpoint::ExtendedSequenceNumber;
using std::chrono::seconds;

class EtcdCoordinatorTest : public ::testing::Test {
 protected:
  // A cluster of `members`, and a coordinator on it with application "app".
  void StartCluster(int members) {
    cluster_ = std::make_unique<EtcdCluster>(dir_.path() + "/etcd", members);
    ASSERT_TRUE(cluster_->Start());
    a_ = NewCoordinator();
    ASSERT_TRUE(*a_->CreateApplication("app"));
    table_ = a_->Leases("app");
    checkpoints_ = a_->Checkpoints("app");
  }

  std::unique_ptr<coordination::EtcdCoordinator> NewCoordinator(
      std::chrono::microseconds timeout = std::chrono::seconds(5), bool require_session = false,
      int64_t session_ttl_millis = 2'000 /* etcd's minimum */) {
    coordination::EtcdCoordinatorOptions options;
    options.require_session = require_session;
    options.client.endpoints = cluster_->endpoints();
    options.client.timeout = timeout;
    options.session_ttl_millis = session_ttl_millis;
    return std::make_unique<coordination::EtcdCoordinator>(options);
  }

  // Opens `coordinator`'s session for `worker` and reads its first ("live") event.
  static std::unique_ptr<client::WorkerSession> Live(coordination::EtcdCoordinator& coordinator,
                                                     const std::string& worker) {
    auto session = coordinator.OpenSession("app", worker);
    client::WorkerSession::Event live;
    EXPECT_TRUE(session->Next(&live)) << session->Finish();
    return session;
  }

  void CreateLease(const std::string& key) {
    lease::Lease lease;
    lease.key = key;
    ASSERT_TRUE(*table_->CreateIfAbsent(lease));
  }

  // Takes `key` for `owner` through `table` and returns the ownership.
  checkpoint::Ownership TakeFor(lease::LeaseTable& table, const std::string& key,
                                const std::string& owner) {
    auto current = table.Get(key);
    EXPECT_TRUE(current.ok() && current->has_value());
    if (!current.ok() || !current->has_value()) return {};
    EXPECT_TRUE(*table.Take(key, (*current)->counter, owner));
    return checkpoint::Ownership{owner, (**table.Get(key)).epoch};
  }

  // Whether `session` has ended (its next event is none).
  static bool Ended(client::WorkerSession& session) {
    client::WorkerSession::Event event;
    return !session.Next(&event);
  }

  common::testing::TempDir dir_;
  std::unique_ptr<EtcdCluster> cluster_;
  std::unique_ptr<coordination::EtcdCoordinator> a_;
  std::unique_ptr<lease::LeaseTable> table_;
  std::unique_ptr<checkpoint::CheckpointStore> checkpoints_;
};

TEST_F(EtcdCoordinatorTest, LeasesTakenInASessionAreFreedAndAnnouncedWhenItEnds) {
  StartCluster(1);
  CreateLease("shard-0");
  auto b = NewCoordinator();
  auto b_session = Live(*b, "b");
  {
    auto a_session = Live(*a_, "a");
    const checkpoint::Ownership owned = TakeFor(*table_, "shard-0", "a");
    EXPECT_EQ((**table_->Get("shard-0")).owner, "a");
    ASSERT_TRUE(*checkpoints_->Save("shard-0", owned, *ExtendedSequenceNumber::Of("42"), ""));
    a_session->Cancel();  // a stops: its etcd lease is revoked, its owner keys go with it
    EXPECT_TRUE(Ended(*a_session));
    a_session->Finish().IgnoreError();
    // The other worker hears of it at once, and the lease reads unowned.
    client::WorkerSession::Event event;
    ASSERT_TRUE(b_session->Next(&event));
    EXPECT_GE(event.leases_available, 1);
    EXPECT_EQ((**b->Leases("app")->Get("shard-0")).owner, "");
    // The ended ownership can never write again — not even once a takes the lease back.
    EXPECT_FALSE(*checkpoints_->Save("shard-0", owned, *ExtendedSequenceNumber::Of("43"), ""));
    auto again = Live(*a_, "a");
    const checkpoint::Ownership retaken = TakeFor(*table_, "shard-0", "a");
    EXPECT_GT(retaken.epoch, owned.epoch);
    EXPECT_FALSE(*checkpoints_->Save("shard-0", owned, *ExtendedSequenceNumber::Of("44"), ""));
    EXPECT_TRUE(*checkpoints_->Save("shard-0", retaken, *ExtendedSequenceNumber::Of("45"), ""));
  }
  EXPECT_EQ(checkpoints_->Read("shard-0")->checkpoint, *ExtendedSequenceNumber::Of("45"));
}

TEST_F(EtcdCoordinatorTest, AWorkerTakesLeasesOnlyUnderALiveSession) {
  StartCluster(1);
  CreateLease("shard-0");
  auto worker = NewCoordinator(std::chrono::seconds(5), /*require_session=*/true);
  auto table = worker->Leases("app");
  absl::StatusOr<bool> taken = table->Take("shard-0", 0, "w");
  ASSERT_FALSE(taken.ok()) << "took a lease no session would free";
  EXPECT_TRUE(common::IsRetryable(taken.status())) << taken.status();
  EXPECT_EQ((**table_->Get("shard-0")).counter, 0u) << "the refused take wrote";
  auto session = Live(*worker, "w");
  ASSERT_TRUE(*table->Take("shard-0", 0, "w"));
  session->Cancel();
  EXPECT_TRUE(Ended(*session));
  session->Finish().IgnoreError();
  EXPECT_EQ((**table_->Get("shard-0")).owner, "") << "the ownership outlived its session";
  EXPECT_FALSE(table->Take("shard-0", 1, "w").ok()) << "a take after the session ended";
}

TEST_F(EtcdCoordinatorTest, ASessionWhoseLeaseIsRevokedEndsAtOnce) {
  StartCluster(1);
  CreateLease("shard-0");
  // A long TTL: keepalives every 10 s would notice only then.
  auto worker = NewCoordinator(std::chrono::seconds(5), true, 30'000);
  auto session = Live(*worker, "w");
  ASSERT_TRUE(*worker->Leases("app")->Take("shard-0", 0, "w"));
  // An operator revokes the session's etcd lease (etcdctl lease revoke): the owner key
  // goes, others may take the shard at once — and the session must end now, not at its
  // next keepalive.
  coordination::EtcdClient raw(coordination::EtcdClientOptions{cluster_->endpoints()});
  etcdserverpb::RangeRequest owner;
  owner.set_key("/eddy/v1/owners/app/shard-0");
  absl::StatusOr<etcdserverpb::RangeResponse> found = raw.Range(owner);
  ASSERT_TRUE(found.ok() && found->kvs_size() == 1) << found.status();
  ASSERT_NE(found->kvs(0).lease(), 0);
  ASSERT_TRUE(raw.LeaseRevoke(found->kvs(0).lease()).ok());
  EXPECT_TRUE(WaitFor([&] { return !worker->SessionValid(); }, seconds(5)))
      << "the session outlived its revoked lease";
  EXPECT_TRUE(Ended(*session));
  session->Finish().IgnoreError();
}

TEST_F(EtcdCoordinatorTest, AFrozenEtcdEndsTheSessionByTheWorkersOwnClock) {
  StartCluster(1);
  auto session = Live(*a_, "a");
  EXPECT_TRUE(a_->SessionValid());
  // etcd's host hangs: keepalives neither succeed nor fail.
  ASSERT_EQ(kill(cluster_->process(0).pid(), SIGSTOP), 0);
  const auto frozen = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor([&] { return !a_->SessionValid(); }, seconds(10)));
  // No later than the TTL after the last keepalive answered — before etcd could expire it.
  EXPECT_LT(std::chrono::steady_clock::now() - frozen, std::chrono::milliseconds(2'000));
  EXPECT_TRUE(Ended(*session)) << "the session outlived its provable TTL";
  session->Finish().IgnoreError();
  ASSERT_EQ(kill(cluster_->process(0).pid(), SIGCONT), 0);
  auto again = Live(*a_, "a");
  EXPECT_TRUE(WaitFor([&] { return a_->SessionValid(); }, seconds(10)));
}

TEST_F(EtcdCoordinatorTest, WithoutQuorumChangesAreRefusedAndNoneIsLost) {
  StartCluster(3);
  CreateLease("shard-0");
  const checkpoint::Ownership owned = TakeFor(*table_, "shard-0", "a");
  ASSERT_TRUE(*checkpoints_->Save("shard-0", owned, *ExtendedSequenceNumber::Of("7"), "state"));
  auto quick = NewCoordinator(std::chrono::milliseconds(1'500));
  auto quick_table = quick->Leases("app");
  auto quick_checkpoints = quick->Checkpoints("app");
  cluster_->Kill(1);
  cluster_->Kill(2);
  // Errors worth retrying, never a false "lost the race".
  absl::StatusOr<bool> renewed = quick_table->Renew("shard-0", "a", 1);
  ASSERT_FALSE(renewed.ok());
  EXPECT_TRUE(common::IsRetryable(renewed.status())) << renewed.status();
  absl::StatusOr<bool> saved =
      quick_checkpoints->Save("shard-0", owned, *ExtendedSequenceNumber::Of("8"), "");
  ASSERT_FALSE(saved.ok());
  EXPECT_TRUE(common::IsRetryable(saved.status())) << saved.status();
  ASSERT_TRUE(cluster_->Restart(1));
  ASSERT_TRUE(cluster_->Restart(2));
  ASSERT_TRUE(WaitFor([&] { return cluster_->Leader() >= 0; }, seconds(30)));
  auto record = checkpoints_->Read("shard-0");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->checkpoint, *ExtendedSequenceNumber::Of("7"));
  EXPECT_EQ(record->state, "state");
  EXPECT_TRUE(*checkpoints_->Save("shard-0", owned, *ExtendedSequenceNumber::Of("9"), ""));
}

TEST_F(EtcdCoordinatorTest, AnswersLostToTheDeadlineAreDecidedByReading) {
  StartCluster(1);
  CreateLease("shard-0");
  // Deadlines so short that many writes are applied after the caller gave up on them: the
  // answer is then decided by reading, and must never say "lost" for a take that landed or
  // "won" for one that did not. Each take has an owner name of its own, so the table shows
  // whose write is there; a write that lost its compare can never land later.
  int won = 0, lost = 0, failed = 0;
  for (int i = 0; i < 300; ++i) {
    // From 100 µs to 1.5 ms: around what a write takes on loopback.
    auto hurried = NewCoordinator(std::chrono::microseconds(100 + (i % 15) * 100));
    const std::string me = "taker-" + std::to_string(i);
    const lease::Lease before = **table_->Get("shard-0");
    absl::StatusOr<bool> taken = hurried->Leases("app")->Take("shard-0", before.counter, me);
    const lease::Lease after = **table_->Get("shard-0");
    const bool mine = after.owner == me && after.counter == before.counter + 1;
    if (!taken.ok()) {
      ++failed;
      EXPECT_TRUE(common::IsRetryable(taken.status())) << taken.status();
    } else if (*taken) {
      ++won;
      EXPECT_TRUE(mine) << "take " << i << " said it won; the lease is " << after.owner << " at "
                        << after.counter;
    } else {
      ++lost;
      EXPECT_FALSE(mine) << "take " << i << " said it lost, but its write is there";
    }
  }
  std::cout << "takes: " << won << " won, " << lost << " lost, " << failed << " failed\n";
}

}  // namespace
}  // namespace eddy::testing
