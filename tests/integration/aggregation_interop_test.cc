// KPL aggregation against AWS's own aggregation library (npm aws-kinesis-agg, installed by
// scripts/install-npm-peers into tests/interop): its aggregates consumed by Eddy workers,
// and Eddy's aggregates read back by it.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "aggregation/aggregate.h"
#include "common/hash_key.h"
#include "tests/integration/consumer_fixture.h"

namespace eddy::testing {
namespace {

using std::chrono::seconds;

std::string InteropScript() { return SourceDirectory() + "/tests/interop/kinesis_agg.js"; }

CommandResult RunNode(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"node", InteropScript()};
  full.insert(full.end(), args.begin(), args.end());
  return RunProgram("/usr/bin/env", full, {}, std::chrono::seconds(60));
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

class AggregationInteropTest : public ConsumerTest {
 protected:
  // Puts what `node kinesis_agg.js aggregate RECORDS KEYS` encodes (aggregates keyed by
  // their first user record's key, as aws-kinesis-agg routes them); returns how many user
  // records lie outside the shard their aggregate landed on.
  int PutAwsAggregates(int records, int keys) {
    CommandResult encoded = RunNode({"aggregate", std::to_string(records), std::to_string(keys)});
    EXPECT_EQ(encoded.exit_code, 0) << encoded.err << encoded.out;
    int outside = 0;
    const std::vector<v1::Shard> shards = Shards("s");
    auto shard_of = [&](const std::string& key) {
      const common::HashKey hash = common::HashKeyOfPartitionKey(key);
      for (const v1::Shard& shard : shards) {
        if (Key(shard.hash_key_range().starting_hash_key()) <= hash &&
            hash <= Key(shard.hash_key_range().ending_hash_key())) {
          return shard.shard_id();
        }
      }
      return std::string();
    };
    for (const nlohmann::json& line : JsonLines(encoded.out)) {
      std::string data;
      EXPECT_TRUE(absl::Base64Unescape(line["Data"].get<std::string>(), &data));
      v1::PutRecordRequest put;
      put.mutable_stream()->set_stream_name("s");
      put.set_partition_key(line["PartitionKey"].get<std::string>());
      put.set_data(data);
      auto response = client_->PutRecord(put);
      EXPECT_TRUE(response.ok()) << response.status();
      absl::StatusOr<std::vector<aggregation::UserRecord>> users = aggregation::Deaggregate(data);
      EXPECT_TRUE(users.ok()) << "aws-kinesis-agg wrote an aggregate Eddy cannot read";
      if (!users.ok() || !response.ok()) continue;
      for (const aggregation::UserRecord& user : *users) {
        outside += shard_of(user.partition_key) != response->shard_id() ? 1 : 0;
      }
    }
    return outside;
  }

  // Counters of a scripted worker, from the line it prints when it stops.
  static nlohmann::json StoppedLine(const BackgroundProcess& worker) {
    std::vector<nlohmann::json> stopped = Events(worker, "Stopped");
    return stopped.empty() ? nlohmann::json::object() : stopped.back();
  }

  // What `kinesis_agg.js aggregate RECORDS KEYS` wrote, per key.
  static std::map<std::string, int64_t> AwsProduced(int records, int keys) {
    std::map<std::string, int64_t> produced;
    for (int i = 0; i < records; ++i) ++produced["key-" + std::to_string(i % keys)];
    return produced;
  }
};

TEST_F(AggregationInteropTest, AnAwsAggregateSpanningTwoShardsIsDeliveredWhole) {
  CreateStream("s", 2);
  const int outside = PutAwsAggregates(60, 6);
  ASSERT_GT(outside, 0) << "the aggregate must hold keys of the other shard";
  BackgroundProcess& worker = StartWorker("w", 2000, ScriptedWorkerBinary());
  ASSERT_TRUE(WaitAllProcessed(AwsProduced(60, 6))) << worker.Err();
  ExpectCompleteAndInOrder(AwsProduced(60, 6));
  ASSERT_EQ(worker.Stop(SIGTERM), 0);
  EXPECT_EQ(StoppedLine(worker)["OutOfRangeUserRecords"], outside) << "counted in the metric";
}

TEST_F(AggregationInteropTest, TheKclsFilteringDropsOnlyTheOutOfRangeUserRecords) {
  CreateStream("s", 2);
  const int outside = PutAwsAggregates(60, 6);
  ASSERT_GT(outside, 0);
  BackgroundProcess& worker =
      StartWorker("w", 2000, ScriptedWorkerBinary(), {"--out-of-range", "drop"});
  ASSERT_TRUE(
      WaitFor([&] { return static_cast<int>(Parse(worker).size()) == 60 - outside; }, seconds(60)))
      << Parse(worker).size() << " processed; " << worker.Err();
  ASSERT_EQ(worker.Stop(SIGTERM), 0);
  EXPECT_EQ(StoppedLine(worker)["OutOfRangeUserRecords"], outside);
  EXPECT_EQ(static_cast<int>(Parse(worker).size()), 60 - outside) << "more were dropped";
}

TEST_F(AggregationInteropTest, EddysAggregatesReadBackExactlyWithAwsKinesisAgg) {
  aggregation::AggregateBuilder builder;
  std::vector<aggregation::UserRecord> written;
  for (int i = 0; i < 40; ++i) {
    aggregation::UserRecord record{"key-" + std::to_string(i % 7),
                                   i % 5 == 0 ? std::to_string(1000 + i) : "",
                                   std::string("payload ") + std::to_string(i) + '\0' + "\xff"};
    ASSERT_TRUE(builder.Add(record));
    written.push_back(record);
  }
  const std::string input = dir_.path() + "/eddy-aggregate.jsonl";
  std::ofstream(input) << nlohmann::json{{"PartitionKey", "a"},
                                         {"SequenceNumber", "4950"},
                                         {"Data", absl::Base64Escape(builder.Build())}}
                              .dump()
                       << "\n";
  CommandResult read =
      RunProgram("/bin/sh", {"-c", "node '" + InteropScript() + "' deaggregate < '" + input + "'"},
                 {}, std::chrono::seconds(60));
  ASSERT_EQ(read.exit_code, 0) << read.out << read.err;
  const std::vector<nlohmann::json> users = JsonLines(read.out);
  ASSERT_EQ(users.size(), written.size());
  for (size_t i = 0; i < users.size(); ++i) {
    std::string data;
    ASSERT_TRUE(absl::Base64Unescape(users[i]["Data"].get<std::string>(), &data));
    EXPECT_EQ(data, written[i].data) << i;
    EXPECT_EQ(users[i]["PartitionKey"], written[i].partition_key) << i;
    // (aws-kinesis-agg reads an absent explicit_hash_key_index as 0, so it reports the
    // table's first key for records that have none: only records with one are compared.)
    if (!written[i].explicit_hash_key.empty()) {
      EXPECT_EQ(users[i]["ExplicitHashKey"], written[i].explicit_hash_key) << i;
    }
    EXPECT_EQ(users[i]["SubSequenceNumber"], i);
  }
}

}  // namespace
}  // namespace eddy::testing
