// Consumers following resharding end to end: real worker processes, splits and merges while
// they consume, crashes at shard end, KPL aggregates across a restart.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "kcl/scheduler.h"
#include "tests/integration/consumer_fixture.h"
#include "tests/integration/keyed_producer.h"

namespace eddy::testing {
namespace {

std::string ShardId(int index) {
  char id[32];
  snprintf(id, sizeof(id), "shardId-%012d", index);
  return id;
}

class LineageTest : public TransportTest {
 protected:
  // Everything every Produce call wrote (`count` records in all) was processed, each key in
  // order.
  void ExpectAllProcessedInOrder(int64_t count, const std::set<std::string>& killed = {}) {
    tools::Verdict verdict = tools::Judge(AllProcessed(), produced_, killed);
    EXPECT_EQ(verdict.produced, count);
    EXPECT_EQ(verdict.missing, 0);
    EXPECT_EQ(verdict.order_violations, 0);
    EXPECT_EQ(verdict.unexpected, 0);
    for (const std::string& example : verdict.examples) ADD_FAILURE() << example;
  }

  // Every record of `child` was processed after every record of `parent`.
  void ExpectChildAfterParent(const std::string& parent, const std::string& child) {
    int64_t parent_last = 0;
    int64_t child_first = INT64_MAX;
    for (const tools::ProcessedRecord& r : AllProcessed()) {
      if (r.shard_id == parent) parent_last = std::max(parent_last, r.processed_at_micros);
      if (r.shard_id == child) child_first = std::min(child_first, r.processed_at_micros);
    }
    ASSERT_GT(parent_last, 0) << parent << " processed nothing";
    ASSERT_LT(child_first, INT64_MAX) << child << " processed nothing";
    EXPECT_GT(child_first, parent_last) << child << " started before " << parent << " ended";
  }

  bool HasLease(const std::string& key) {
    for (const auto& lease : Leases()) {
      if (lease["LeaseKey"] == key) return true;
    }
    return false;
  }

  std::string OwnerOf(const std::string& key) {
    for (const auto& lease : Leases()) {
      if (lease["LeaseKey"] == key) return lease["LeaseOwner"];
    }
    return "";
  }

  bool AllLeasesOwned(size_t count) {
    size_t owned = 0;
    for (const auto& lease : Leases()) owned += lease["LeaseOwner"] != "" ? 1 : 0;
    return owned == count;
  }
};

TEST_P(LineageTest, SplitAndMergeWhileThreeWorkersConsumeKeepEveryKeyInOrder) {
  CreateStream("s", 4);
  StartWorker("a", 2000);
  StartWorker("b", 2000);
  StartWorker("c", 2000);
  ASSERT_TRUE(WaitFor([&] { return AllLeasesOwned(4); }, std::chrono::seconds(60)));
  CommandResult produced;
  std::thread producer([&] { produced = Produce(24000, "4000", 32); });
  EXPECT_TRUE(WaitFor([&] { return CountAll() >= 3000; }, std::chrono::seconds(60)));
  // Shard 1 ([1/4, 1/2) of the key space) holds six of the 32 keys, both halves some.
  ASSERT_TRUE(SplitInHalf("s", ShardId(1)).ok());  // → 4 and 5
  EXPECT_TRUE(WaitFor([&] { return CountAll() >= 9000; }, std::chrono::seconds(60)));
  ASSERT_TRUE(Merge("s", ShardId(2), ShardId(3)).ok());  // → 6
  producer.join();
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  ASSERT_TRUE(WaitFor([&] { return DistinctProcessed() >= 24000; }, std::chrono::seconds(60)))
      << DistinctProcessed() << " of 24000";

  ExpectAllProcessedInOrder(24000);
  ExpectChildAfterParent(ShardId(1), ShardId(4));
  ExpectChildAfterParent(ShardId(1), ShardId(5));
  ExpectChildAfterParent(ShardId(2), ShardId(6));
  ExpectChildAfterParent(ShardId(3), ShardId(6));
  // Finished parents keep their leases at SHARD_END (until their shards expire): nobody
  // takes or reads them again; the children know their parents.
  std::map<std::string, nlohmann::json> by_shard;
  for (const auto& lease : Leases()) by_shard[lease["LeaseKey"].get<std::string>()] = lease;
  for (int finished : {1, 2, 3}) {
    ASSERT_EQ(by_shard.count(ShardId(finished)), 1u) << ShardId(finished) << "'s lease is gone";
    EXPECT_EQ(by_shard[ShardId(finished)]["Checkpoint"], "SHARD_END");
    EXPECT_EQ(by_shard[ShardId(finished)]["LeaseOwner"], "");
  }
  ASSERT_EQ(by_shard.count(ShardId(6)), 1u);
  EXPECT_EQ(by_shard[ShardId(6)]["ParentShardIds"],
            nlohmann::json::array({ShardId(2), ShardId(3)}));
}

TEST_P(LineageTest, AMergeWhoseParentsAreHeldByDifferentWorkers) {
  CreateStream("s", 2);
  StartWorker("a", 2000);
  StartWorker("b", 2000);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto owners = LeaseOwners();
        return owners["a"] == 1 && owners["b"] == 1;
      },
      std::chrono::seconds(60)));
  ASSERT_NE(OwnerOf(ShardId(0)), OwnerOf(ShardId(1)));
  ASSERT_EQ(Produce(3000, "0", 16).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return DistinctProcessed() >= 3000; }, std::chrono::seconds(60)));
  ASSERT_TRUE(Merge("s", ShardId(0), ShardId(1)).ok());  // → 2
  ASSERT_EQ(Produce(3000, "0", 16).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return DistinctProcessed() >= 6000; }, std::chrono::seconds(60)))
      << DistinctProcessed() << " of 6000\n"
      << Leases().dump() << "\n"
      << workers_["a"]->Err() << workers_["b"]->Err();
  ExpectAllProcessedInOrder(6000);
  ExpectChildAfterParent(ShardId(0), ShardId(2));
  ExpectChildAfterParent(ShardId(1), ShardId(2));
}

