#include "common/token_bucket.h"

#include <gtest/gtest.h>

#include "common/testing/fake_clock.h"

namespace eddy::common {
namespace {

TEST(TokenBucketTest, StartsFullAndRefusesBeyondCapacity) {
  testing::FakeClock clock;
  TokenBucket bucket(1000, 1000, clock);
  EXPECT_TRUE(bucket.TryTake(600));
  EXPECT_FALSE(bucket.TryTake(600));
  EXPECT_TRUE(bucket.TryTake(400));
  EXPECT_FALSE(bucket.TryTake(1));
}

TEST(TokenBucketTest, RefillsAtItsRateUpToCapacity) {
  testing::FakeClock clock;
  TokenBucket bucket(1000, 1000, clock);
  ASSERT_TRUE(bucket.TryTake(1000));
  clock.AdvanceMillis(250);
  EXPECT_NEAR(bucket.Available(), 250, 1e-6);
  EXPECT_FALSE(bucket.TryTake(251));
  EXPECT_TRUE(bucket.TryTake(250));
  clock.AdvanceMillis(60'000);
  EXPECT_NEAR(bucket.Available(), 1000, 1e-6);
}

TEST(TokenBucketTest, DebtMustBeWaitedOut) {
  testing::FakeClock clock;
  TokenBucket bucket(100, 100, clock);
  bucket.TakeAllowingDebt(300);
  EXPECT_FALSE(bucket.HasTokens());
  EXPECT_EQ(bucket.NanosUntil(1), 2'010'000'000);
  clock.AdvanceMillis(2000);
  EXPECT_FALSE(bucket.HasTokens());
  clock.AdvanceMillis(20);
  EXPECT_TRUE(bucket.HasTokens());
}

TEST(TokenBucketTest, NanosUntilIsZeroWhenAvailable) {
  testing::FakeClock clock;
  TokenBucket bucket(10, 5, clock);
  EXPECT_EQ(bucket.NanosUntil(5), 0);
  ASSERT_TRUE(bucket.TryTake(5));
  EXPECT_EQ(bucket.NanosUntil(1), 100'000'000);
}

}  // namespace
}  // namespace eddy::common
