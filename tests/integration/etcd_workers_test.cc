// Worker processes coordinated by a real etcd cluster through its failures — the leader
// killed and restarted, quorum lost and regained, a worker killed — and a worker frozen past
// the failover time, on etcd and on the broker's coordinator alike. Every record is
// processed, each key in order, and no two workers ever process one shard at once (judged
// on every batch's start and end, stamped by one clock: this host's).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_join.h"
#include "tests/integration/consumer_fixture.h"
#include "tests/integration/etcd_cluster.h"
#include "tests/integration/network_namespace.h"

namespace eddy::testing {
namespace {

using std::chrono::seconds;

constexpr int64_t kFailoverMillis = 3'000;

class EtcdWorkersTest : public ConsumerTest {
 protected:
  void StartCluster(int members) {
    cluster_ = std::make_unique<EtcdCluster>(dir_.path() + "/etcd", members);
    ASSERT_TRUE(cluster_->Start());
  }

  std::string EtcdUrl() const { return "etcd://" + absl::StrJoin(cluster_->endpoints(), ","); }

  // A worker on etcd (reached at `etcd_host`) with a 2 s session TTL, started through
  // `launcher` when given.
  BackgroundProcess& StartEtcdWorker(const std::string& id,
                                     const std::string& etcd_host = "127.0.0.1",
                                     const std::vector<std::string>& launcher = {}) {
    return StartWorker(
        id, kFailoverMillis, ScriptedWorkerBinary(),
        {"--etcd", absl::StrJoin(cluster_->endpoints(etcd_host), ","), "--session-ttl-ms", "2000"},
        launcher);
  }

  // How many leases each worker owns, as etcd has them.
  std::map<std::string, int> EtcdOwners() {
    std::map<std::string, int> owners;
    for (const auto& lease : EtcdLeases()) ++owners[lease["LeaseOwner"].get<std::string>()];
    return owners;
  }

  // The lease table in etcd, as `eddy leases --coordinator etcd://…` prints it.
  nlohmann::json EtcdLeases() {
    CommandResult leases =
        RunEddy({"leases", "--application", "app", "--coordinator", EtcdUrl(), "--output", "json"},
                broker_.address());
    nlohmann::json json = nlohmann::json::parse(leases.out, nullptr, false);
    return json.is_object() ? json["Leases"] : nlohmann::json::array();
  }

  // The last sequence number processed in each shard, by any worker.
  std::map<std::string, std::string> LastProcessed() {
    std::map<std::string, std::string> last;
    for (const tools::ProcessedRecord& r : AllProcessed()) {
      std::string& seen = last[r.shard_id];
      if (seen.size() < r.sequence_number.size() ||
          (seen.size() == r.sequence_number.size() && seen < r.sequence_number)) {
        seen = r.sequence_number;
      }
    }
    return last;
  }

  struct Batch {
    std::string worker;
    int64_t start = 0;
    int64_t end = 0;
  };

  // No instant at which two workers were inside a batch of the same shard.
  void ExpectNoTwoWorkersAtOnce() {
    std::map<std::string, std::map<std::pair<std::string, int64_t>, Batch>> batches;
    for (auto& [id, worker] : workers_) {
      for (const std::string& line : worker->Lines()) {
        nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
        if (!json.is_object() || !json.contains("BatchStartMicros")) continue;
        const int64_t start = json["BatchStartMicros"].get<int64_t>();
        batches[json["ShardId"].get<std::string>()][{id, start}] =
            Batch{id, start, json["ProcessedAtMicros"].get<int64_t>()};
      }
    }
    for (auto& [shard, by_start] : batches) {
      std::vector<Batch> sorted;
      for (auto& [key, batch] : by_start) sorted.push_back(batch);
      std::sort(sorted.begin(), sorted.end(),
                [](const Batch& a, const Batch& b) { return a.start < b.start; });
      std::map<std::string, int64_t> last_end;  // worker → end of its latest batch so far
      for (const Batch& batch : sorted) {
        for (const auto& [other, end] : last_end) {
          EXPECT_TRUE(other == batch.worker || end <= batch.start)
              << shard << ": " << batch.worker << " started a batch at " << batch.start << " while "
              << other << " was in one until " << end;
        }
        last_end[batch.worker] = std::max(last_end[batch.worker], batch.end);
      }
    }
  }

  static size_t RecordLines(const std::vector<std::string>& lines, size_t from) {
    size_t records = 0;
    for (size_t i = from; i < lines.size(); ++i) {
      records += lines[i].find("\"BatchStartMicros\"") != std::string::npos;
    }
    return records;
  }

