// Splits and merges while producers write and consumers read, on a real broker.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/errors.h"
#include "common/hash_key.h"
#include "tests/integration/broker_fixture.h"
#include "tests/integration/produce_check.h"

namespace eddy::testing {
namespace {

using common::ErrorType;

class ReshardingTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerArgs() override { return args_; }

  // Open shards must tile [0, 2^128-1]: sorted, adjacent, no hole, no overlap.
  void ExpectOpenShardsTileTheKeySpace(const std::string& stream) {
    std::vector<std::pair<common::HashKey, common::HashKey>> open;
    for (const v1::Shard& shard : Shards(stream)) {
      if (!shard.sequence_number_range().ending_sequence_number().empty()) continue;
      open.emplace_back(Key(shard.hash_key_range().starting_hash_key()),
                        Key(shard.hash_key_range().ending_hash_key()));
    }
    std::sort(open.begin(), open.end());
    ASSERT_FALSE(open.empty());
    EXPECT_EQ(open.front().first, 0);
    EXPECT_EQ(open.back().second, common::kMaxHashKey);
    for (size_t i = 1; i < open.size(); ++i) EXPECT_EQ(open[i].first, open[i - 1].second + 1);
  }

  std::vector<std::string> args_ = {"--limits", "none", "--consumer-activation-ms", "0"};
};

TEST_F(ReshardingTest, SplitAndMergeWhileProducingKeepEveryKeyInOrder) {
  CreateStream("live", 4);
  CommandResult produced;
  std::thread producer([&] {
    produced = RunEddy({"produce", "--stream-name", "live", "--count", "30000", "--rate", "10000",
                        "--keys", "40", "--size", "64", "--batch-size", "100"},
                       broker_.address());
  });
  // Reshard while the producer is writing: wait for some records, then split and merge.
  ASSERT_TRUE(WaitFor([&] { return ReadShard("live", "shardId-000000000000").size() > 300; },
                      std::chrono::seconds(30)));
  const std::vector<v1::Shard> before = Shards("live");
  const common::HashKey start0 = Key(before[0].hash_key_range().starting_hash_key());
  const common::HashKey end0 = Key(before[0].hash_key_range().ending_hash_key());
  const common::HashKey middle = start0 + (end0 - start0) / 2;
  ASSERT_TRUE(Split("live", "shardId-000000000000", middle).ok());
  ASSERT_TRUE(Merge("live", "shardId-000000000002", "shardId-000000000003").ok());
  producer.join();
  ASSERT_EQ(produced.exit_code, 0) << produced.err;

  // Lineage: exact ids, parents and ranges.
  std::map<std::string, v1::Shard> by_id;
  for (const v1::Shard& shard : Shards("live")) by_id[shard.shard_id()] = shard;
  ASSERT_EQ(by_id.size(), 7u);
  const v1::Shard& low = by_id["shardId-000000000004"];
  const v1::Shard& high = by_id["shardId-000000000005"];
  const v1::Shard& merged = by_id["shardId-000000000006"];
  EXPECT_EQ(low.parent_shard_id(), "shardId-000000000000");
  EXPECT_EQ(high.parent_shard_id(), "shardId-000000000000");
  EXPECT_EQ(Key(low.hash_key_range().starting_hash_key()), start0);
  EXPECT_EQ(Key(low.hash_key_range().ending_hash_key()), middle - 1);
  EXPECT_EQ(Key(high.hash_key_range().starting_hash_key()), middle);
  EXPECT_EQ(Key(high.hash_key_range().ending_hash_key()), end0);
  EXPECT_EQ(merged.parent_shard_id(), "shardId-000000000002");
  EXPECT_EQ(merged.adjacent_parent_shard_id(), "shardId-000000000003");
  EXPECT_EQ(merged.hash_key_range().starting_hash_key(),
            by_id["shardId-000000000002"].hash_key_range().starting_hash_key());
  EXPECT_EQ(merged.hash_key_range().ending_hash_key(),
            by_id["shardId-000000000003"].hash_key_range().ending_hash_key());
  for (const char* parent :
       {"shardId-000000000000", "shardId-000000000002", "shardId-000000000003"}) {
    EXPECT_FALSE(by_id[parent].sequence_number_range().ending_sequence_number().empty())
        << parent << " is closed";
  }
  ExpectOpenShardsTileTheKeySpace("live");

  // Every child sequence number is above its parents' ending ones.
  auto ending = [&](const std::string& id) {
    return Key(by_id[id].sequence_number_range().ending_sequence_number());
  };
  for (const auto& [child, parents] : std::map<std::string, std::vector<std::string>>{
           {"shardId-000000000004", {"shardId-000000000000"}},
           {"shardId-000000000005", {"shardId-000000000000"}},
           {"shardId-000000000006", {"shardId-000000000002", "shardId-000000000003"}}}) {
    for (const v1::Record& r : ReadShard("live", child)) {
      for (const std::string& parent : parents) EXPECT_GT(Key(r.sequence_number()), ending(parent));
    }
  }

  // The changes landed mid-write: parents and children both hold records.
  for (const char* id : {"shardId-000000000000", "shardId-000000000002", "shardId-000000000004",
                         "shardId-000000000005", "shardId-000000000006"}) {
    EXPECT_FALSE(ReadShard("live", id).empty()) << id;
  }
  // Parents before children (children have higher indices): every key in order, no gap.
  OrderReport report;
  for (const auto& [id, shard] : by_id) CheckOrder(ReadShard("live", id), &report);
  EXPECT_EQ(report.records, 30000);
  EXPECT_EQ(report.gaps, 0);
  EXPECT_EQ(report.out_of_order, 0);
  EXPECT_EQ(report.duplicates, 0);
}

TEST_F(ReshardingTest, ClosedShardsEndWithChildShards) {
  CreateStream("s", 1);
  v1::PutRecordRequest put;
  put.mutable_stream()->set_stream_name("s");
  put.set_partition_key("k");
  put.set_data("before");
  ASSERT_TRUE(client_->PutRecord(put).ok());
  // A subscriber on the parent, following it live.
  v1::RegisterStreamConsumerRequest reg;
  reg.mutable_stream()->set_stream_name("s");
  reg.set_consumer_name("app");
  const std::string arn = client_->RegisterStreamConsumer(reg)->consumer().consumer_arn();
  v1::SubscribeToShardRequest sub;
  sub.set_consumer_arn(arn);
  sub.set_shard_id("shardId-000000000000");
  sub.mutable_starting_position()->set_type(v1::TRIM_HORIZON);
  auto reader = client_->SubscribeToShard(sub);
  v1::SubscribeToShardEvent event;
  ASSERT_TRUE(NextEvent(*reader, &event));

  ASSERT_TRUE(Split("s", "shardId-000000000000", common::kMaxHashKey / 2).ok());
  put.set_data("after");
  auto after = client_->PutRecord(put);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->shard_id(), "shardId-000000000000");

