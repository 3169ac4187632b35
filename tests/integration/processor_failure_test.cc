// Processors that fail, meeting the lifecycle: a graceful shutdown, a hand-off, a stop by
// policy or the end of a shard during a failing batch must never record that batch as done.
// Real worker processes (tests/workers/scripted_worker.cc) against a real broker, reading
// records over each transport.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "checkpoint/extended_sequence_number.h"
#include "tests/integration/consumer_fixture.h"
#include "tests/integration/keyed_producer.h"

namespace eddy::testing {
namespace {

using checkpoint::ExtendedSequenceNumber;
using std::chrono::seconds;

constexpr char kShard0[] = "shardId-000000000000";

class ProcessorFailureTest : public TransportTest {
 protected:
  void SetUp() override {
    TransportTest::SetUp();
    producer_ = std::make_unique<KeyedProducer>(broker_.address(), "s");
  }

  // The sequence number the broker gave `key`'s record `counter`.
  std::string SequenceOf(const std::string& key, int64_t counter) {
    for (const AckedRecord& record : producer_->Acked()) {
      if (record.key == key && record.counter == counter) return record.sequence_number;
    }
    ADD_FAILURE() << "no record " << key << "#" << counter;
    return "";
  }

  // The shard's checkpoint lies before `key`'s record `counter` (that record and everything
  // after it are still to be processed).
  void ExpectCheckpointBefore(const std::string& shard, const std::string& key, int64_t counter) {
    const std::string text = LeaseCheckpoints()[shard];
    absl::StatusOr<ExtendedSequenceNumber> checkpoint = ExtendedSequenceNumber::Parse(text);
    ASSERT_TRUE(checkpoint.ok()) << text;
    EXPECT_LT(*checkpoint, *ExtendedSequenceNumber::Of(SequenceOf(key, counter)))
        << shard << " was checkpointed at " << text << ", past the record that kept failing";
  }

  bool WaitForEvent(const BackgroundProcess& worker, const std::string& event, size_t count = 1) {
    return WaitFor([&] { return Events(worker, event).size() >= count; }, seconds(30));
  }

  static bool ExitedCleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

  std::unique_ptr<KeyedProducer> producer_;
};

TEST_P(ProcessorFailureTest, AShutdownDuringRetriesOfAFailingBatchCheckpointsNothingOfIt) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 20).ok());
  BackgroundProcess& failing =
      StartWorker("failing", 2000, ScriptedWorkerBinary(), {"--fail", "k#10"});
  ASSERT_TRUE(WaitForEvent(failing, "ProcessFailed", 2)) << failing.Err();
  EXPECT_TRUE(ExitedCleanly(failing.Stop(SIGTERM)));
  EXPECT_EQ(Events(failing, "ShutdownRequested").size(), 1u);
  ExpectCheckpointBefore(kShard0, "k", 10);

  StartWorker("healthy", 2000, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << "records of the failed batch lost";
  ExpectCompleteAndInOrder(producer_->Produced());
}

TEST_P(ProcessorFailureTest, WhatAFailingCallCheckpointedExplicitlyStaysDone) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 20).ok());
  BackgroundProcess& failing = StartWorker("failing", 2000, ScriptedWorkerBinary(),
                                           {"--fail", "k#10", "--partial-on-failure"});
  ASSERT_TRUE(WaitForEvent(failing, "ProcessFailed", 2)) << failing.Err();
  // The retry starts at the poisoned record: what the processor vouched for is not re-sent.
  const std::vector<nlohmann::json> failures = Events(failing, "ProcessFailed");
  EXPECT_EQ(failures[1]["First"], SequenceOf("k", 10));
  EXPECT_TRUE(ExitedCleanly(failing.Stop(SIGTERM)));
  EXPECT_EQ(LeaseCheckpoints()[kShard0], SequenceOf("k", 9));

  BackgroundProcess& healthy = StartWorker("healthy", 2000, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  ExpectCompleteAndInOrder(producer_->Produced());
  for (const Processed& record : Parse(healthy)) {
    EXPECT_NE(record.data, "eddy-produce|k|9|") << "the explicit checkpoint was ignored";
  }
}

TEST_P(ProcessorFailureTest, StoppingTheShardByPolicyCheckpointsNothingOfTheFailedBatch) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 20).ok());
  // kStopShard: the first failure stops the shard and releases its lease; the worker takes
  // it again and, the failure being transient, processes everything.
  BackgroundProcess& worker = StartWorker("worker", 2000, ScriptedWorkerBinary(),
                                          {"--fail", "k#10:1", "--on-error", "stop-shard"});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << worker.Err();
  ExpectCompleteAndInOrder(producer_->Produced());
  EXPECT_EQ(Events(worker, "ProcessFailed").size(), 1u);
  EXPECT_EQ(Events(worker, "ShutdownRequested").size(), 1u) << "the shard was stopped once";
  EXPECT_GE(Events(worker, "Initialize").size(), 2u) << "and taken up again";
}

