#include "broker/validation.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace eddy::broker {
namespace {

TEST(ValidationTest, StreamNames) {
  EXPECT_TRUE(ValidateStreamName("rabbit-kds").ok());
  EXPECT_TRUE(ValidateStreamName("a.b_c-D9").ok());
  EXPECT_TRUE(ValidateStreamName(std::string(128, 'a')).ok());
  EXPECT_FALSE(ValidateStreamName("").ok());
  EXPECT_FALSE(ValidateStreamName(std::string(129, 'a')).ok());
  EXPECT_FALSE(ValidateStreamName("has space").ok());
  EXPECT_FALSE(ValidateStreamName("slash/name").ok());
  EXPECT_EQ(common::ErrorType(ValidateStreamName("")), common::kValidation);
}

TEST(ValidationTest, PartitionKeysCountUnicodeCharacters) {
  EXPECT_TRUE(ValidatePartitionKey("user1").ok());
  EXPECT_TRUE(ValidatePartitionKey(std::string(256, 'k')).ok());
  EXPECT_FALSE(ValidatePartitionKey("").ok());
  EXPECT_FALSE(ValidatePartitionKey(std::string(257, 'k')).ok());
  std::string euros;  // 256 × "€": 768 bytes but 256 characters
  for (int i = 0; i < 256; ++i) euros += "\xE2\x82\xAC";
  EXPECT_TRUE(ValidatePartitionKey(euros).ok());
  EXPECT_FALSE(ValidatePartitionKey(euros + "\xE2\x82\xAC").ok());
}

TEST(ValidationTest, PartitionKeysMustBeUtf8) {
  EXPECT_FALSE(ValidatePartitionKey("\xFF").ok());
  EXPECT_FALSE(ValidatePartitionKey("\xE2\x82").ok());          // truncated
  EXPECT_FALSE(ValidatePartitionKey("\xC0\xAF").ok());          // overlong '/'
  EXPECT_FALSE(ValidatePartitionKey("\xED\xA0\x80").ok());      // surrogate
  EXPECT_TRUE(ValidatePartitionKey("\xF0\x9F\x90\x87").ok());   // 🐇
}

TEST(ValidationTest, RetentionAndRanges) {
  EXPECT_TRUE(ValidateRetentionHours(24).ok());
  EXPECT_TRUE(ValidateRetentionHours(8760).ok());
  EXPECT_FALSE(ValidateRetentionHours(23).ok());
  EXPECT_FALSE(ValidateRetentionHours(8761).ok());
  EXPECT_TRUE(ValidateRange("limit", 1, 1, 10).ok());
  absl::Status status = ValidateRange("limit", 11, 1, 10);
  EXPECT_EQ(common::ErrorType(status), common::kValidation);
  EXPECT_NE(status.message().find("limit"), std::string::npos);
}

}  // namespace
}  // namespace eddy::broker
