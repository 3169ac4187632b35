// Records keep their order per shard, and `eddy produce` keeps every key's order.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/hash_key.h"
#include "tests/integration/broker_fixture.h"
#include "tests/integration/produce_check.h"

namespace eddy::testing {
namespace {

class OrderingTest : public BrokerTest {};

TEST_F(OrderingTest, ProducedKeysArriveCompleteAndInOrderOnTheirShard) {
  CreateStream("orders", 3);
  CommandResult produced =
      RunEddy({"produce", "--stream-name", "orders", "--count", "6000", "--keys", "20", "--size",
               "200", "--batch-size", "100", "--concurrency", "3"},
              broker_.address());
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  nlohmann::json summary = nlohmann::json::parse(produced.out);
  EXPECT_EQ(summary["RecordsAcknowledged"], 6000);

  OrderReport report;
  std::map<std::string, std::string> shard_of_key;
  for (const std::string& shard : ShardIds("orders")) {
    std::vector<v1::Record> records = ReadShard("orders", shard);
    CheckOrder(records, &report);
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].data().size(), 200u);
      ProducedRecord p;
      ASSERT_TRUE(ParseProduced(records[i].data(), &p));
      EXPECT_EQ(p.key, records[i].partition_key());
      auto [it, fresh] = shard_of_key.emplace(p.key, shard);
      EXPECT_EQ(it->second, shard) << "key " << p.key << " found on two shards";
      if (i > 0) {
        absl::uint128 a = 0, b = 0;
        ASSERT_TRUE(common::ParseDecimalUint128(records[i - 1].sequence_number(), &a));
        ASSERT_TRUE(common::ParseDecimalUint128(records[i].sequence_number(), &b));
        EXPECT_LT(a, b) << "sequence numbers must increase within " << shard;
      }
    }
  }
  EXPECT_EQ(report.records, 6000);
  EXPECT_EQ(report.gaps, 0);
  EXPECT_EQ(report.out_of_order, 0);
  EXPECT_EQ(report.next_expected.size(), 20u);
  for (const auto& [key, next] : report.next_expected) EXPECT_EQ(next, 300) << key;
  std::set<std::string> shards_used;
  for (const auto& [key, shard] : shard_of_key) shards_used.insert(shard);
  EXPECT_EQ(shards_used.size(), 3u) << "20 keys should spread over all 3 shards";
}

// Under the default (Kinesis) limits the producer is throttled and retries, and order
// still holds.
class ThrottledOrderingTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerArgs() override { return {}; }
};

TEST_F(ThrottledOrderingTest, ThrottledProducerStillKeepsEveryKeysOrder) {
  CreateStream("slow", 1);
  CommandResult produced = RunEddy({"produce", "--stream-name", "slow", "--count", "2500", "--keys",
                                    "7", "--size", "100", "--batch-size", "500"},
                                   broker_.address());
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  nlohmann::json summary = nlohmann::json::parse(produced.out);
  EXPECT_EQ(summary["RecordsAcknowledged"], 2500);
  EXPECT_GT(summary["ThrottledRecords"].get<long long>(), 0) << "1000 records/s must throttle";
  OrderReport report;
  CheckOrder(ReadShard("slow", "shardId-000000000000"), &report);
  EXPECT_EQ(report.records, 2500);
  EXPECT_EQ(report.gaps, 0);
  EXPECT_EQ(report.out_of_order, 0);
}

}  // namespace
}  // namespace eddy::testing
