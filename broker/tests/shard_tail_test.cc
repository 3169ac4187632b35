#include "broker/shard_tail.h"

#include <gtest/gtest.h>

namespace eddy::broker {
namespace {

SharedRecord Make(uint64_t counter, size_t size) {
  return std::make_shared<const StoredRecord>(StoredRecord{counter, "k", std::string(size, 'x')});
}

TEST(ShardTailTest, ReadsFromACounterInOrder) {
  ShardTail tail(10, 1 << 20);
  tail.Append({Make(10, 9), Make(12, 9), Make(15, 9)});
  auto records = tail.Read(11, 100, 1 << 20).records;
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]->counter, 12u);
  EXPECT_EQ(records[1]->counter, 15u);
  EXPECT_TRUE(tail.Read(16, 100, 1 << 20).records.empty());
  EXPECT_FALSE(tail.Read(9, 1, 1 << 20).covered) << "below the floor";
  EXPECT_TRUE(tail.Read(10, 1, 1 << 20).covered);
}

TEST(ShardTailTest, EvictsTheOldestPastItsBudgetAndRaisesTheFloor) {
  ShardTail tail(1, 30);  // each record counts 10 bytes (9 + key)
  tail.Append({Make(1, 9), Make(2, 9), Make(3, 9)});
  EXPECT_EQ(tail.floor(), 1u);
  tail.Append({Make(4, 9)});
  EXPECT_EQ(tail.floor(), 2u);
  EXPECT_FALSE(tail.Read(1, 100, 1 << 20).covered);
  auto records = tail.Read(2, 100, 1 << 20).records;
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records.front()->counter, 2u);
}

TEST(ShardTailTest, ByteCapAlwaysReturnsTheFirstRecord) {
  ShardTail tail(1, 1 << 20);
  tail.Append({Make(1, 99), Make(2, 99)});
  EXPECT_EQ(tail.Read(1, 100, 10).records.size(), 1u);
  EXPECT_EQ(tail.Read(1, 100, 200).records.size(), 2u);
}

TEST(ShardTailTest, ZeroBudgetKeepsNothing) {
  ShardTail tail(1, 0);
  tail.Append({Make(1, 9), Make(2, 9)});
  EXPECT_EQ(tail.floor(), 3u);
  EXPECT_TRUE(tail.Read(3, 100, 1 << 20).records.empty());
}

}  // namespace
}  // namespace eddy::broker
