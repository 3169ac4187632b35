// The consumer framework end to end: real `eddy consume` worker processes (and one
// in-process scheduler) against a real broker, with short failover times.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "kcl/scheduler.h"
#include "tests/integration/consumer_fixture.h"
#include "tests/integration/produce_check.h"

namespace eddy::testing {
namespace {

class ConsumerFrameworkTest : public TransportTest {
 protected:
  // Workers "a" and "b" with two of four shards each.
  void TwoWorkersShareFourShards(int64_t failover_ms) {
    CreateStream("s", 4);
    StartWorker("a", failover_ms);
    StartWorker("b", failover_ms);
    ASSERT_TRUE(WaitFor(
        [&] {
          auto owners = LeaseOwners();
          return owners["a"] == 2 && owners["b"] == 2;
        },
        std::chrono::seconds(60)));
  }
};

TEST_P(ConsumerFrameworkTest, ARestartResumesRightAfterTheCheckpoint) {
  CreateStream("s", 2);
  ASSERT_EQ(Produce(1000).exit_code, 0);
  BackgroundProcess& first = StartWorker("w1", 1000);
  ASSERT_TRUE(WaitFor([&] { return first.Lines().size() >= 1000; }, std::chrono::seconds(60)))
      << first.Err();
  const int status = first.Stop(SIGTERM);  // graceful: checkpoints, releases the leases
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << first.Err();
  const std::vector<Processed> before = Parse(first);
  EXPECT_EQ(before.size(), 1000u);
  for (const auto& [owner, count] : LeaseOwners()) EXPECT_EQ(owner, "") << "released";

  ASSERT_EQ(Produce(500).exit_code, 0);
  BackgroundProcess& second = StartWorker("w2", 1000);
  ASSERT_TRUE(WaitFor([&] { return second.Lines().size() >= 500; }, std::chrono::seconds(60)))
      << second.Err();
  second.Stop(SIGTERM);
  const std::vector<Processed> after = Parse(second);
  EXPECT_EQ(after.size(), 500u) << "no replay before the checkpoint, nothing missing after it";
  std::set<std::string> seen;
  for (const Processed& p : before) seen.insert(p.sequence);
  for (const Processed& p : after) EXPECT_EQ(seen.count(p.sequence), 0u) << "replayed";
  OrderReport report;
  std::vector<v1::Record> as_records;
  for (const Processed& p : after) {
    v1::Record r;
    r.set_data(p.data);
    as_records.push_back(r);
  }
  CheckOrder(as_records, &report);
  EXPECT_EQ(report.records, 500);
  EXPECT_EQ(report.gaps + report.out_of_order, 0);
}

TEST_P(ConsumerFrameworkTest, ThreeWorkersShareTwelveShardsFourEach) {
  CreateStream("s", 12);
  StartWorker("a", 1000);
  StartWorker("b", 1000);
  StartWorker("c", 1000);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto owners = LeaseOwners();
        return owners["a"] == 4 && owners["b"] == 4 && owners["c"] == 4;
      },
      std::chrono::seconds(60)))
      << "owners: a=" << LeaseOwners()["a"] << " b=" << LeaseOwners()["b"]
      << " c=" << LeaseOwners()["c"];
}

TEST_P(ConsumerFrameworkTest, AKilledWorkersShardsAreTakenAndNothingIsLost) {
  CreateStream("s", 4);
  StartWorker("a", 1000);
  StartWorker("b", 1000);
  StartWorker("c", 1000);
  ASSERT_TRUE(WaitFor(
      [&] {
        // Every lease owned (2/1/1, or 2/2/0: nobody holds more than its share of 2).
        auto owners = LeaseOwners();
        int owned = 0;
        for (const auto& [owner, count] : owners) owned += owner.empty() ? 0 : count;
        return owned == 4;
      },
      std::chrono::seconds(60)));
  CommandResult produced;
  std::thread producer([&] { produced = Produce(6000, "3000"); });
  ASSERT_TRUE(WaitFor([&] { return CountAll() >= 1000; }, std::chrono::seconds(60)));
  std::string victim;
  for (const auto& [owner, count] : LeaseOwners()) {
    if (!owner.empty() && count > 0) victim = owner;
  }
  ASSERT_FALSE(victim.empty());
  const size_t victim_lines = workers_[victim]->Lines().size();
  workers_[victim]->Stop(SIGKILL);
  producer.join();
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  // Every produced record is processed at least once, by the survivors or the victim.
  auto all_keys = [&] {
    std::set<std::string> data;
    for (auto& [id, worker] : workers_) {
      for (const Processed& p : Parse(*worker)) data.insert(p.data);
    }
    return data;
  };
  EXPECT_TRUE(WaitFor([&] { return all_keys().size() >= 6000; }, std::chrono::seconds(60)))
      << all_keys().size() << " of 6000 distinct records processed";
  EXPECT_EQ(all_keys().size(), 6000u);
  EXPECT_EQ(LeaseOwners()[victim], 0) << "the victim's leases were taken";
  EXPECT_GT(CountAll(), victim_lines);
}

