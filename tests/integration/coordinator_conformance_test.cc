// One conformance suite for every LeaseTable / CheckpointStore backend: the embedded
// RocksDB store, the broker's CoordinatorService through the remote clients (a broker
// started in-process on 127.0.0.1, ephemeral port), and etcd — a real one-member and a
// real three-member cluster on free loopback ports.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "broker/server/server.h"
#include "client/remote_coordinator.h"
#include "common/errors.h"
#include "common/testing/temp_dir.h"
#include "coordination/etcd_coordinator.h"
#include "lease/coordinator_store.h"
#include "tests/integration/etcd_cluster.h"

namespace eddy::testing {
namespace {

using checkpoint::ExtendedSequenceNumber;
using checkpoint::Ownership;
using common::ErrorType;
using lease::Lease;

class EmbeddedBackend {
 public:
  void SetUp() {
    auto store = lease::CoordinatorStore::Open(dir_.path() + "/coordinator");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  absl::StatusOr<bool> CreateApplication(const std::string& app) {
    return store_->CreateApplication(app);
  }
  std::unique_ptr<lease::LeaseTable> Leases(const std::string& app) { return store_->Leases(app); }
  std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(const std::string& app) {
    return store_->Checkpoints(app);
  }

 private:
  common::testing::TempDir dir_;
  std::unique_ptr<lease::CoordinatorStore> store_;
};

class RemoteBackend {
 public:
  void SetUp() {
    broker::BrokerServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.broker.data_dir = dir_.path() + "/broker";
    auto server = broker::BrokerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_shared<client::CoordinatorClient>(
        client::StreamClientOptions{server_->address(), std::chrono::seconds(30)});
  }
  absl::StatusOr<bool> CreateApplication(const std::string& app) {
    return client_->CreateApplication(app);
  }
  std::unique_ptr<lease::LeaseTable> Leases(const std::string& app) {
    return std::make_unique<client::RemoteLeaseTable>(client_, app);
  }
  std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(const std::string& app) {
    return std::make_unique<client::RemoteCheckpointStore>(client_, app);
  }

 private:
  common::testing::TempDir dir_;
  std::unique_ptr<broker::BrokerServer> server_;
  std::shared_ptr<client::CoordinatorClient> client_;
};

// etcd with `kMembers` members, started once for the suite; every test gets a key prefix
// of its own, so tests never see each other's applications.
template <int kMembers>
class EtcdBackend {
 public:
  void SetUp() {
    // Destroyed at exit, in reverse order: the members are killed, then their folder goes.
    static const auto dir = std::make_unique<common::testing::TempDir>();
    static const auto cluster = [] {
      auto started = std::make_unique<EtcdCluster>(dir->path() + "/etcd", kMembers);
      if (!started->Start()) started.reset();
      return started;
    }();
    ASSERT_NE(cluster, nullptr) << "etcd did not start";
    static int tests = 0;
    coordination::EtcdCoordinatorOptions options;
    options.client.endpoints = cluster->endpoints();
    options.client.timeout = std::chrono::seconds(10);
    options.prefix = "/conformance-" + std::to_string(++tests);
    coordinator_ = std::make_unique<coordination::EtcdCoordinator>(options);
  }
  absl::StatusOr<bool> CreateApplication(const std::string& app) {
    return coordinator_->CreateApplication(app);
  }
  std::unique_ptr<lease::LeaseTable> Leases(const std::string& app) {
    return coordinator_->Leases(app);
  }
  std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(const std::string& app) {
    return coordinator_->Checkpoints(app);
  }

 private:
  std::unique_ptr<coordination::EtcdCoordinator> coordinator_;
};
using OneMemberEtcd = EtcdBackend<1>;
using ThreeMemberEtcd = EtcdBackend<3>;

template <typename Backend>
class CoordinatorConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.SetUp();
    if (HasFatalFailure()) return;  // the backend did not start: nothing to talk to
    ASSERT_TRUE(*backend_.CreateApplication("app"));
    leases_ = backend_.Leases("app");
    checkpoints_ = backend_.Checkpoints("app");
  }

