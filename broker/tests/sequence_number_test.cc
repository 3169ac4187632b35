#include "broker/sequence_number.h"

#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/hash_key.h"

namespace eddy::broker {
namespace {

absl::uint128 Value(const std::string& text) {
  absl::uint128 value = 0;
  EXPECT_TRUE(common::ParseDecimalUint128(text, &value)) << text;
  return value;
}

TEST(SequenceNumberTest, RoundTrips) {
  SequenceNumber number{0xABCDEF, 42, CounterAtMillis(1'700'000'000'123) + 7};
  absl::StatusOr<SequenceNumber> parsed =
      ParseSequenceNumber(FormatSequenceNumber(number), "SequenceNumber");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->stream_tag, number.stream_tag);
  EXPECT_EQ(parsed->shard_index, 42u);
  EXPECT_EQ(parsed->counter, number.counter);
  EXPECT_EQ(MillisOfCounter(parsed->counter), 1'700'000'000'123);
}

TEST(SequenceNumberTest, IncreaseWithTheCounterAndTheShardIndex) {
  const uint64_t c = CounterAtMillis(1'700'000'000'000);
  EXPECT_LT(Value(FormatSequenceNumber({1, 0, c})), Value(FormatSequenceNumber({1, 0, c + 1})));
  // A child (higher index) is above every number of its parents, even much later ones.
  EXPECT_LT(Value(FormatSequenceNumber({1, 3, UINT64_MAX})),
            Value(FormatSequenceNumber({1, 4, 0})));
}

TEST(SequenceNumberTest, RejectsWhatEddyNeverIssued) {
  for (const char* bad : {"", "abc", "-1", "12", "0", "00001",
                          "49590338271490256608559692538361571095921575989136588898"}) {
    absl::StatusOr<SequenceNumber> parsed = ParseSequenceNumber(bad, "StartingSequenceNumber");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(common::ErrorType(parsed.status()), common::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("StartingSequenceNumber"), std::string::npos);
  }
}

TEST(ShardIdTest, FormatsTwelveDigitsAndParsesOnlyThat) {
  EXPECT_EQ(FormatShardId(0), "shardId-000000000000");
  EXPECT_EQ(FormatShardId(123), "shardId-000000000123");
  EXPECT_EQ(*ParseShardId("shardId-000000000123"), 123u);
  for (const char* bad : {"shardId-1", "shardId-0000000000001", "shard-000000000001",
                          "shardId-00000000000a", "", "shardId-999999999999"}) {
    EXPECT_FALSE(ParseShardId(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace eddy::broker
