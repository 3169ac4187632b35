#include "common/hash_key.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace eddy::common {
namespace {

TEST(HashKeyTest, PartitionKeyHashesMatchKnownMd5Values) {
  // Values computed independently: int.from_bytes(md5(key).digest(), "big").
  EXPECT_EQ(FormatUint128(HashKeyOfPartitionKey("")), "281949768489412648962353822266799178366");
  EXPECT_EQ(FormatUint128(HashKeyOfPartitionKey("user1")),
            "48900430532020830442050270794663993245");
  EXPECT_EQ(FormatUint128(HashKeyOfPartitionKey("a")), "16955237001963240173058271559858726497");
  EXPECT_EQ(FormatUint128(HashKeyOfPartitionKey("partitionKey-0")),
            "283893945402358862714065952676399797471");
}

TEST(HashKeyTest, ParsesTheWholeRangeAndNothingElse) {
  EXPECT_EQ(*ParseHashKey("0", "k"), 0);
  EXPECT_EQ(*ParseHashKey("340282366920938463463374607431768211455", "k"), kMaxHashKey);
  EXPECT_EQ(*ParseHashKey("340282366920938463463374607431768211454", "k"), kMaxHashKey - 1);
  for (const char* bad : {"", "-1", "01", "1.5", " 1", "abc",
                          "340282366920938463463374607431768211456",      // 2^128
                          "999999999999999999999999999999999999999",      // 39 nines
                          "1000000000000000000000000000000000000000"}) {  // 40 digits
    absl::StatusOr<HashKey> parsed = ParseHashKey(bad, "ExplicitHashKey");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(ErrorType(parsed.status()), kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("ExplicitHashKey"), absl::string_view::npos);
  }
}

TEST(HashKeyTest, FormatsEveryDigitAcrossTheChunkBoundaries) {
  const absl::uint128 ten19 = 10'000'000'000'000'000'000ULL;
  EXPECT_EQ(FormatUint128(0), "0");
  EXPECT_EQ(FormatUint128(7), "7");
  EXPECT_EQ(FormatUint128(ten19 - 1), "9999999999999999999");
  EXPECT_EQ(FormatUint128(ten19), "10000000000000000000");
  EXPECT_EQ(FormatUint128(ten19 + 5), "10000000000000000005");
  EXPECT_EQ(FormatUint128(ten19 * ten19 - 1), std::string(38, '9'));
  EXPECT_EQ(FormatUint128(ten19 * ten19), "1" + std::string(38, '0'));
  EXPECT_EQ(FormatUint128(ten19 * ten19 + ten19 + 1),
            "1" + std::string(18, '0') + "1" + std::string(18, '0') + "1");
  EXPECT_EQ(FormatUint128(kMaxHashKey), "340282366920938463463374607431768211455");
}

TEST(HashKeyTest, FormatRoundTripsAtTheEdges) {
  for (HashKey v : {HashKey(0), HashKey(1), HashKey(9), HashKey(10),
                    absl::MakeUint128(1, 0), kMaxHashKey - 1, kMaxHashKey}) {
    HashKey back = 0;
    ASSERT_TRUE(ParseDecimalUint128(FormatUint128(v), &back));
    EXPECT_EQ(back, v);
  }
}

TEST(HashKeyTest, OneShardOwnsEverything) {
  auto ranges = EvenHashKeyRanges(1);
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].start, 0);
  EXPECT_EQ(ranges[0].end, kMaxHashKey);
}

TEST(HashKeyTest, EvenRangesAreAdjacentAndCoverTheSpace) {
  for (int count : {2, 3, 4, 7, 16, 100, 1000}) {
    auto ranges = EvenHashKeyRanges(count);
    ASSERT_EQ(ranges.size(), static_cast<size_t>(count));
    EXPECT_EQ(ranges.front().start, 0);
    EXPECT_EQ(ranges.back().end, kMaxHashKey);
    for (int i = 1; i < count; ++i) {
      EXPECT_EQ(ranges[i].start, ranges[i - 1].end + 1) << count << " " << i;
    }
  }
}

TEST(HashKeyTest, EvenRangeWidthIsFloorOfTwoTo128OverCount) {
  EXPECT_EQ(FormatUint128(EvenHashKeyRanges(3)[1].start),
            "113427455640312821154458202477256070485");
  EXPECT_EQ(FormatUint128(EvenHashKeyRanges(7)[1].start),
            "48611766702991209066196372490252601636");
  // Powers of two divide 2^128 exactly.
  EXPECT_EQ(EvenHashKeyRanges(2)[1].start, absl::MakeUint128(1ull << 63, 0));
  EXPECT_EQ(EvenHashKeyRanges(4)[3].start, absl::MakeUint128(3ull << 62, 0));
}

TEST(HashKeyTest, ContainsIsInclusiveAtBothEnds) {
  HashKeyRange range{10, 20};
  EXPECT_FALSE(range.Contains(9));
  EXPECT_TRUE(range.Contains(10));
  EXPECT_TRUE(range.Contains(20));
  EXPECT_FALSE(range.Contains(21));
}

}  // namespace
}  // namespace eddy::common