// Lineage that grew before any worker started: every generation must wait for the one
// before it, whatever the depth.
class DeepLineageTest : public LineageTest {
 protected:
  void SetUp() override {
    LineageTest::SetUp();
    producer_ = std::make_unique<KeyedProducer>(broker_.address(), "s");
    // Three keys in each quarter of the hash key space (so every shard below gets some).
    std::map<int, int> per_quarter;
    for (int k = 0; keys_.size() < 12; ++k) {
      const std::string key = "key" + std::to_string(k);
      const int quarter = static_cast<int>(common::HashKeyOfPartitionKey(key) >> 126);
      if (per_quarter[quarter]++ < 3) keys_.push_back(key);
    }
  }

  // 0 splits into 1 and 2, then 1 into 3 and 4; records before, between and after.
  void SplitTwiceInARow() {
    CreateStream("s", 1);
    ASSERT_TRUE(producer_->Put(keys_, 10).ok());
    ASSERT_TRUE(SplitInHalf("s", ShardId(0)).ok());
    ASSERT_TRUE(producer_->Put(keys_, 10).ok());
    ASSERT_TRUE(SplitInHalf("s", ShardId(1)).ok());
    ASSERT_TRUE(producer_->Put(keys_, 10).ok());
  }

  std::unique_ptr<KeyedProducer> producer_;
  std::vector<std::string> keys_;
};

TEST_P(DeepLineageTest, TwoSplitsInARowBeforeAWorkerStartsKeepEveryKeyInOrder) {
  SplitTwiceInARow();
  StartWorker("w", 2000, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced()));
  ExpectCompleteAndInOrder(producer_->Produced());
  ExpectChildAfterParent(ShardId(0), ShardId(1));
  ExpectChildAfterParent(ShardId(1), ShardId(3));
  ExpectChildAfterParent(ShardId(1), ShardId(4));
}

