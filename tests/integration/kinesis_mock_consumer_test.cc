// Eddy's workers on a Kinesis implementation that is not Eddy's: kinesis-mock (npm
// kinesis-local, Scala, started here on a free loopback port). boto3 creates the stream and
// puts the records; three `eddy consume` workers read them over the Kinesis API — by
// enhanced fan-out (kinesis-mock: no initial-response, an event a second, never ChildShards,
// ResourceInUse while a dead worker's session lingers) and by GetRecords polling — with
// their leases in an eddy-broker. One worker is SIGKILLed mid-stream: every record is
// processed, each key in order.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/integration/consumer_fixture.h"
#include "tests/integration/peer_servers.h"

namespace eddy::testing {
namespace {

class KinesisMockConsumerTest : public ConsumerTest,
                                public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    transport_ = "kinesis";
    ConsumerTest::SetUp();
    const int port = StartKinesisMock(mock_, dir_.path() + "/kinesis-mock");
    ASSERT_NE(port, 0);
    kinesis_url_ = "http://127.0.0.1:" + std::to_string(port);
  }

  // kinesis_stream_tool.py (boto3) against kinesis-mock.
  CommandResult Boto3(const std::vector<std::string>& args) {
    std::vector<std::string> all = {SourceDirectory() + "/tests/integration/kinesis_stream_tool.py",
                                    kinesis_url_};
    all.insert(all.end(), args.begin(), args.end());
    return RunProgram("/usr/bin/python3", all, AwsTestEnvironment(), std::chrono::seconds(120));
  }

  // Records `count` over `keys` fresh keys, put by boto3; adds them to produced_ first (the
  // put may run on another thread).
  std::vector<std::string> NextPut(int count, int keys) {
    put_prefix_ = "m" + std::to_string(produced_batches_++) + "-";
    put_keys_ = keys;
    put_next_ = 0;
    return ContinuePut(count);
  }
  // The next `count` records of the keys of the last NextPut.
  std::vector<std::string> ContinuePut(int count) {
    const int first = put_next_;
    put_next_ += count;
    for (const auto& [key, n] : tools::ProducedPerKey(put_next_, put_keys_, put_prefix_)) {
      produced_[key] = n;
    }
    return {"put",       "s", std::to_string(count), std::to_string(put_keys_), put_prefix_,
            std::to_string(first)};
  }

  std::vector<std::string> WorkerArgs() {
    return {"--retrieval", GetParam(), "--initial-position", "TRIM_HORIZON"};
  }

  // Records worker `id` processed (duplicates included).
  size_t ProcessedBy(const std::string& id) { return Parse(*workers_[id]).size(); }

  BackgroundProcess mock_;
  std::string put_prefix_;
  int put_keys_ = 0;
  int put_next_ = 0;
};

TEST_P(KinesisMockConsumerTest, ThreeWorkersOneKilledProcessEveryRecordInKeyOrder) {
  CommandResult created = Boto3({"create", "s", "4"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  CommandResult first = Boto3(NextPut(400, 16));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  for (const char* id : {"w1", "w2", "w3"}) StartWorker(id, 1500, "", WorkerArgs());
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners().size() == 3; }, std::chrono::seconds(60)))
      << "the 4 leases are not spread over the 3 workers: " << Leases().dump();
  ASSERT_TRUE(WaitAllProcessed(produced_)) << workers_["w1"]->Err();
  // kinesis-mock took the first sync's ShardFilter (AT_TRIM_HORIZON) as it was sent.
  for (const char* id : {"w1", "w2", "w3"}) {
    EXPECT_EQ(workers_[id]->Err().find("ShardFilter was refused"), std::string::npos)
        << workers_[id]->Err();
  }

  // The second batch is put while w2 is killed in the middle of it.
  const std::vector<std::string> second = NextPut(600, 16);
  CommandResult put;
  std::thread producer([&] { put = Boto3(second); });
  const size_t before = ProcessedBy("w2");
  const bool w2_working =
      WaitFor([&] { return ProcessedBy("w2") > before; }, std::chrono::seconds(60));
  workers_["w2"]->Stop(SIGKILL);
  producer.join();
  ASSERT_EQ(put.exit_code, 0) << put.out << put.err;
  EXPECT_TRUE(w2_working) << "w2 processed nothing of the second batch";

  EXPECT_TRUE(WaitAllProcessed(produced_, std::chrono::seconds(120)))
      << workers_["w1"]->Err() << workers_["w3"]->Err();
  ExpectCompleteAndInOrder(produced_, {"w2"});
  // The leases live in the broker, and the killed worker's were taken over.
  EXPECT_TRUE(WaitFor(
      [&] {
        std::map<std::string, int> owners = LeaseOwners();
        return owners.count("w2") == 0 && owners["w1"] + owners["w3"] == 4;
      },
      std::chrono::seconds(30)))
      << Leases().dump();
}

// A split while two workers consume: the children are read only after their parent was
// read to its end — which kinesis-mock's subscriptions never say (no ChildShards), so in
// fan-out mode the workers find it out by asking (GetRecords from their resume position).
TEST_P(KinesisMockConsumerTest, ASplitWhileConsumingKeepsEveryKeyInOrder) {
  CommandResult created = Boto3({"create", "s", "2"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  for (const char* id : {"w1", "w2"}) StartWorker(id, 1500, "", WorkerArgs());
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners().size() == 2; }, std::chrono::seconds(60)))
      << Leases().dump();
  // The split comes right after the first records: the parent is closed while some of them
  // may still be unread — they must all come before any of the children's.
  CommandResult first = Boto3(NextPut(300, 16));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  CommandResult split = Boto3({"split", "s", "shardId-000000000000"});
  ASSERT_EQ(split.exit_code, 0) << split.out << split.err;
  CommandResult second = Boto3(ContinuePut(300));  // the same keys, now in the children
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;

  EXPECT_TRUE(WaitAllProcessed(produced_, std::chrono::seconds(90)))
      << workers_["w1"]->Err() << workers_["w2"]->Err();
  ExpectCompleteAndInOrder(produced_);
  // The parent's lease ends at SHARD_END; both children were read.
  std::map<std::string, std::string> checkpoints;
  EXPECT_TRUE(WaitFor(
      [&] {
        checkpoints = LeaseCheckpoints();
        return checkpoints["shardId-000000000000"] == "SHARD_END";
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(checkpoints.count("shardId-000000000002"), 1u);
  EXPECT_EQ(checkpoints.count("shardId-000000000003"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Retrieval, KinesisMockConsumerTest,
                         ::testing::Values("fan-out", "polling"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "fan-out" ? std::string("FanOut")
                                                          : std::string("Polling");
                         });

}  // namespace
}  // namespace eddy::testing