  Lease NewLease(const std::string& key) {
    Lease lease;
    lease.key = key;
    lease.parent_shard_ids = {"shardId-000000000000"};
    lease.hash_range = common::HashKeyRange{10, 20};
    return lease;
  }

  Lease MustGet(const std::string& key) {
    auto lease = leases_->Get(key);
    EXPECT_TRUE(lease.ok() && lease->has_value()) << key;
    return lease.ok() && lease->has_value() ? **lease : Lease{};
  }

  // Takes `key` for `owner` and returns the ownership to checkpoint under.
  Ownership TakeFor(const std::string& key, const std::string& owner) {
    Lease lease = MustGet(key);
    auto won = leases_->Take(key, lease.counter, owner);
    EXPECT_TRUE(won.ok() && *won);
    return Ownership{owner, MustGet(key).epoch};
  }

  Backend backend_;
  std::unique_ptr<lease::LeaseTable> leases_;
  std::unique_ptr<checkpoint::CheckpointStore> checkpoints_;
};

using Backends = ::testing::Types<EmbeddedBackend, RemoteBackend, OneMemberEtcd, ThreeMemberEtcd>;
TYPED_TEST_SUITE(CoordinatorConformanceTest, Backends);

TYPED_TEST(CoordinatorConformanceTest, CreateIfAbsentWinsOnceAndListsInKeyOrder) {
  EXPECT_FALSE(*this->backend_.CreateApplication("app"));
  EXPECT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("shard-b")));
  EXPECT_FALSE(*this->leases_->CreateIfAbsent(this->NewLease("shard-b")));
  EXPECT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("shard-a")));
  auto all = this->leases_->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key, "shard-a");
  EXPECT_EQ((*all)[1], this->NewLease("shard-b"));
  EXPECT_FALSE(this->leases_->Get("missing")->has_value());
}

TYPED_TEST(CoordinatorConformanceTest, TakeNeedsTheObservedCounter) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  EXPECT_FALSE(*this->leases_->Take("s", 5, "w1"));
  EXPECT_FALSE(*this->leases_->Take("missing", 0, "w1"));
  ASSERT_TRUE(*this->leases_->Take("s", 0, "w1"));
  Lease taken = this->MustGet("s");
  EXPECT_EQ(taken.owner, "w1");
  EXPECT_EQ(taken.counter, 1u);
  EXPECT_EQ(taken.epoch, 1u);
  EXPECT_EQ(taken.owner_switches_since_checkpoint, 1u);
  EXPECT_FALSE(*this->leases_->Take("s", 0, "w2")) << "stale counter";
  ASSERT_TRUE(*this->leases_->Take("s", 1, "w1"));  // retaken by the same owner
  EXPECT_EQ(this->MustGet("s").owner_switches_since_checkpoint, 1u);
  EXPECT_EQ(this->MustGet("s").epoch, 2u) << "every take is a new ownership";
}

TYPED_TEST(CoordinatorConformanceTest, RenewNeedsOwnerAndCounter) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  ASSERT_TRUE(*this->leases_->Take("s", 0, "w1"));
  EXPECT_FALSE(*this->leases_->Renew("s", "w2", 1));
  EXPECT_FALSE(*this->leases_->Renew("s", "w1", 0));
  EXPECT_TRUE(*this->leases_->Renew("s", "w1", 1));
  Lease renewed = this->MustGet("s");
  EXPECT_EQ(renewed.counter, 2u);
  EXPECT_EQ(renewed.epoch, 1u) << "renewing keeps the ownership";
}

TYPED_TEST(CoordinatorConformanceTest, EvictNeedsTheOwner) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  ASSERT_TRUE(*this->leases_->Take("s", 0, "w1"));
  EXPECT_FALSE(*this->leases_->Evict("s", "w2"));
  EXPECT_TRUE(*this->leases_->Evict("s", "w1"));
  Lease evicted = this->MustGet("s");
  EXPECT_TRUE(evicted.owner.empty());
  EXPECT_EQ(evicted.counter, 2u);
  EXPECT_EQ(evicted.epoch, 2u);
  EXPECT_FALSE(*this->leases_->Evict("s", "w1"));
}