  std::unique_ptr<EtcdCluster> cluster_;
};

TEST_F(EtcdWorkersTest, WorkersSurviveLosingTheEtcdLeaderAndOneOfThem) {
  StartCluster(3);
  CreateStream("s", 4);
  for (const char* id : {"w1", "w2", "w3"}) StartEtcdWorker(id);
  // Balanced first (4 shards: 2, 1, 1), so that both kills hit workers holding shards.
  ASSERT_TRUE(WaitFor(
      [&] {
        std::map<std::string, int> owners = EtcdOwners();
        return owners["w1"] > 0 && owners["w2"] > 0 && owners["w3"] > 0;
      },
      seconds(60)))
      << EtcdLeases().dump();
  ASSERT_EQ(Produce(400).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_));
  const int leader = cluster_->Leader();
  ASSERT_GE(leader, 0);
  cluster_->Kill(leader);
  ASSERT_EQ(Produce(400).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_)) << workers_["w2"]->Err();
  ASSERT_TRUE(cluster_->Restart(leader));
  workers_["w1"]->Stop(SIGKILL);
  ASSERT_EQ(Produce(400).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_, seconds(90))) << workers_["w2"]->Err();
  ExpectCompleteAndInOrder(produced_, {"w1"});
  ExpectNoTwoWorkersAtOnce();
  for (const auto& lease : EtcdLeases()) {
    EXPECT_NE(lease["LeaseOwner"].get<std::string>(), "w1") << "the killed worker's leases";
  }
}

TEST_F(EtcdWorkersTest, EddyConsumeTakesAnEtcdCoordinatorUrl) {
  StartCluster(1);
  CreateStream("s", 2);
  BackgroundProcess& worker = StartWorker(
      "cli", kFailoverMillis, "", {"--coordinator", EtcdUrl(), "--session-ttl-ms", "2000"});
  ASSERT_EQ(Produce(50).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_)) << worker.Err();
  ExpectCompleteAndInOrder(produced_);
  EXPECT_EQ(EtcdOwners()["cli"], 2) << EtcdLeases().dump();
  EXPECT_TRUE(Leases().empty()) << "the broker holds none of its leases";
}

TEST_F(EtcdWorkersTest, LosingQuorumStopsTakingAndCheckpointingUntilItReturns) {
  StartCluster(3);
  CreateStream("s", 2);
  BackgroundProcess& a = StartEtcdWorker("a");
  BackgroundProcess& b = StartEtcdWorker("b");
  ASSERT_EQ(Produce(100).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_));
  const size_t lost_before = Events(a, "LeaseLost").size() + Events(b, "LeaseLost").size();
  cluster_->Kill(1);
  cluster_->Kill(2);
  ASSERT_EQ(Produce(100).exit_code, 0);
  // Renewals fail: each worker stops delivering within its failover time, and its
  // checkpoints fail (retryably) rather than pretend.
  EXPECT_TRUE(WaitFor(
      [&] {
        return Events(a, "LeaseLost").size() + Events(b, "LeaseLost").size() >= lost_before + 2;
      },
      seconds(30)))
      << a.Err();
  EXPECT_TRUE(a.Alive() && b.Alive()) << "a worker gave up without quorum\n" << a.Err();
  ASSERT_TRUE(cluster_->Restart(1));
  ASSERT_TRUE(cluster_->Restart(2));
  ASSERT_EQ(Produce(100).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_, seconds(90))) << a.Err();
  ExpectCompleteAndInOrder(produced_);
  ExpectNoTwoWorkersAtOnce();
  // Every shard's checkpoint reaches the last record processed: none was lost.
  const std::map<std::string, std::string> last = LastProcessed();
  EXPECT_TRUE(WaitFor(
      [&] {
        std::map<std::string, std::string> checkpoints;
        for (const auto& lease : EtcdLeases()) {
          checkpoints[lease["LeaseKey"].get<std::string>()] = lease["Checkpoint"];
        }
        return checkpoints == last;
      },
      seconds(30)))
      << EtcdLeases().dump();
}

// A worker in a network namespace of its own with two links: one to the broker, one to
// etcd. Cutting the etcd link leaves it records to deliver — which it must stop doing
// before the others can take its shards — and healing it makes it open a new session
// while it still holds the old one's leases.
class PartitionTest : public EtcdWorkersTest {
 protected:
  void SetUp() override {
    std::string why;
    if (!namespace_.Create(&why)) GTEST_SKIP() << "no network namespace: " << why;
    EtcdWorkersTest::SetUp();
  }
  // The broker listens where the namespace reaches it (the broker link).
  std::vector<std::string> BrokerArgs() override {
    std::vector<std::string> args = EtcdWorkersTest::BrokerArgs();
    args.insert(args.end(), {"--listen", namespace_.host_address(kBrokerLink) + ":0"});
    return args;
  }

