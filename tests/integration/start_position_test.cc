// Where a consumer application starts — LATEST, AT_TIMESTAMP — and that LATEST is resolved
// once: a subscription taken over or dropped, a throttled poll or a broker restart never
// makes a worker start at a new "latest" and skip what arrived in between.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "checkpoint/extended_sequence_number.h"
#include "tests/integration/consumer_fixture.h"
#include "tests/integration/keyed_producer.h"

namespace eddy::testing {
namespace {

using std::chrono::seconds;

constexpr char kShard0[] = "shardId-000000000000";

class StartPositionTest : public ConsumerTest {
 protected:
  std::vector<std::string> BrokerArgs() override {
    return {"--limits", "none", "--consumer-activation-ms", "0", "--subscription-takeover-ms",
            "200"};
  }
  void SetUp() override {
    ConsumerTest::SetUp();
    producer_ = std::make_unique<KeyedProducer>(broker_.address(), "s");
  }

  // The shard's lease holds a real position: the worker has recorded where LATEST was.
  bool LatestResolved(const std::string& shard) {
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> checkpoint =
        checkpoint::ExtendedSequenceNumber::Parse(LeaseCheckpoints()[shard]);
    return checkpoint.ok() && !checkpoint->is_sentinel();
  }

  // Every record `after` produced was processed, in order (records of other keys aside).
  void ExpectAllOf(const KeyedProducer& after) {
    const std::map<std::string, int64_t> produced = after.Produced();
    auto of_these_keys = [&] {
      std::vector<tools::ProcessedRecord> events;
      for (tools::ProcessedRecord& r : AllProcessed()) {
        if (produced.count(r.partition_key) != 0) events.push_back(std::move(r));
      }
      return events;
    };
    ASSERT_TRUE(WaitFor([&] { return tools::Judge(of_these_keys(), produced, {}).missing == 0; },
                        seconds(60)))
        << "records after the start were lost";
    const tools::Verdict verdict = tools::Judge(of_these_keys(), produced, {});
    EXPECT_EQ(verdict.order_violations, 0);
    EXPECT_EQ(verdict.unexpected, 0);
    for (const std::string& example : verdict.examples) ADD_FAILURE() << example;
  }

  std::string ConsumerArn() {
    CommandResult described =
        RunEddy({"describe-stream-consumer", "--stream-name", "s", "--consumer-name", "app"},
                broker_.address());
    return nlohmann::json::parse(described.out)["ConsumerDescription"]["ConsumerARN"];
  }