  // The subscription ends with the children.
  std::vector<std::string> children;
  ASSERT_TRUE(ReadToEnd(*reader, [&](const v1::SubscribeToShardEvent& e) {
    for (const v1::ChildShard& child : e.child_shards()) {
      children.push_back(child.shard_id());
      ASSERT_EQ(child.parent_shards_size(), 1);
      EXPECT_EQ(child.parent_shards(0), "shardId-000000000000");
    }
    if (!children.empty()) {
      EXPECT_TRUE(e.continuation_sequence_number().empty());
    }
  }));
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(children, (std::vector<std::string>{"shardId-000000000001", "shardId-000000000002"}));

  // GetRecords returns what remains, then no next iterator and the children.
  v1::GetShardIteratorRequest iterator;
  iterator.mutable_stream()->set_stream_name("s");
  iterator.set_shard_id("shardId-000000000000");
  iterator.set_shard_iterator_type(v1::TRIM_HORIZON);
  v1::GetRecordsRequest get;
  get.set_shard_iterator(client_->GetShardIterator(iterator)->shard_iterator());
  get.set_limit(10);
  int records = 0;
  v1::GetRecordsResponse last;
  for (int call = 0; call < 10 && !get.shard_iterator().empty(); ++call) {
    auto response = client_->GetRecords(get);
    ASSERT_TRUE(response.ok()) << response.status();
    records += response->records_size();
    last = *response;
    get.set_shard_iterator(response->next_shard_iterator());
  }
  EXPECT_EQ(records, 1);
  EXPECT_TRUE(last.next_shard_iterator().empty());
  ASSERT_EQ(last.child_shards_size(), 2);

  // ListShards filters: AT_LATEST lists open shards only.
  v1::ListShardsRequest latest;
  latest.mutable_stream()->set_stream_name("s");
  latest.mutable_shard_filter()->set_type(v1::AT_LATEST);
  EXPECT_EQ(client_->ListShards(latest)->shards_size(), 2);
  v1::ListShardsRequest all;
  all.mutable_stream()->set_stream_name("s");
  all.mutable_shard_filter()->set_type(v1::FROM_TRIM_HORIZON);
  EXPECT_EQ(client_->ListShards(all)->shards_size(), 3);
  reader.reset();
}

