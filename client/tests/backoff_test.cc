// Backoff: exponential up to the cap, jittered within its band, back to the start on Reset.
#include "client/backoff.h"

#include <gtest/gtest.h>

namespace eddy::client {
namespace {

TEST(BackoffTest, WithoutJitterDoublesUpToTheMaximum) {
  Backoff backoff({absl::Milliseconds(100), absl::Milliseconds(500), 2.0, 0.0}, 1);
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(200));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(400));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(500));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(500));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterStaysInItsBandAndSpreadsTheDelays) {
  Backoff backoff({absl::Seconds(1), absl::Seconds(1), 2.0, 0.5}, 42);
  absl::Duration lowest = absl::InfiniteDuration(), highest = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration d = backoff.Next();
    ASSERT_GE(d, absl::Milliseconds(500));
    ASSERT_LE(d, absl::Seconds(1));
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  EXPECT_LT(lowest, absl::Milliseconds(550));
  EXPECT_GT(highest, absl::Milliseconds(950));
}

TEST(BackoffTest, TwoWorkersSeededApartDoNotRetryInStep) {
  Backoff a({}, 1), b({}, 2);
  int same = 0;
  for (int i = 0; i < 20; ++i) same += a.Next() == b.Next() ? 1 : 0;
  EXPECT_LT(same, 20);
}

TEST(BackoffTest, OptionsOutOfRangeAreClamped) {
  Backoff backoff({absl::Milliseconds(100), absl::Milliseconds(10), 0.5, 7.0}, 3);
  for (int i = 0; i < 10; ++i) {
    const absl::Duration d = backoff.Next();
    EXPECT_GE(d, absl::ZeroDuration());
    EXPECT_LE(d, absl::Milliseconds(100));  // the maximum is raised to the initial delay
  }
}

}  // namespace
}  // namespace eddy::client
