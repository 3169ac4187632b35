// ListShards' ShardFilter through each StreamConnection (gRPC, Kinesis HTTP/1.1, h2c)
// against a real broker: what a consumer starting on an empty lease table lists (the shards
// at its initial position), and the whole stream without a filter.
#include <gtest/gtest.h>

#include <set>

#include "absl/time/clock.h"
#include "kcl/internal/stream_transport.h"
#include "tests/integration/consumer_fixture.h"

namespace eddy::testing {
namespace {

using client::ShardFilter;

class ShardFilterTest : public TransportTest {
 protected:
  std::set<std::string> Listed(client::StreamConnection& streams, const ShardFilter& filter) {
    absl::StatusOr<std::vector<client::ShardDescription>> shards =
        streams.ListShards(client::StreamRef{"s", ""}, filter);
    EXPECT_TRUE(shards.ok()) << shards.status();
    std::set<std::string> ids;
    if (shards.ok()) {
      for (const client::ShardDescription& shard : *shards) ids.insert(shard.shard_id);
    }
    return ids;
  }

  // Waits until the wall clock has moved past `millis` (shard times are in milliseconds).
  static int64_t MillisAfter(int64_t millis) {
    EXPECT_TRUE(WaitFor([&] { return absl::ToUnixMillis(absl::Now()) > millis + 1; },
                        std::chrono::seconds(5)));
    return absl::ToUnixMillis(absl::Now());
  }
};

TEST_P(ShardFilterTest, EachFilterListsTheShardsAtItsPosition) {
  CreateStream("s", 1);
  const int64_t before_split = MillisAfter(absl::ToUnixMillis(absl::Now()));
  MillisAfter(before_split);
  ASSERT_TRUE(SplitInHalf("s", "shardId-000000000000").ok());
  const int64_t after_split = MillisAfter(absl::ToUnixMillis(absl::Now()));

  kcl::Config config;
  ApplyTransport(config);
  absl::StatusOr<std::unique_ptr<client::StreamConnection>> streams =
      kcl::internal::OpenStreamConnection(config);
  ASSERT_TRUE(streams.ok()) << streams.status();

  const std::set<std::string> parent = {"shardId-000000000000"};
  const std::set<std::string> children = {"shardId-000000000001", "shardId-000000000002"};
  std::set<std::string> all = children;
  all.insert(parent.begin(), parent.end());
  EXPECT_EQ(Listed(**streams, ShardFilter{}), all);
  // A stream younger than its retention has its first shards at the trim horizon.
  EXPECT_EQ(Listed(**streams, ShardFilter{ShardFilter::Type::kAtTrimHorizon, 0}), parent);
  EXPECT_EQ(Listed(**streams, ShardFilter{ShardFilter::Type::kAtLatest, 0}), children);
  EXPECT_EQ(Listed(**streams, ShardFilter{ShardFilter::Type::kAtTimestamp, before_split}), parent);
  EXPECT_EQ(Listed(**streams, ShardFilter{ShardFilter::Type::kAtTimestamp, after_split}), children);
}

INSTANTIATE_TEST_SUITE_P(Transports, ShardFilterTest, AllTransports(), TransportName);

}  // namespace
}  // namespace eddy::testing