TYPED_TEST(CoordinatorConformanceTest, LineageUpdatesNeedTheOwnerAndDeleteNeedsTheLease) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  ASSERT_TRUE(*this->leases_->Take("s", 0, "w1"));
  const std::vector<std::string> children = {"shardId-000000000002", "shardId-000000000003"};
  EXPECT_FALSE(*this->leases_->UpdateLineage("s", "w2", children));
  EXPECT_TRUE(*this->leases_->UpdateLineage("s", "w1", children));
  EXPECT_EQ(this->MustGet("s").child_shard_ids, children);
  EXPECT_TRUE(*this->leases_->Delete("s"));
  EXPECT_FALSE(*this->leases_->Delete("s"));
  EXPECT_FALSE(this->leases_->Get("s")->has_value());
}

TYPED_TEST(CoordinatorConformanceTest, HandoffRequestsNeedTheOwnerAndClearOnTakeOrEvict) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  ASSERT_TRUE(*this->leases_->Take("s", 0, "w1"));
  EXPECT_FALSE(*this->leases_->RequestHandoff("s", "w9", "w2"));
  ASSERT_TRUE(*this->leases_->RequestHandoff("s", "w1", "w2"));
  Lease asked = this->MustGet("s");
  EXPECT_EQ(asked.handoff_to, "w2");
  EXPECT_EQ(asked.counter, 1u) << "asking does not touch the counter";
  ASSERT_TRUE(*this->leases_->Evict("s", "w1"));
  EXPECT_TRUE(this->MustGet("s").handoff_to.empty());
  ASSERT_TRUE(*this->leases_->Take("s", 2, "w1"));
  ASSERT_TRUE(*this->leases_->RequestHandoff("s", "w1", "w2"));
  ASSERT_TRUE(*this->leases_->Take("s", 3, "w2"));
  EXPECT_TRUE(this->MustGet("s").handoff_to.empty());
  EXPECT_EQ(ErrorType(this->leases_->RequestHandoff("s", "w2", "").status()),
            common::kInvalidArgument);
}

TYPED_TEST(CoordinatorConformanceTest, ManyTakersOneWinner) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("contested")));
  std::atomic<int> winners{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      auto won = this->leases_->Take("contested", 0, "worker-" + std::to_string(i));
      if (!won.ok()) ++errors;
      if (won.ok() && *won) ++winners;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(this->MustGet("contested").counter, 1u);
}

TYPED_TEST(CoordinatorConformanceTest, CheckpointsAreFencedByOwnership) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  const auto c1 = *ExtendedSequenceNumber::Of("100");
  const auto c2 = *ExtendedSequenceNumber::Of("200", 3);
  const Ownership a1 = this->TakeFor("s", "a");
  EXPECT_TRUE(*this->checkpoints_->Save("s", a1, c1, "state-a"));
  EXPECT_EQ(this->MustGet("s").owner_switches_since_checkpoint, 0u);
  const Ownership b = this->TakeFor("s", "b");
  EXPECT_FALSE(*this->checkpoints_->Save("s", a1, c2, "")) << "a lost the lease";
  EXPECT_TRUE(*this->checkpoints_->Save("s", b, c2, "state-b"));
  const Ownership a2 = this->TakeFor("s", "a");
  EXPECT_FALSE(*this->checkpoints_->Save("s", a1, c1, ""))
      << "a's old ownership stays fenced even after a re-acquired the lease";
  EXPECT_FALSE(*this->checkpoints_->Save("s", b, c1, ""));
  auto record = this->checkpoints_->Read("s");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->checkpoint, c2);
  EXPECT_EQ(record->state, "state-b");
  EXPECT_TRUE(*this->checkpoints_->Save("s", a2, ExtendedSequenceNumber::ShardEnd(), ""));
  EXPECT_EQ(this->checkpoints_->Read("s")->checkpoint, ExtendedSequenceNumber::ShardEnd());
  EXPECT_FALSE(*this->checkpoints_->Save("missing", a2, c1, ""));
  EXPECT_EQ(ErrorType(this->checkpoints_->Read("missing").status()), common::kResourceNotFound);
}

