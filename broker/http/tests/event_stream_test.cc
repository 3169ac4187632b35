#include "broker/http/event_stream.h"

#include <gtest/gtest.h>

namespace eddy::broker::http {
namespace {

TEST(EventStreamTest, RoundTripsAndMatchesTheKnownPrelude) {
  const std::string bytes = EventMessage("initial-response", "application/x-amz-json-1.1", "{}");
  ASSERT_GE(bytes.size(), 16u);
  // total length and headers length, big-endian
  const uint32_t total = static_cast<uint8_t>(bytes[0]) << 24 | static_cast<uint8_t>(bytes[1]) << 16 |
                         static_cast<uint8_t>(bytes[2]) << 8 | static_cast<uint8_t>(bytes[3]);
  EXPECT_EQ(total, bytes.size());
  size_t consumed = 0;
  absl::StatusOr<EventStreamMessage> message = DecodeEventStreamMessage(bytes, &consumed);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(consumed, bytes.size());
  EXPECT_EQ(message->Header(":event-type"), "initial-response");
  EXPECT_EQ(message->Header(":message-type"), "event");
  EXPECT_EQ(message->Header(":content-type"), "application/x-amz-json-1.1");
  EXPECT_EQ(message->payload, "{}");
}

TEST(EventStreamTest, IncompleteAndCorruptFramesAreTold) {
  const std::string bytes = ExceptionMessage("ResourceNotFoundException", "application/json",
                                             R"({"message":"gone"})");
  size_t consumed = 0;
  EXPECT_TRUE(absl::IsNotFound(
      DecodeEventStreamMessage(bytes.substr(0, bytes.size() - 1), &consumed).status()));
  std::string corrupt = bytes;
  corrupt[20] ^= 0x01;
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeEventStreamMessage(corrupt, &consumed).status()));
  std::string bad_prelude = bytes;
  bad_prelude[1] ^= 0x01;
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeEventStreamMessage(bad_prelude, &consumed).status()));
  absl::StatusOr<EventStreamMessage> ok = DecodeEventStreamMessage(bytes, &consumed);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->Header(":exception-type"), "ResourceNotFoundException");
}

}  // namespace
}  // namespace eddy::broker::http
