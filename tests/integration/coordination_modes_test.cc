// Where the lease table lives — the broker, an embedded store, a separate coordinator —
// and what happens when the coordinator stalls; worker options of `eddy consume`; a
// two-phase checkpoint handed to the next owner.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/integration/consumer_fixture.h"
#include "tests/integration/keyed_producer.h"

namespace eddy::testing {
namespace {

using std::chrono::seconds;

class CoordinationModesTest : public ConsumerTest {
 protected:
  void SetUp() override {
    ConsumerTest::SetUp();
    producer_ = std::make_unique<KeyedProducer>(broker_.address(), "s");
  }

  // The lease table of "app" as the coordinator at `endpoint` has it (empty if none).
  nlohmann::json LeasesAt(const std::string& endpoint) {
    CommandResult leases =
        RunEddy({"leases", "--application", "app", "--output", "json"}, endpoint);
    nlohmann::json json = nlohmann::json::parse(leases.out, nullptr, false);
    return json.is_object() ? json["Leases"] : nlohmann::json::array();
  }

  static bool ExitedCleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

  std::unique_ptr<KeyedProducer> producer_;
};

TEST_F(CoordinationModesTest, AnEmbeddedCoordinatorKeepsLeasesInTheWorkersOwnStore) {
  CreateStream("s", 2);
  ASSERT_TRUE(producer_->Put({"a", "b", "c", "d"}, 10).ok());
  const std::string path = dir_.path() + "/embedded-leases";
  BackgroundProcess& first =
      StartWorker("first", 2000, ScriptedWorkerBinary(), {"--embedded-coordinator", path});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << first.Err();
  EXPECT_TRUE(ExitedCleanly(first.Stop(SIGTERM)));
  EXPECT_TRUE(LeasesAt(broker_.address()).empty()) << "the broker holds no lease of it";

  // A restart on the same store resumes after its checkpoints: only the new records.
  ASSERT_TRUE(producer_->Put({"a", "b", "c", "d"}, 5).ok());
  BackgroundProcess& second =
      StartWorker("second", 2000, ScriptedWorkerBinary(), {"--embedded-coordinator", path});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << second.Err();
  EXPECT_EQ(Parse(second).size(), 20u) << "replayed what was checkpointed";
  ExpectCompleteAndInOrder(producer_->Produced());
}

TEST_F(CoordinationModesTest, ASeparateCoordinatorHoldsTheLeases) {
  BrokerProcess coordinator;
  ASSERT_TRUE(coordinator.Start(dir_.path() + "/coordinator", {"--limits", "none"}));
  CreateStream("s", 2);
  ASSERT_TRUE(producer_->Put({"a", "b", "c", "d"}, 10).ok());
  StartWorker("w", 2000, ScriptedWorkerBinary(), {"--coordinator", coordinator.address()});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  ExpectCompleteAndInOrder(producer_->Produced());
  EXPECT_EQ(LeasesAt(coordinator.address()).size(), 2u);
  EXPECT_TRUE(LeasesAt(broker_.address()).empty());
}

TEST_F(CoordinationModesTest, AStalledCoordinatorStopsDeliveryWithinTheFailoverTime) {
  BrokerProcess coordinator;
  ASSERT_TRUE(coordinator.Start(dir_.path() + "/coordinator", {"--limits", "none"}));
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 10).ok());
  BackgroundProcess& worker =
      StartWorker("w", 3000, ScriptedWorkerBinary(),
                  {"--coordinator", coordinator.address(), "--checkpoint", "record"});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  // The coordinator freezes (its host hangs): calls to it neither succeed nor fail.
  ASSERT_EQ(kill(coordinator.pid(), SIGSTOP), 0);
  ASSERT_TRUE(producer_->Put({"k"}, 1).ok());
  // A checkpoint now fails with a retryable error (the call's deadline is failover / 3)...
  EXPECT_TRUE(WaitFor([&] { return !Events(worker, "CheckpointFailed").empty(); }, seconds(20)))
      << worker.Err();
  for (const nlohmann::json& failed : Events(worker, "CheckpointFailed")) {
    EXPECT_TRUE(failed["Retryable"].get<bool>()) << failed.dump();
  }
  // ...and without renewals the worker stops on its own, though nothing told it so.
  EXPECT_TRUE(WaitFor([&] { return !Events(worker, "LeaseLost").empty(); }, seconds(20)))
      << "still delivering with a lease it could not renew\n"
      << worker.Err();
  ASSERT_EQ(kill(coordinator.pid(), SIGCONT), 0);
  ASSERT_TRUE(producer_->Put({"k"}, 5).ok());
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << worker.Err();
  ExpectCompleteAndInOrder(producer_->Produced());
}

TEST_F(CoordinationModesTest, AWorkersLeaseCapLeavesTheRestToOthers_EddyConsumePolling) {
  CreateStream("s", 3);
  StartWorker("a", 2000, "", {"--max-leases", "1", "--retrieval", "polling"});
  StartWorker("b", 2000, "", {"--max-leases", "1", "--retrieval", "polling"});
  ASSERT_TRUE(WaitFor(
      [&] {
        auto owners = LeaseOwners();
        return owners["a"] == 1 && owners["b"] == 1 && owners[""] == 1;
      },
      seconds(30)))
      << Leases().dump();
  StartWorker("c", 2000, "", {"--max-leases", "1", "--retrieval", "polling"});
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners()["c"] == 1; }, seconds(30)));
  ASSERT_EQ(Produce(600, "0", 24).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return DistinctProcessed() >= 600; }, seconds(60)));
  ExpectCompleteAndInOrder(produced_);
  EXPECT_EQ(LeaseOwners(), (std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 1}}));
}

TEST_F(CoordinationModesTest, APreparedCheckpointReachesTheNextOwnersInitialize) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 10).ok());
  BackgroundProcess& first =
      StartWorker("first", 2000, ScriptedWorkerBinary(),
                  {"--checkpoint", "prepare-only", "--shutdown-checkpoint", "no"});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  ASSERT_TRUE(WaitFor([&] { return !Events(first, "Checkpointed").empty(); }, seconds(30)));
  EXPECT_TRUE(ExitedCleanly(first.Stop(SIGTERM)));
  const std::string last = producer_->Acked().back().sequence_number;

  BackgroundProcess& second = StartWorker("second", 2000, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitFor([&] { return !Events(second, "Initialize").empty(); }, seconds(30)));
  const nlohmann::json initialize = Events(second, "Initialize")[0];
  EXPECT_EQ(initialize["Checkpoint"], "TRIM_HORIZON") << "a prepared checkpoint is not final";
  EXPECT_EQ(initialize.value("Pending", ""), last);
  // Not committed, so everything comes again.
  ASSERT_TRUE(WaitFor([&] { return Parse(second).size() >= 10; }, seconds(30)));
}

}  // namespace
}  // namespace eddy::testing