TYPED_TEST(CoordinatorConformanceTest, PrepareThenCommit) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  const Ownership owner = this->TakeFor("s", "w");
  const auto pending = *ExtendedSequenceNumber::Of("555");
  EXPECT_EQ(ErrorType(this->checkpoints_->Commit("s", owner).status()), common::kInvalidArgument)
      << "nothing to commit yet";
  ASSERT_TRUE(*this->checkpoints_->Prepare("s", owner, pending, "two-phase"));
  auto prepared = this->checkpoints_->Read("s");
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->checkpoint, ExtendedSequenceNumber::TrimHorizon());
  ASSERT_TRUE(prepared->pending.has_value());
  EXPECT_EQ(*prepared->pending, pending);
  EXPECT_EQ(prepared->pending_state, "two-phase");
  const Ownership stale{"w", owner.epoch - 1};
  EXPECT_FALSE(*this->checkpoints_->Commit("s", stale));
  EXPECT_FALSE(*this->checkpoints_->Prepare("s", stale, pending, ""));
  ASSERT_TRUE(*this->checkpoints_->Commit("s", owner));
  auto committed = this->checkpoints_->Read("s");
  EXPECT_EQ(committed->checkpoint, pending);
  EXPECT_EQ(committed->state, "two-phase");
  EXPECT_FALSE(committed->pending.has_value());
}

TYPED_TEST(CoordinatorConformanceTest, ApplicationsNeverSeeEachOther) {
  ASSERT_TRUE(*this->backend_.CreateApplication("other"));
  auto other = this->backend_.Leases("other");
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("shard")));
  EXPECT_TRUE(other->List()->empty());
  EXPECT_FALSE(other->Get("shard")->has_value());
  EXPECT_TRUE(*other->CreateIfAbsent(this->NewLease("shard")));
  ASSERT_TRUE(*other->Take("shard", 0, "x"));
  EXPECT_TRUE(this->MustGet("shard").owner.empty());
}

TYPED_TEST(CoordinatorConformanceTest, BadInputIsRefusedAndChangesNothing) {
  ASSERT_TRUE(*this->leases_->CreateIfAbsent(this->NewLease("s")));
  const Ownership owner = this->TakeFor("s", "w");
  const std::vector<Lease> before = *this->leases_->List();

  auto unknown = this->backend_.Leases("no-such-app");
  EXPECT_EQ(ErrorType(unknown->List().status()), common::kResourceNotFound);
  EXPECT_EQ(ErrorType(unknown->CreateIfAbsent(this->NewLease("s")).status()),
            common::kResourceNotFound);
  EXPECT_EQ(ErrorType(unknown->Take("s", 0, "w").status()), common::kResourceNotFound);
  EXPECT_EQ(ErrorType(this->backend_.CreateApplication("bad name!").status()),
            common::kInvalidArgument);
  for (const std::string& bad_key :
       {std::string(), std::string(300, 'k'), std::string("tab\there")}) {
    EXPECT_EQ(ErrorType(this->leases_->CreateIfAbsent(this->NewLease(bad_key)).status()),
              common::kInvalidArgument);
    EXPECT_EQ(ErrorType(this->leases_->Get(bad_key).status()), common::kInvalidArgument);
  }
  EXPECT_EQ(ErrorType(this->leases_->Take("s", 2, "").status()), common::kInvalidArgument);
  const std::string oversized(checkpoint::kMaxStateBytes + 1, 's');
  EXPECT_EQ(
      ErrorType(this->checkpoints_->Save("s", owner, *ExtendedSequenceNumber::Of("9"), oversized)
                    .status()),
      common::kInvalidArgument);
  EXPECT_EQ(
      ErrorType(this->checkpoints_->Prepare("s", owner, *ExtendedSequenceNumber::Of("9"), oversized)
                    .status()),
      common::kInvalidArgument);
  EXPECT_EQ(*this->leases_->List(), before);
}

}  // namespace
}  // namespace eddy::testing