TEST_P(DeepLineageTest, AWorkerDyingRightAfterTheFirstShardEndLosesNoGeneration) {
  SplitTwiceInARow();
  // Dies right after checkpointing SHARD_END of shard 0, before creating its children's
  // leases: shard sync must create 1 and 2 (and only then 3 and 4).
  BackgroundProcess& crasher =
      StartWorker("crasher", 2000, ScriptedWorkerBinary(),
                  {"--at-shard-end", "crash-after-once:" + dir_.path() + "/crashed"});
  ASSERT_TRUE(WaitFor([&] { return !crasher.Alive(); }, std::chrono::seconds(30)));
  ASSERT_EQ(LeaseCheckpoints()[ShardId(0)], "SHARD_END");
  StartWorker("rescuer", 2000, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << Leases().dump();
  ExpectCompleteAndInOrder(producer_->Produced(), {"crasher"});
}

TEST_P(DeepLineageTest, AMergeWaitsForAParentWhoseLeaseIsStillToCome) {
  CreateStream("s", 2);
  ASSERT_TRUE(producer_->Put(keys_, 10).ok());
  ASSERT_TRUE(SplitInHalf("s", ShardId(1)).ok());  // → 2 (next to 0) and 3
  ASSERT_TRUE(producer_->Put(keys_, 10).ok());
  ASSERT_TRUE(Merge("s", ShardId(0), ShardId(2)).ok());  // → 4: parents 0 and 2
  ASSERT_TRUE(producer_->Put(keys_, 10).ok());
  // When 0 is done, 2 has no lease yet (1 comes first): 4 must wait for 2, not start. (1's
  // first batch fails three times, so that 0 is done first.)
  std::vector<std::string> hold_up_shard_1;
  for (const std::string& key : keys_) {
    if (common::HashKeyOfPartitionKey(key) >> 127 == 1) {
      hold_up_shard_1 = {"--fail", key + "#0:3"};  // one record: three failures, 0.7 s
      break;
    }
  }
  StartWorker("w", 2000, ScriptedWorkerBinary(), hold_up_shard_1);
  ASSERT_TRUE(WaitAllProcessed(producer_->Produced())) << Leases().dump();
  ExpectCompleteAndInOrder(producer_->Produced());
  ExpectChildAfterParent(ShardId(2), ShardId(4));
  ExpectChildAfterParent(ShardId(0), ShardId(4));
}

TEST_P(LineageTest, ACrashAtShardEndBeforeTheShardEndCheckpointRecovers) {
  CreateStream("s", 1);
  BackgroundProcess& crasher =
      StartWorker("crasher", 2000, ScriptedWorkerBinary(),
                  {"--at-shard-end", "crash-once:" + dir_.path() + "/crashed"});
  ASSERT_EQ(Produce(2000, "0", 8).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return Parse(crasher).size() >= 2000; }, std::chrono::seconds(60)));
  ASSERT_TRUE(SplitInHalf("s", ShardId(0)).ok());  // the crasher reaches the end and dies
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(dir_.path() + "/crashed"); },
                      std::chrono::seconds(60)));
  const int status = crasher.Stop(0);  // already exiting: collect it
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status << crasher.Err();
  // (That no child lease appears without the parent's SHARD_END, even with shard sync
  // running, is the next test's.)

  // Later records go to the children; a new worker finishes the parent and follows.
  ASSERT_EQ(Produce(2000, "0", 8).exit_code, 0);
  StartWorker("rescuer", 2000, ScriptedWorkerBinary(),
              {"--at-shard-end", "crash-once:" + dir_.path() + "/crashed"});
  ASSERT_TRUE(WaitFor([&] { return DistinctProcessed() >= 4000; }, std::chrono::seconds(60)))
      << DistinctProcessed() << " of 4000\n"
      << Leases().dump() << "\n"
      << workers_["rescuer"]->Err();
  ExpectAllProcessedInOrder(4000, {"crasher"});
  ExpectChildAfterParent(ShardId(0), ShardId(1));
  ExpectChildAfterParent(ShardId(0), ShardId(2));
}

TEST_P(LineageTest, AProcessorThatNeverCheckpointsShardEndIsToldAndItsChildrenWait) {
  CreateStream("s", 1);
  // Shard sync every 200 ms: by the processor's second reminder (≥ 1 s later) it has run
  // several times, and must not have given the children leases either.
  BackgroundProcess& worker = StartWorker("forgetful", 2000, ScriptedWorkerBinary(),
                                          {"--at-shard-end", "forget", "--shard-sync-ms", "200"});
  ASSERT_EQ(Produce(100, "0", 4).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return Parse(worker).size() >= 100; }, std::chrono::seconds(60)));
  ASSERT_TRUE(SplitInHalf("s", ShardId(0)).ok());
  const std::string expected =
      "shard=" + ShardId(0) + " reached its end but the processor did not checkpoint SHARD_END";
  auto reminders = [&] {
    const std::string err = worker.Err();
    size_t count = 0;
    for (size_t at = err.find(expected); at != std::string::npos; at = err.find(expected, at + 1)) {
      ++count;
    }
    return count;
  };
  EXPECT_TRUE(WaitFor([&] { return reminders() >= 2; }, std::chrono::seconds(30))) << worker.Err();
  EXPECT_FALSE(HasLease(ShardId(1)));
  EXPECT_FALSE(HasLease(ShardId(2)));
  EXPECT_EQ(OwnerOf(ShardId(0)), "forgetful") << "it keeps the lease while it is asked again";
}

// Records a processor saw, shared with the test thread.
struct Seen {
  std::mutex mu;
  std::vector<kcl::KinesisClientRecord> records;
};

