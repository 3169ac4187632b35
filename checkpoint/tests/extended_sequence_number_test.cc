#include "checkpoint/extended_sequence_number.h"

#include <gtest/gtest.h>

namespace eddy::checkpoint {
namespace {

ExtendedSequenceNumber Seq(const std::string& s, uint64_t sub = 0) {
  return *ExtendedSequenceNumber::Of(s, sub);
}

TEST(ExtendedSequenceNumberTest, SentinelsOrderAsTheKclDoes) {
  const std::vector<ExtendedSequenceNumber> ordered = {
      ExtendedSequenceNumber::AtTimestamp(), ExtendedSequenceNumber::TrimHorizon(),
      ExtendedSequenceNumber::Latest(),      Seq("1"),
      Seq("1", 1),                           Seq("2"),
      Seq("10"),                             Seq("49590338271490256608559692538361571095921575989136588898"),
      ExtendedSequenceNumber::ShardEnd()};
  for (size_t i = 0; i < ordered.size(); ++i) {
    for (size_t j = 0; j < ordered.size(); ++j) {
      EXPECT_EQ(ordered[i] < ordered[j], i < j) << ordered[i].ToString() << " vs "
                                                << ordered[j].ToString();
      EXPECT_EQ(ordered[i] == ordered[j], i == j);
    }
  }
}

TEST(ExtendedSequenceNumberTest, ParsesWhatItPrints) {
  for (const char* text : {"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END", "12345",
                           "12345:7", "1329228075013078394699613695551471616"}) {
    auto parsed = ExtendedSequenceNumber::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(parsed->ToString(), text);
  }
  EXPECT_EQ(ExtendedSequenceNumber::Parse("5:0")->ToString(), "5");
  for (const char* bad : {"", "latest", "-1", "01", "1:x", "1.5", "abc"}) {
    EXPECT_FALSE(ExtendedSequenceNumber::Parse(bad).ok()) << bad;
  }
}

TEST(ExtendedSequenceNumberTest, DefaultIsTrimHorizon) {
  EXPECT_EQ(ExtendedSequenceNumber(), ExtendedSequenceNumber::TrimHorizon());
  EXPECT_TRUE(ExtendedSequenceNumber().is_sentinel());
  EXPECT_FALSE(Seq("3").is_sentinel());
}

}  // namespace
}  // namespace eddy::checkpoint
