#include "aggregation/aggregate.h"

#include <gtest/gtest.h>

#include "common/hash_key.h"
#include "common/md5.h"

namespace eddy::aggregation {
namespace {

TEST(AggregateTest, EncodesTheKplWireFormatByteForByte) {
  AggregateBuilder builder;
  ASSERT_TRUE(builder.Add(UserRecord{"k1", "", "x"}));
  // AggregatedRecord{partition_key_table: ["k1"], records: [{partition_key_index: 0,
  // data: "x"}]}, encoded by hand from the field numbers of the reference.
  const std::string body("\x0A\x02k1\x1A\x05\x08\x00\x1A\x01x", 11);
  EXPECT_EQ(builder.Build(), std::string(kMagic) + body + common::Md5(body));
}

TEST(AggregateTest, RoundTripsRecordsInOrderSharingTables) {
  AggregateBuilder builder;
  const std::vector<UserRecord> records = {
      {"alpha", "", "one"}, {"beta", "12345", "two"}, {"alpha", "", ""}, {"gamma", "12345", "4"}};
  for (const UserRecord& r : records) ASSERT_TRUE(builder.Add(r));
  absl::StatusOr<std::vector<UserRecord>> out = Deaggregate(builder.Build());
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ((*out)[i].partition_key, records[i].partition_key);
    EXPECT_EQ((*out)[i].explicit_hash_key, records[i].explicit_hash_key);
    EXPECT_EQ((*out)[i].data, records[i].data);
  }
}

TEST(AggregateTest, TheAggregateIsRoutedByItsFirstRecordsHashKey) {
  AggregateBuilder by_key;
  by_key.Add(UserRecord{"first", "", "a"});
  by_key.Add(UserRecord{"second", "", "b"});
  EXPECT_EQ(by_key.ExplicitHashKey(),
            common::FormatUint128(common::HashKeyOfPartitionKey("first")));
  AggregateBuilder explicit_key;
  explicit_key.Add(UserRecord{"first", "777", "a"});
  EXPECT_EQ(explicit_key.ExplicitHashKey(), "777");
}

TEST(AggregateTest, StaysWithinItsSizeButAlwaysTakesOneRecord) {
  AggregateBuilder builder(1000);
  EXPECT_TRUE(builder.Add(UserRecord{"k", "", std::string(5000, 'x')}));  // alone: taken
  EXPECT_FALSE(builder.Add(UserRecord{"k", "", "y"}));
  builder.Clear();
  int added = 0;
  while (builder.Add(UserRecord{"key", "", std::string(100, 'z')})) ++added;
  EXPECT_GT(added, 3);
  EXPECT_LE(builder.Build().size(), 1000u);
  EXPECT_LE(builder.Build().size(), builder.EncodedBytesBound());
}

TEST(AggregateTest, MalformedAggregatesAreRefusedSoTheyPassThrough) {
  AggregateBuilder builder;
  builder.Add(UserRecord{"k", "", "data"});
  const std::string good = builder.Build();
  ASSERT_TRUE(Deaggregate(good).ok());

  EXPECT_FALSE(Deaggregate("plain record").ok());
  EXPECT_FALSE(Deaggregate(std::string(kMagic)).ok()) << "too short";
  std::string bad_checksum = good;
  bad_checksum.back() ^= 1;
  EXPECT_FALSE(Deaggregate(bad_checksum).ok());
  // Every single-byte change in the body is caught (by the checksum, or the parser).
  for (size_t i = kMagic.size(); i + kChecksumBytes < good.size(); ++i) {
    std::string edited = good;
    edited[i] ^= 0x40;
    EXPECT_FALSE(Deaggregate(edited).ok()) << "byte " << i;
  }
  // Well-formed checksum around a body that is not a valid AggregatedRecord.
  auto wrap = [](const std::string& body) {
    return std::string(kMagic) + body + common::Md5(body);
  };
  EXPECT_FALSE(Deaggregate(wrap("\xFF\xFF\xFF")).ok()) << "unparsable";
  EXPECT_FALSE(Deaggregate(wrap("")).ok()) << "no records";
  // A record pointing past the partition key table.
  EXPECT_FALSE(Deaggregate(wrap(std::string("\x0A\x01k\x1A\x05\x08\x01\x1A\x01x", 10))).ok());
  // A record missing its required data field.
  EXPECT_FALSE(Deaggregate(wrap(std::string("\x0A\x01k\x1A\x02\x08\x00", 7))).ok());
  // An explicit hash key that is not a number.
  EXPECT_FALSE(
      Deaggregate(wrap(std::string("\x0A\x01k\x12\x02zz\x1A\x07\x08\x00\x10\x00\x1A\x01x", 16)))
          .ok());
  // The same explicit-hash-key aggregate with a numeric key is fine (the test above is not
  // failing for another reason).
  EXPECT_TRUE(Deaggregate(wrap(std::string(
                              "\x0A\x01k\x12\x02\x34\x32\x1A\x07\x08\x00\x10\x00\x1A\x01x", 16)))
                  .ok());
}

}  // namespace
}  // namespace eddy::aggregation
