#include "kcl/internal/deaggregation.h"

#include <gtest/gtest.h>

#include "aggregation/aggregate.h"

namespace eddy::kcl::internal {
namespace {

client::StreamRecord Wire(const std::string& sequence, const std::string& key,
                          const std::string& data) {
  return client::StreamRecord{sequence, 0, data, key};
}

const common::HashKeyRange kAll{0, common::kMaxHashKey};
constexpr OutOfRangeUserRecords kDeliver = OutOfRangeUserRecords::kDeliver;

TEST(DeaggregationTest, APlainRecordPassesThroughAsSubSequenceZero) {
  std::vector<KinesisClientRecord> out;
  EXPECT_EQ(0, AppendUserRecords(Wire("42", "k", "hello"), "shard-1", kAll, kDeliver, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "hello");
  EXPECT_EQ(out[0].partition_key, "k");
  EXPECT_EQ(out[0].sequence_number, "42");
  EXPECT_EQ(out[0].sub_sequence_number, 0u);
  EXPECT_EQ(out[0].shard_id, "shard-1");
}

TEST(DeaggregationTest, AnAggregateBecomesItsUserRecordsWithSubSequenceNumbers) {
  aggregation::AggregateBuilder builder;
  builder.Add({"alpha", "", "1"});
  builder.Add({"beta", "", "2"});
  builder.Add({"alpha", "", "3"});
  std::vector<KinesisClientRecord> out;
  EXPECT_EQ(0, AppendUserRecords(Wire("77", "a", builder.Build()), "s", kAll, kDeliver, &out));
  ASSERT_EQ(out.size(), 3u);
  const std::vector<std::string> keys = {"alpha", "beta", "alpha"};
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].sequence_number, "77");
    EXPECT_EQ(out[i].sub_sequence_number, i);
    EXPECT_EQ(out[i].partition_key, keys[i]);
    EXPECT_EQ(out[i].data, std::to_string(i + 1));
  }
  EXPECT_LT(out[0].position(), out[1].position()) << "sub-records are distinct positions";
}

TEST(DeaggregationTest, AMalformedAggregatePassesThroughUnchanged) {
  aggregation::AggregateBuilder builder;
  builder.Add({"alpha", "", "1"});
  std::string damaged = builder.Build();
  damaged.back() ^= 1;
  std::vector<KinesisClientRecord> out;
  EXPECT_EQ(0, AppendUserRecords(Wire("5", "a", damaged), "s", kAll, kDeliver, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, damaged);
  EXPECT_EQ(out[0].partition_key, "a");
}

TEST(DeaggregationTest, UserRecordsOutsideTheShardAreDeliveredAndCounted) {
  aggregation::AggregateBuilder builder;
  builder.Add({"k1", "10", "in"});
  builder.Add({"k2", "500", "out"});
  builder.Add({"k3", "20", "in too"});
  const std::string data = builder.Build();
  std::vector<KinesisClientRecord> out;
  EXPECT_EQ(1, AppendUserRecords(Wire("5", "a", data), "s", common::HashKeyRange{0, 100}, kDeliver,
                                 &out));
  ASSERT_EQ(out.size(), 3u) << "an aggregate is never dropped whole";
  EXPECT_EQ(out[1].data, "out");
  EXPECT_EQ(out[1].sub_sequence_number, 1u);
  out.clear();
  EXPECT_EQ(0, AppendUserRecords(Wire("5", "a", data), "s", common::HashKeyRange{0, 500}, kDeliver,
                                 &out));
  EXPECT_EQ(out.size(), 3u) << "range ends are inclusive";
}

TEST(DeaggregationTest, WithTheDropPolicyOnlyTheOutOfRangeUserRecordsGo) {
  aggregation::AggregateBuilder builder;
  builder.Add({"k1", "10", "in"});
  builder.Add({"k2", "500", "out"});
  builder.Add({"k3", "20", "in too"});
  std::vector<KinesisClientRecord> out;
  EXPECT_EQ(1, AppendUserRecords(Wire("5", "a", builder.Build()), "s", common::HashKeyRange{0, 100},
                                 OutOfRangeUserRecords::kDrop, &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data, "in");
  EXPECT_EQ(out[1].data, "in too");
  EXPECT_EQ(out[1].sub_sequence_number, 2u) << "sub-sequence numbers are aggregate positions";
}

}  // namespace
}  // namespace eddy::kcl::internal