TEST_P(ProcessorFailureTest, AHandOffDuringAFailingBatchCheckpointsNothingOfIt) {
  CreateStream("s", 2);
  // Keys on both shards, each failing at its third record for the first worker.
  std::vector<std::string> keys;
  std::vector<std::string> fail_args;
  for (int k = 0; k < 8; ++k) {
    keys.push_back("key" + std::to_string(k));
    fail_args.insert(fail_args.end(), {"--fail", keys.back() + "#2"});
  }
  ASSERT_TRUE(producer_->Put(keys, 6).ok());
  std::set<std::string> shards;
  for (const AckedRecord& record : producer_->Acked()) shards.insert(record.shard_id);
  ASSERT_EQ(shards.size(), 2u) << "the keys must cover both shards";

  BackgroundProcess& failing = StartWorker("failing", 2000, ScriptedWorkerBinary(), fail_args);
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners()["failing"] == 2; }, seconds(30)));
  ASSERT_TRUE(WaitForEvent(failing, "ProcessFailed", 2));
  // A second worker asks for one lease: the failing owner hands it over mid-retries.
  BackgroundProcess& healthy = StartWorker("healthy", 2000, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitForEvent(failing, "ShutdownRequested")) << "no hand-off happened";
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners()["healthy"] == 1; }, seconds(30)));
  // Then the failing worker shuts down, also mid-retries, and the healthy one takes the rest.
  EXPECT_TRUE(ExitedCleanly(failing.Stop(SIGTERM)));
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << healthy.Err();
  ExpectCompleteAndInOrder(producer_->Produced());
}

TEST_P(ProcessorFailureTest, AFailingFinalBatchNeverReachesShardEnd_Polling) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 16).ok());
  ASSERT_TRUE(SplitInHalf("s", kShard0).ok());
  // Polling returns the shard's last records together with its end.
  BackgroundProcess& failing = StartWorker("failing", 2000, ScriptedWorkerBinary(),
                                           {"--retrieval", "polling", "--fail", "k#8"});
  ASSERT_TRUE(WaitForEvent(failing, "ProcessFailed", 2)) << failing.Err();
  EXPECT_TRUE(ExitedCleanly(failing.Stop(SIGTERM)));
  EXPECT_TRUE(Events(failing, "ShardEnded").empty());
  const std::map<std::string, std::string> checkpoints = LeaseCheckpoints();
  EXPECT_NE(checkpoints.at(kShard0), "SHARD_END");
  EXPECT_EQ(checkpoints.size(), 1u) << "children got leases before their parent was processed";

  StartWorker("healthy", 2000, ScriptedWorkerBinary(), {"--retrieval", "polling"});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  ExpectCompleteAndInOrder(producer_->Produced());
  EXPECT_TRUE(WaitFor([&] { return LeaseCheckpoints().size() == 3; }, seconds(30)))
      << "the children start once the parent is done";
}

TEST_P(ProcessorFailureTest, StoppingTheShardAtItsFailingFinalBatchNeverReachesShardEnd) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 16).ok());
  ASSERT_TRUE(SplitInHalf("s", kShard0).ok());
  BackgroundProcess& worker =
      StartWorker("worker", 2000, ScriptedWorkerBinary(),
                  {"--retrieval", "polling", "--fail", "k#8:1", "--on-error", "stop-shard"});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << worker.Err();
  ExpectCompleteAndInOrder(producer_->Produced());
  // SHARD_END came only after the retake processed the whole shard.
  ASSERT_TRUE(WaitForEvent(worker, "ShardEnded")) << worker.Err();
  const std::vector<nlohmann::json> ended = Events(worker, "ShardEnded");
  ASSERT_FALSE(ended.empty());
  EXPECT_EQ(ended.front()["ShardId"], kShard0);
  EXPECT_GT(ended.front()["AtMicros"].get<int64_t>(),
            Events(worker, "ProcessFailed")[0]["AtMicros"].get<int64_t>());
}

TEST_P(ProcessorFailureTest, ExceptionsFromEveryCallbackAreContained) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 10).ok());
  ASSERT_TRUE(SplitInHalf("s", kShard0).ok());
  // Initialize throws twice (retried until it returns), ShardEnded once (asked again),
  // ShutdownRequested always (the worker still shuts down and lets its leases go).
  BackgroundProcess& worker = StartWorker("worker", 2000, ScriptedWorkerBinary(),
                                          {"--throw-in", "Initialize:2", "--throw-in",
                                           "ShardEnded:1", "--throw-in", "ShutdownRequested"});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << worker.Err();
  ASSERT_TRUE(WaitFor([&] { return LeaseCheckpoints()[kShard0] == "SHARD_END"; }, seconds(30)));
  EXPECT_GE(Events(worker, "Initialize").size(), 3u);
  EXPECT_GE(Events(worker, "ShardEnded").size(), 2u);
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners()["worker"] == 2; }, seconds(30)))
      << "the children were never taken";
  EXPECT_TRUE(ExitedCleanly(worker.Stop(SIGTERM)));
  EXPECT_EQ(Events(worker, "ShutdownRequested").size(), 2u);
  EXPECT_EQ(LeaseOwners()["worker"], 0) << "leases kept after a throwing ShutdownRequested";
}

TEST_P(ProcessorFailureTest, AThrowingLeaseLostLeavesTheWorkerRunning) {
  CreateStream("s", 1);
  ASSERT_TRUE(producer_->Put({"k"}, 10).ok());
  BackgroundProcess& first = StartWorker("first", 500, ScriptedWorkerBinary(),
                                         {"--throw-in", "LeaseLost", "--checkpoint", "none"});
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  // Frozen past the failover time: the other worker takes the lease; when the first one
  // wakes, its lease is lost — LeaseLost throws, and the worker carries on.
  ASSERT_EQ(kill(first.pid(), SIGSTOP), 0);
  StartWorker("second", 500, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners()["second"] == 1; }, seconds(30)));
  ASSERT_EQ(kill(first.pid(), SIGCONT), 0);
  ASSERT_TRUE(WaitForEvent(first, "LeaseLost")) << first.Err();
  ASSERT_TRUE(producer_->Put({"k"}, 5).ok());
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  EXPECT_TRUE(first.Alive());
  EXPECT_TRUE(ExitedCleanly(first.Stop(SIGTERM))) << first.Err();
}

INSTANTIATE_TEST_SUITE_P(Transports, ProcessorFailureTest, AllTransports(), TransportName);

}  // namespace
}  // namespace eddy::testing