  static constexpr int kBrokerLink = 0;
  static constexpr int kEtcdLink = 1;
  NetworkNamespace namespace_{2};
};

TEST_F(PartitionTest, AWorkerCutOffStopsBeforeOthersTakeItsLeasesAndRejoinsCleanly) {
  const std::string etcd_host = namespace_.host_address(kEtcdLink);
  cluster_ = std::make_unique<EtcdCluster>(dir_.path() + "/etcd", 1, etcd_host);
  ASSERT_TRUE(cluster_->Start());
  CreateStream("s", 2);
  BackgroundProcess& cut = StartEtcdWorker("cut", etcd_host, namespace_.Launcher());
  StartEtcdWorker("other", etcd_host);
  ASSERT_TRUE(WaitFor(
      [&] {
        std::map<std::string, int> owners = EtcdOwners();
        return owners["cut"] == 1 && owners["other"] == 1;
      },
      seconds(60)))
      << EtcdLeases().dump() << cut.Err();
  ASSERT_EQ(Produce(100).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_)) << cut.Err();
  // Records keep reaching both workers while the cut one cannot see etcd; the other takes
  // its shard once its session's TTL has run out — by then the cut worker has stopped
  // delivering (judged below, batch by batch).
  ASSERT_TRUE(namespace_.Cut(kEtcdLink));
  std::thread producer([&] { Produce(300, "100"); });
  EXPECT_TRUE(WaitFor([&] { return !Events(cut, "LeaseLost").empty(); }, seconds(20)))
      << "the cut-off worker never stopped\n"
      << cut.Err();
  EXPECT_TRUE(WaitFor([&] { return EtcdOwners()["other"] == 2; }, seconds(20)))
      << EtcdLeases().dump();
  producer.join();
  ASSERT_TRUE(WaitAllProcessed(produced_)) << workers_["other"]->Err();
  ExpectNoTwoWorkersAtOnce();
  // Joined again, it opens a new session and takes its share back.
  ASSERT_TRUE(namespace_.Heal(kEtcdLink));
  ASSERT_TRUE(WaitFor([&] { return EtcdOwners()["cut"] == 1; }, seconds(60)))
      << EtcdLeases().dump() << cut.Err();
  ASSERT_EQ(Produce(100).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_)) << cut.Err();
  ExpectCompleteAndInOrder(produced_);
  ExpectNoTwoWorkersAtOnce();
}

// A worker frozen (SIGSTOP) past the failover time wakes (SIGCONT) and processes nothing
// more of the shards others took meanwhile — on either coordinator.
class FrozenWorkerTest : public EtcdWorkersTest,
                         public ::testing::WithParamInterface<std::string> {};

TEST_P(FrozenWorkerTest, AWorkerFrozenPastTheFailoverTimeProcessesNothingItLost) {
  const bool etcd = GetParam() == "etcd";
  if (etcd) StartCluster(1);
  CreateStream("s", 1);
  auto start = [&](const std::string& id) -> BackgroundProcess& {
    return etcd ? StartEtcdWorker(id) : StartWorker(id, kFailoverMillis, ScriptedWorkerBinary());
  };
  BackgroundProcess& a = start("a");
  ASSERT_EQ(Produce(50, "0", 4).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_));
  BackgroundProcess& b = start("b");
  // Records keep coming while a is frozen; b takes the shard once a's lease runs out.
  ASSERT_EQ(kill(a.pid(), SIGSTOP), 0);
  ASSERT_EQ(Produce(50, "0", 4).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_)) << b.Err();
  const size_t a_lines = a.Lines().size();
  const size_t a_lost = Events(a, "LeaseLost").size();
  ASSERT_EQ(kill(a.pid(), SIGCONT), 0);
  ASSERT_EQ(Produce(50, "0", 4).exit_code, 0);
  ASSERT_TRUE(WaitAllProcessed(produced_)) << b.Err();
  // a learns it lost the shard, having delivered nothing of it since it woke.
  EXPECT_TRUE(WaitFor([&] { return Events(a, "LeaseLost").size() > a_lost; }, seconds(20)))
      << a.Err();
  EXPECT_EQ(RecordLines(a.Lines(), a_lines), 0u) << "stale batches after waking\n" << a.Err();
  ExpectCompleteAndInOrder(produced_);
  ExpectNoTwoWorkersAtOnce();
}

INSTANTIATE_TEST_SUITE_P(Coordinators, FrozenWorkerTest, ::testing::Values("broker", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace eddy::testing