  std::unique_ptr<KeyedProducer> producer_;
};

TEST_F(StartPositionTest, LatestSkipsWhatCameBeforeAndGetsEverythingAfter) {
  CreateStream("s", 1);
  KeyedProducer before(broker_.address(), "s");
  ASSERT_TRUE(before.Put({"old"}, 10).ok());
  StartWorker("w", 2000, ScriptedWorkerBinary(), {"--initial-position", "LATEST"});
  ASSERT_TRUE(WaitFor([&] { return LatestResolved(kShard0); }, seconds(30)))
      << "LATEST was never recorded on the lease";
  ASSERT_TRUE(producer_->Put({"new"}, 20).ok());
  ExpectAllOf(*producer_);
  for (const tools::ProcessedRecord& r : AllProcessed()) EXPECT_NE(r.partition_key, "old");
}

TEST_F(StartPositionTest, AtTimestampStartsAtTheFirstRecordAtOrAfterIt) {
  CreateStream("s", 1);
  KeyedProducer before(broker_.address(), "s");
  ASSERT_TRUE(before.Put({"old"}, 10).ok());
  const int64_t last_old = before.Acked().back().acked_at_micros / 1000;
  ASSERT_TRUE(WaitFor([&] { return absl::ToUnixMillis(absl::Now()) > last_old + 2; }, seconds(1)));
  const int64_t start = absl::ToUnixMillis(absl::Now());
  ASSERT_TRUE(producer_->Put({"new"}, 10).ok());
  StartWorker("w", 2000, ScriptedWorkerBinary(),
              {"--initial-position", "AT_TIMESTAMP", "--timestamp-millis", std::to_string(start)});
  ExpectAllOf(*producer_);
  for (const tools::ProcessedRecord& r : AllProcessed()) EXPECT_NE(r.partition_key, "old");
}

// The first batch at LATEST fails and the shard is stopped by policy (its lease released
// and taken again): where LATEST stood was recorded before that batch was delivered, so
// the retake starts there, not at a new "latest" past the failed batch.
class LatestFirstBatchTest : public StartPositionTest,
                             public ::testing::WithParamInterface<std::string> {};

TEST_P(LatestFirstBatchTest, AFailingFirstBatchAtLatestLosesNothing) {
  CreateStream("s", 1);
  BackgroundProcess& worker =
      StartWorker("w", 2000, ScriptedWorkerBinary(),
                  {"--initial-position", "LATEST", "--retrieval", GetParam(), "--on-error",
                   "stop-shard", "--fail", "k#0:1"});
  ASSERT_TRUE(WaitFor([&] { return LatestResolved(kShard0); }, seconds(30)))
      << "LATEST was not recorded before any record\n"
      << worker.Err();
  ASSERT_TRUE(producer_->Put({"k"}, 20).ok());
  ExpectAllOf(*producer_);
  EXPECT_EQ(Events(worker, "ProcessFailed").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Retrieval, LatestFirstBatchTest, ::testing::Values("fan-out", "polling"),
                         [](const auto& info) {
                           return info.param == "fan-out" ? std::string("FanOut")
                                                          : std::string("Polling");
                         });

TEST_F(StartPositionTest, ASubscriptionTakenOverAtLatestResumesWhereItWas) {
  CreateStream("s", 1);
  BackgroundProcess& worker =
      StartWorker("w", 2000, ScriptedWorkerBinary(), {"--initial-position", "LATEST"});
  ASSERT_TRUE(WaitFor([&] { return LatestResolved(kShard0); }, seconds(30)));
  // Another process subscribes with the application's consumer: the two take the shard's
  // subscription from each other back and forth while records arrive.
  // (A rival arriving within the takeover time of the worker's subscription is refused
  // and exits: it tries again.)
  BackgroundProcess rival;
  const std::string arn = ConsumerArn();
  ASSERT_TRUE(WaitFor(
      [&] {
        if (!rival.Alive()) {
          rival.Start(CliBinary(),
                      {"subscribe-to-shard", "--consumer-arn", arn, "--shard-id", kShard0,
                       "--starting-position", "Type=LATEST"},
                      {{"EDDY_ENDPOINT", broker_.address()}}, dir_.path() + "/rival.out");
        }
        return !rival.Lines().empty();
      },
      seconds(30)))
      << rival.Err();
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(producer_->Put({"k"}, 5).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(25));  // pacing, not waiting
  }
  rival.Stop(SIGTERM);
  ExpectAllOf(*producer_);
  EXPECT_NE(worker.Err().find("resubscribing"), std::string::npos)
      << "the rival never took the subscription over";
}

// With Kinesis' default limits: 5 GetRecords a second per shard.
class ThrottledStartPositionTest : public StartPositionTest {
 protected:
  std::vector<std::string> BrokerArgs() override { return {"--consumer-activation-ms", "0"}; }
};

TEST_F(ThrottledStartPositionTest, ThrottledPollingAtLatestNeverSkipsAhead) {
  CreateStream("s", 1);
  BackgroundProcess& worker =
      StartWorker("w", 2000, ScriptedWorkerBinary(),
                  {"--initial-position", "LATEST", "--retrieval", "polling"});
  // Once its first iterator is at LATEST, everything written after belongs to it — even
  // before it has seen a single record (no position to record yet).
  auto latest_asked = [&] {
    const std::string err = worker.Err();
    int count = 0;
    for (size_t at = err.find("polling from LATEST"); at != std::string::npos;
         at = err.find("polling from LATEST", at + 1)) {
      ++count;
    }
    return count;
  };
  ASSERT_TRUE(WaitFor([&] { return latest_asked() >= 1; }, seconds(30))) << worker.Err();
  // Let it run into its read limit while the shard is still empty (pacing, not waiting
  // for anything): throttled polls must keep the iterator, not ask for LATEST again.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // The worker polls every 50 ms, far above the limit: most of its calls are throttled.
  for (int round = 0; round < 60; ++round) {
    ASSERT_TRUE(producer_->Put({"k"}, 1).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pacing, not waiting
  }
  ExpectAllOf(*producer_);
  EXPECT_EQ(latest_asked(), 1) << "LATEST was resolved more than once";
}

TEST_F(StartPositionTest, ABrokerRestartAtLatestBeforeAnyRecordLosesNothing) {
  CreateStream("s", 1);
  StartWorker("w", 2000, ScriptedWorkerBinary(), {"--initial-position", "LATEST"});
  ASSERT_TRUE(WaitFor([&] { return LatestResolved(kShard0); }, seconds(30)));
  const std::string address = broker_.address();
  broker_.Stop(SIGKILL);
  ASSERT_TRUE(broker_.Start(
      data_dir_, {"--limits", "none", "--consumer-activation-ms", "0", "--listen", address}));
  ASSERT_TRUE(producer_->Put({"k"}, 50).ok());
  ExpectAllOf(*producer_);
}

}  // namespace
}  // namespace eddy::testing