// Checkpoints once, at the tenth record of its first batch — inside an aggregate — and never
// again (not even at shutdown), so a restart must resume right after that sub-record.
class CheckpointOnceProcessor final : public kcl::RecordProcessor {
 public:
  CheckpointOnceProcessor(Seen& seen, bool checkpoint) : seen_(seen), checkpoint_(checkpoint) {}
  void ProcessRecords(const kcl::ProcessRecordsInput& input) override {
    if (checkpoint_ && !checkpointed_ && input.records.size() >= 10) {
      ASSERT_TRUE(input.checkpointer.Checkpoint(input.records[9]).ok());
      checkpointed_ = true;
    }
    std::lock_guard<std::mutex> lock(seen_.mu);
    seen_.records.insert(seen_.records.end(), input.records.begin(), input.records.end());
  }
  void ShardEnded(kcl::Checkpointer& c) override { c.Checkpoint().IgnoreError(); }

 private:
  Seen& seen_;
  const bool checkpoint_;
  bool checkpointed_ = false;
};

TEST_P(LineageTest, AggregatedRecordsEndToEndIncludingARestartMidAggregate) {
  CreateStream("s", 1);
  ASSERT_EQ(Produce(3000, "0", 4, {"--aggregate"}).exit_code, 0);
  auto run = [&](Seen& seen, bool checkpoint, size_t until) {
    kcl::Config config;
    config.application_name = "app";
    config.stream_name = "s";
    ApplyTransport(config);
    config.worker_id = checkpoint ? "first" : "second";
    config.failover_millis = 1000;
    config.initial_position = kcl::InitialPosition::kTrimHorizon;
    auto scheduler = kcl::Scheduler::Create(config, [&](const std::string&) {
      return std::make_unique<CheckpointOnceProcessor>(seen, checkpoint);
    });
    ASSERT_TRUE(scheduler.ok());
    absl::Status ran;
    std::thread runner([&] { ran = (*scheduler)->Run(); });
    const bool got = WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(seen.mu);
          return seen.records.size() >= until;
        },
        std::chrono::seconds(60));
    (*scheduler)->Shutdown();
    runner.join();
    EXPECT_TRUE(ran.ok()) << ran;
    EXPECT_TRUE(got);
  };
  Seen first;
  run(first, true, 10);
  ASSERT_GE(first.records.size(), 10u);
  const kcl::KinesisClientRecord& checkpointed = first.records[9];
  ASSERT_GT(checkpointed.sub_sequence_number, 0u) << "the checkpoint lies inside an aggregate";

  Seen second;
  run(second, false, 3000 - 10);
  ASSERT_FALSE(second.records.empty());
  EXPECT_EQ(second.records.front().sequence_number, checkpointed.sequence_number);
  EXPECT_EQ(second.records.front().sub_sequence_number, checkpointed.sub_sequence_number + 1)
      << "resumes at the sub-record after the checkpoint";
  EXPECT_EQ(second.records.size(), 3000u - 10) << "nothing replayed, nothing missing";
  // Together: every user record, each key in order, with its own partition key.
  std::vector<tools::ProcessedRecord> events;
  int64_t at = 0;
  for (Seen* seen : {&first, &second}) {
    const size_t take = seen == &first ? 10 : seen->records.size();
    for (size_t i = 0; i < take; ++i) {
      const kcl::KinesisClientRecord& r = seen->records[i];
      tools::ProcessedRecord p;
      std::vector<std::string> parts = absl::StrSplit(r.data, '|');
      ASSERT_GE(parts.size(), 3u);
      EXPECT_EQ(r.partition_key, parts[1]);
      p.partition_key = parts[1];
      p.counter = std::stoll(parts[2]);
      p.sequence_number = r.sequence_number;
      p.sub_sequence_number = r.sub_sequence_number;
      p.processed_at_micros = ++at;
      events.push_back(p);
    }
  }
  tools::Verdict verdict =
      tools::Judge(events, tools::ProducedPerKey(3000, 4, last_key_prefix_), {});
  EXPECT_TRUE(verdict.ok()) << verdict.missing << " missing, " << verdict.order_violations
                            << " out of order";
  EXPECT_EQ(verdict.duplicates, 0);
}

INSTANTIATE_TEST_SUITE_P(Transports, LineageTest, AllTransports(), TransportName);
INSTANTIATE_TEST_SUITE_P(Transports, DeepLineageTest, AllTransports(), TransportName);

}  // namespace
}  // namespace eddy::testing