TEST_F(ReshardingTest, ValidationErrors) {
  CreateStream("s", 2);
  const std::vector<v1::Shard> shards = Shards("s");
  const common::HashKey start = Key(shards[0].hash_key_range().starting_hash_key());
  const common::HashKey end = Key(shards[0].hash_key_range().ending_hash_key());
  EXPECT_EQ(ErrorType(Split("s", "shardId-000000000000", start + 1)), common::kInvalidArgument);
  EXPECT_EQ(ErrorType(Split("s", "shardId-000000000000", end)), common::kInvalidArgument);
  EXPECT_EQ(ErrorType(Split("s", "shardId-000000000009", start + 5)), common::kResourceNotFound);
  EXPECT_EQ(ErrorType(Split("nope", "shardId-000000000000", start + 5)), common::kResourceNotFound);
  ASSERT_TRUE(Split("s", "shardId-000000000000", start + 5).ok());
  EXPECT_EQ(ErrorType(Split("s", "shardId-000000000000", start + 7)), common::kInvalidArgument)
      << "a closed shard cannot be split again";
  EXPECT_EQ(ErrorType(Merge("s", "shardId-000000000002", "shardId-000000000002")),
            common::kInvalidArgument);
  // 2 is [start, start+4], 3 is [start+5, end], 1 is the upper half: 2 and 1 do not touch.
  EXPECT_EQ(ErrorType(Merge("s", "shardId-000000000002", "shardId-000000000001")),
            common::kInvalidArgument);
  EXPECT_TRUE(Merge("s", "shardId-000000000003", "shardId-000000000002").ok());
  ExpectOpenShardsTileTheKeySpace("s");

  CommandResult cli = RunEddy({"split-shard", "--stream-name", "s", "--shard-to-split",
                               "shardId-000000000001", "--new-starting-hash-key", "-5"},
                              broker_.address());
  EXPECT_EQ(cli.exit_code, 254);
  EXPECT_NE(cli.err.find("InvalidArgumentException"), std::string::npos) << cli.err;

  v1::CreateStreamRequest on_demand;
  on_demand.set_stream_name("auto");
  on_demand.set_stream_mode(v1::ON_DEMAND);
  ASSERT_TRUE(client_->CreateStream(on_demand).ok());
  EXPECT_EQ(ErrorType(Split("auto", "shardId-000000000000", common::kMaxHashKey / 8)),
            common::kValidation);
  EXPECT_EQ(ErrorType(Merge("auto", "shardId-000000000000", "shardId-000000000001")),
            common::kValidation);
}

TEST_F(ReshardingTest, UpdateShardCountScalesUniformly) {
  CreateStream("s", 2);
  CommandResult doubled =
      RunEddy({"update-shard-count", "--stream-name", "s", "--target-shard-count", "4",
               "--scaling-type", "UNIFORM_SCALING"},
              broker_.address());
  ASSERT_EQ(doubled.exit_code, 0) << doubled.err;
  EXPECT_EQ(nlohmann::json::parse(doubled.out)["CurrentShardCount"], 2);
  std::vector<std::pair<common::HashKey, common::HashKey>> open;
  for (const v1::Shard& shard : Shards("s")) {
    if (shard.sequence_number_range().ending_sequence_number().empty()) {
      open.emplace_back(Key(shard.hash_key_range().starting_hash_key()),
                        Key(shard.hash_key_range().ending_hash_key()));
    }
  }
  std::sort(open.begin(), open.end());
  const auto even = common::EvenHashKeyRanges(4);
  ASSERT_EQ(open.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(open[i].first, even[i].start);
    EXPECT_EQ(open[i].second, even[i].end);
  }
  v1::UpdateShardCountRequest request;
  request.mutable_stream()->set_stream_name("s");
  request.set_target_shard_count(9);
  EXPECT_EQ(ErrorType(client_->UpdateShardCount(request).status()), common::kInvalidArgument);
  request.set_target_shard_count(2);
  ASSERT_TRUE(client_->UpdateShardCount(request).ok());
  ExpectOpenShardsTileTheKeySpace("s");
  int open_count = 0;
  for (const v1::Shard& shard : Shards("s")) {
    open_count += shard.sequence_number_range().ending_sequence_number().empty() ? 1 : 0;
  }
  EXPECT_EQ(open_count, 2);
}

TEST_F(ReshardingTest, AnOnDemandStreamUnderLoadSplitsByItself) {
  args_ = {"--limits",
           "none",
           "--on-demand-split-bytes-per-second",
           "50000",
           "--on-demand-split-window-ms",
           "1000"};
  RestartFresh();
  v1::CreateStreamRequest create;
  create.set_stream_name("auto");
  create.set_stream_mode(v1::ON_DEMAND);
  ASSERT_TRUE(client_->CreateStream(create).ok());
  auto open_shards = [&] {
    int open = 0;
    for (const v1::Shard& s : Shards("auto")) {
      open += s.sequence_number_range().ending_sequence_number().empty() ? 1 : 0;
    }
    return open;
  };
  EXPECT_EQ(open_shards(), 4);
  // ~400 KB/s over 200 keys for 5 s, against a 50 KB/s split threshold.
  CommandResult produced;
  std::thread producer([&] {
    produced =
        RunEddy({"produce", "--stream-name", "auto", "--count", "10000", "--rate", "2000", "--keys",
                 "200", "--size", "200", "--batch-size", "100", "--max-seconds", "25"},
                broker_.address());
  });
  const bool split = WaitFor([&] { return open_shards() > 4; }, std::chrono::seconds(20));
  producer.join();
  EXPECT_TRUE(split) << "no shard split under sustained load";
  ExpectOpenShardsTileTheKeySpace("auto");
}

}  // namespace
}  // namespace eddy::testing
