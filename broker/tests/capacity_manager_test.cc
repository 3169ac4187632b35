// ON_DEMAND scaling decisions, driven check by check with a fake clock.
#include "broker/capacity_manager.h"

#include <gtest/gtest.h>

#include "broker/testing/broker_test_base.h"
#include "common/hash_key.h"

namespace eddy::broker {
namespace {

class CapacityManagerTest : public testing::BrokerTestBase {
 protected:
  void SetUp() override {
    options().on_demand.split_bytes_per_second = 10'000;
    options().on_demand.split_window_millis = 2'000;
    options().on_demand.merge_bytes_per_second = 1'000;
    options().on_demand.merge_quiet_millis = 60'000;
    options().on_demand.check_interval_millis = 3'600'000;  // the test drives the checks
    BrokerTestBase::SetUp();
    CreateStreamParams params;
    params.name = "auto";
    params.mode = StreamMode::kOnDemand;
    // No shard count: ON_DEMAND streams start with 4.
    ASSERT_TRUE(broker_->CreateStream(params).ok());
  }

  // Writes `bytes` into shard 0 spread over many hash keys of its range.
  void WriteToShardZero(int records, size_t size) {
    const common::HashKey width = common::EvenHashKeyRanges(4)[0].end;
    std::vector<std::string> keys;
    for (int i = 0; i < records; ++i) {
      keys.push_back(common::FormatUint128(width / 1000 * static_cast<uint64_t>(i % 1000)));
    }
    const std::string data(size, 'x');
    std::vector<PutEntry> entries;
    for (const std::string& key : keys) entries.push_back(PutEntry{data, "k", key});
    auto result = Put("auto", entries);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  int OpenShards() {
    auto info = broker_->DescribeStream(DescribeStreamParams{StreamRef{"auto", ""}, 100, ""});
    EXPECT_TRUE(info.ok()) << info.status();
    if (!info.ok()) return -1;
    int open = 0;
    for (const ShardInfo& shard : info->shards) {
      open += shard.ending_sequence_number.empty() ? 1 : 0;
    }
    return open;
  }
};

TEST_F(CapacityManagerTest, ASustainedHotShardSplitsBetweenTheKeysWritten) {
  broker_->capacity().CheckNow();
  for (int second = 0; second < 2; ++second) {
    WriteToShardZero(100, 200);  // ~20 KB per second: twice the threshold
    clock_.AdvanceMillis(1000);
    broker_->capacity().CheckNow();
  }
  EXPECT_EQ(OpenShards(), 5);
  auto info = broker_->DescribeStream(DescribeStreamParams{StreamRef{"auto", ""}, 100, ""});
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->shards[0].ending_sequence_number.empty()) << "shard 0 was the hot one";
  EXPECT_EQ(info->shards[4].parent_shard_id, "shardId-000000000000");
}

TEST_F(CapacityManagerTest, ABriefBurstDoesNotSplit) {
  broker_->capacity().CheckNow();
  WriteToShardZero(75, 200);  // 15 KB/s for one second: under 10 KB/s over the 2 s window
  clock_.AdvanceMillis(1000);
  broker_->capacity().CheckNow();  // hot, but not for a whole window yet
  for (int second = 0; second < 3; ++second) {
    clock_.AdvanceMillis(1000);
    broker_->capacity().CheckNow();  // then quiet: the window's average drops
  }
  EXPECT_EQ(OpenShards(), 4);
}

TEST_F(CapacityManagerTest, ASingleHotKeyDoesNotSplit) {
  broker_->capacity().CheckNow();
  for (int second = 0; second < 3; ++second) {
    auto result = Put("auto", std::vector<PutEntry>(100, PutEntry{std::string(200, 'x'), "k", "5"}));
    ASSERT_TRUE(result.ok());
    clock_.AdvanceMillis(1000);
    broker_->capacity().CheckNow();
  }
  EXPECT_EQ(OpenShards(), 4) << "one hash key cannot be spread by a split";
}

TEST_F(CapacityManagerTest, ColdSiblingsMergeBackAfterTheQuietPeriod) {
  broker_->capacity().CheckNow();
  for (int second = 0; second < 2; ++second) {
    WriteToShardZero(100, 200);
    clock_.AdvanceMillis(1000);
    broker_->capacity().CheckNow();
  }
  ASSERT_EQ(OpenShards(), 5);
  for (int minute = 0; minute < 3 && OpenShards() == 5; ++minute) {
    clock_.AdvanceMillis(30'000);
    broker_->capacity().CheckNow();
  }
  EXPECT_EQ(OpenShards(), 4);
  auto info = broker_->DescribeStream(DescribeStreamParams{StreamRef{"auto", ""}, 100, ""});
  ASSERT_TRUE(info.ok());
  const ShardInfo& merged = info->shards.back();
  EXPECT_EQ(merged.parent_shard_id, "shardId-000000000004");
  EXPECT_EQ(merged.adjacent_parent_shard_id, "shardId-000000000005");
  EXPECT_EQ(merged.hash_range, common::EvenHashKeyRanges(4)[0]);
}

}  // namespace
}  // namespace eddy::broker
