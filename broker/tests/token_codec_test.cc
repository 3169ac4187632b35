#include "broker/token_codec.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

TEST(TokenCodecTest, OpensWhatItSealed) {
  TokenCodec codec(std::string(32, 'k'));
  const std::string token = codec.Seal('I', "payload bytes");
  absl::StatusOr<std::string> payload = codec.Open('I', token, "ShardIterator");
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(*payload, "payload bytes");
  EXPECT_LE(token.size(), 512u);
}

TEST(TokenCodecTest, RefusesEveryEditedByte) {
  TokenCodec codec(std::string(32, 'k'));
  std::string body;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(codec.Seal('I', "0123456789abcdef"), &body));
  for (size_t i = 0; i < body.size(); ++i) {
    std::string edited = body;
    edited[i] ^= 0x01;
    absl::StatusOr<std::string> opened =
        codec.Open('I', absl::WebSafeBase64Escape(edited), "ShardIterator");
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    EXPECT_EQ(common::ErrorType(opened.status()), common::kInvalidArgument);
  }
}

TEST(TokenCodecTest, RefusesForgeriesOtherKeysAndOtherKinds) {
  TokenCodec codec(std::string(32, 'k'));
  TokenCodec other(std::string(32, 'x'));
  EXPECT_FALSE(codec.Open('I', other.Seal('I', "p"), "ShardIterator").ok());
  EXPECT_FALSE(codec.Open('L', codec.Seal('I', "p"), "NextToken").ok());
  EXPECT_FALSE(codec.Open('I', "not-a-token", "ShardIterator").ok());
  EXPECT_FALSE(codec.Open('I', "", "ShardIterator").ok());
  EXPECT_FALSE(codec.Open('I', std::string(4000, 'A'), "ShardIterator").ok());
}

TEST(TokenCodecTest, BigEndianHelpersRoundTrip) {
  std::string out;
  AppendBigEndian64(&out, 0x0102030405060708ull);
  AppendBigEndian32(&out, 0xA0B0C0D0u);
  EXPECT_EQ(out[0], 0x01);
  EXPECT_EQ(ReadBigEndian64(out), 0x0102030405060708ull);
  EXPECT_EQ(ReadBigEndian32(absl::string_view(out).substr(8)), 0xA0B0C0D0u);
}

}  // namespace
}  // namespace eddy::broker