TEST_P(ConsumerFrameworkTest, GracefulShutdownHandsLeasesOverAtOnce) {
  ASSERT_NO_FATAL_FAILURE(TwoWorkersShareFourShards(60'000));
  const int status = workers_["a"]->Stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n"
                                                             << workers_["a"]->Err();
  EXPECT_EQ(LeaseOwners()["a"], 0) << "a released its leases on the way out";
  // With a 60 s failover time, only released leases can move this soon.
  EXPECT_TRUE(WaitFor([&] { return LeaseOwners()["b"] == 4; }, std::chrono::seconds(20)));
}

TEST_P(ConsumerFrameworkTest, ACrashedWorkersLeasesAreFreedAtOnceThroughItsSession) {
  ASSERT_NO_FATAL_FAILURE(TwoWorkersShareFourShards(60'000));
  workers_["a"]->Stop(SIGKILL);  // no goodbye: only its session breaking tells the broker
  // With a 60 s failover time, only a freed lease can move this soon.
  EXPECT_TRUE(WaitFor([&] { return LeaseOwners()["b"] == 4; }, std::chrono::seconds(20)))
      << "b holds " << LeaseOwners()["b"] << "\n"
      << broker_.Log();
}

TEST_P(ConsumerFrameworkTest, ABrokerRestartUnderAWorkerLosesNothing) {
  CreateStream("s", 2);
  BackgroundProcess& worker = StartWorker("w", 1000);
  ASSERT_EQ(Produce(1000).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return worker.Lines().size() >= 1000; }, std::chrono::seconds(60)))
      << worker.Err();
  // Kill the broker under the worker: its subscriptions and coordinator session drop.
  const std::string address = broker_.address();
  const std::string kinesis_address = broker_.kinesis_address();
  broker_.Stop(SIGKILL);
  ASSERT_TRUE(broker_.Start(data_dir_, {"--limits", "none", "--consumer-activation-ms", "0",
                                        "--listen", address, "--kinesis-listen", kinesis_address}));
  ASSERT_EQ(Produce(1000).exit_code, 0);
  // The worker resubscribes after what it processed: every record arrives, none skipped.
  const bool all = WaitFor(
      [&] {
        std::set<std::string> distinct;
        for (const Processed& p : Parse(worker)) distinct.insert(p.data);
        return distinct.size() >= 2000;
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(all) << worker.Err();
  std::map<std::string, std::vector<v1::Record>> by_shard;
  for (const Processed& p : Parse(worker)) {
    v1::Record r;
    r.set_data(p.data);
    by_shard[p.shard].push_back(r);
  }
  OrderReport report;
  for (const auto& [shard, records] : by_shard) CheckOrder(records, &report);
  EXPECT_EQ(report.gaps, 0) << "a record was skipped across the drop";
}

TEST_P(ConsumerFrameworkTest, BalancingHandsALeaseOverWithoutDuplicates) {
  CreateStream("s", 2);
  BackgroundProcess& a = StartWorker("a", 10'000);
  ASSERT_TRUE(WaitFor([&] { return LeaseOwners()["a"] == 2; }, std::chrono::seconds(60)));
  CommandResult produced;
  std::thread producer([&] { produced = Produce(8000, "2000"); });  // writing throughout
  ASSERT_TRUE(WaitFor([&] { return a.Lines().size() >= 500; }, std::chrono::seconds(60)));
  BackgroundProcess& b = StartWorker("b", 10'000);
  // b asks a for a lease; a's processor checkpoints in ShutdownRequested, a lets go, b takes.
  const bool balanced = WaitFor(
      [&] {
        auto owners = LeaseOwners();
        return owners["a"] == 1 && owners["b"] == 1;
      },
      std::chrono::seconds(60));
  producer.join();
  ASSERT_TRUE(balanced);
  ASSERT_EQ(produced.exit_code, 0);
  auto everything = [&] {
    std::set<std::string> distinct;
    for (const Processed& p : Parse(a)) distinct.insert(p.data);
    for (const Processed& p : Parse(b)) distinct.insert(p.data);
    return distinct.size();
  };
  ASSERT_TRUE(WaitFor([&] { return everything() >= 8000; }, std::chrono::seconds(60)));
  // The moved shard: what a processed and what b processed do not overlap.
  std::set<std::string> by_a;
  for (const Processed& p : Parse(a)) by_a.insert(p.sequence);
  int duplicates = 0;
  for (const Processed& p : Parse(b)) duplicates += by_a.count(p.sequence) != 0 ? 1 : 0;
  EXPECT_EQ(duplicates, 0) << "b re-processed records a had checkpointed before handing over";
  EXPECT_NE(a.Err().find("handing the lease over"), std::string::npos);
}

// A processor that throws on every third call: the framework retries the batch.
class ThrowingProcessor final : public kcl::RecordProcessor {
 public:
  ThrowingProcessor(std::mutex& mu, std::vector<std::string>& seen) : mu_(mu), seen_(seen) {}
  void ProcessRecords(const kcl::ProcessRecordsInput& input) override {
    if (++calls_ % 3 == 0) throw std::runtime_error("flaky downstream");
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& r : input.records) seen_.push_back(r.data);
    }
    input.checkpointer.Checkpoint().IgnoreError();
  }
  void ShardEnded(kcl::Checkpointer& c) override { c.Checkpoint().IgnoreError(); }

 private:
  int calls_ = 0;
  std::mutex& mu_;
  std::vector<std::string>& seen_;
};

TEST_P(ConsumerFrameworkTest, AThrowingProcessorLosesNothing) {
  CreateStream("s", 1);
  std::mutex mu;
  std::vector<std::string> seen;
  kcl::Config config;
  config.application_name = "app";
  config.stream_name = "s";
  ApplyTransport(config);
  config.worker_id = "in-process";
  config.failover_millis = 1000;
  config.initial_position = kcl::InitialPosition::kTrimHorizon;
  config.retrieval_mode = kcl::RetrievalMode::kPolling;  // many small batches
  auto scheduler = kcl::Scheduler::Create(
      config, [&](const std::string&) { return std::make_unique<ThrowingProcessor>(mu, seen); });
  ASSERT_TRUE(scheduler.ok());
  absl::Status ran;
  std::thread runner([&] { ran = (*scheduler)->Run(); });
  for (int round = 0; round < 10; ++round) ASSERT_EQ(Produce(100).exit_code, 0);
  const bool all = WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return seen.size() >= 1000;
      },
      std::chrono::seconds(60));
  (*scheduler)->Shutdown();
  runner.join();
  EXPECT_TRUE(ran.ok()) << ran;
  ASSERT_TRUE(all);
  std::vector<v1::Record> records;
  for (const std::string& data : seen) {
    v1::Record r;
    r.set_data(data);
    records.push_back(r);
  }
  OrderReport report;
  CheckOrder(records, &report);
  EXPECT_EQ(report.records, 1000);
  EXPECT_EQ(report.gaps, 0) << "a failed batch was skipped";
  EXPECT_EQ(report.out_of_order, 0);
}

INSTANTIATE_TEST_SUITE_P(Transports, ConsumerFrameworkTest, AllTransports(), TransportName);

class WordCountExampleTest : public ConsumerTest {};

TEST_F(WordCountExampleTest, TheWordCountExampleCountsAndCheckpoints) {
  CreateStream("s", 1);
  std::string last_sequence;
  for (const char* text : {"the quick fox", "the lazy dog", "the end"}) {
    CommandResult put = RunEddy({"put-record", "--stream-name", "s", "--partition-key", "p",
                                 "--data", text, "--cli-binary-format", "raw-in-base64-out"},
                                broker_.address());
    ASSERT_EQ(put.exit_code, 0) << put.err;
    last_sequence = nlohmann::json::parse(put.out)["SequenceNumber"];
  }
  BackgroundProcess counter;
  counter.Start(
      WordCountBinary(),
      {"--endpoint", broker_.address(), "--stream-name", "s", "--checkpoint-every-records", "1"},
      {}, dir_.path() + "/word_count.out");
  const bool counted = WaitFor(
      [&] {
        for (const std::string& line : counter.Lines()) {
          if (line.find("the=3") != std::string::npos) return true;
        }
        return false;
      },
      std::chrono::seconds(60));
  const int status = counter.Stop(SIGTERM);
  ASSERT_TRUE(counted) << counter.Err();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CommandResult leases =
      RunEddy({"leases", "--application", "word-count", "--output", "json"}, broker_.address());
  nlohmann::json json = nlohmann::json::parse(leases.out);
  ASSERT_EQ(json["Leases"].size(), 1u) << leases.out;
  EXPECT_EQ(json["Leases"][0]["Checkpoint"], last_sequence) << "it checkpointed every record";
}

}  // namespace
}  // namespace eddy::testing
