#include "common/base64.h"

#include <gtest/gtest.h>

#include <random>

#include "absl/strings/escaping.h"

namespace eddy::common {
namespace {

// The encoder writes what absl writes, for every tail length (random bytes, fixed seed).
TEST(Base64Test, EncodesAsAbsl) {
  std::mt19937 random(20261203);
  for (size_t length = 0; length < 200; ++length) {
    std::string bytes;
    for (size_t k = 0; k < length; ++k) bytes.push_back(static_cast<char>(random()));
    std::string ours = "prefix";
    AppendBase64(bytes, &ours);
    EXPECT_EQ(ours, "prefix" + absl::Base64Escape(bytes)) << length;
  }
}

// The one-pass decoder answers as absl's decoder does on the characters AWS allows, and
// refuses everything else (random strings, fixed seed).
TEST(Base64Test, DecodesAsAbslAndRefusesTheRest) {
  EXPECT_EQ(DecodeBase64("aGk="), std::optional<std::string>("hi"));
  EXPECT_EQ(DecodeBase64("aGk"), std::optional<std::string>("hi"));
  EXPECT_EQ(DecodeBase64(""), std::optional<std::string>(""));
  for (const char* bad : {"a", "aGk=a", "aG=k", "aGk==", "a===", "aG k", "aGk\n", "aG-_"}) {
    EXPECT_FALSE(DecodeBase64(bad).has_value()) << bad;
  }
  std::mt19937 random(20261202);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const size_t length = random() % 12;
    for (size_t k = 0; k < length; ++k) text.push_back(alphabet[random() % alphabet.size()]);
    std::string expected;
    const bool ok = absl::Base64Unescape(text, &expected);
    const std::optional<std::string> ours = DecodeBase64(text);
    ASSERT_EQ(ours.has_value(), ok) << text;
    if (ok) {
      EXPECT_EQ(*ours, expected) << text;
    }
  }
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>(random()));
  EXPECT_EQ(DecodeBase64(absl::Base64Escape(bytes)), std::optional<std::string>(bytes));
}

// Into a buffer that held a longer answer: only the decoded bytes remain.
TEST(Base64Test, DecodeIntoReplacesTheBuffer) {
  std::string out(100, 'x');
  ASSERT_TRUE(DecodeBase64Into("aGk=", &out));
  EXPECT_EQ(out, "hi");
  EXPECT_FALSE(DecodeBase64Into("a", &out));
}

}  // namespace
}  // namespace eddy::common
