#include "common/event_stream.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace eddy::common {
namespace {

TEST(EventStreamTest, RoundTripsAndMatchesTheKnownPrelude) {
  const std::string bytes = EventMessage("initial-response", "application/x-amz-json-1.1", "{}");
  ASSERT_GE(bytes.size(), 16u);
  // total length and headers length, big-endian
  const uint32_t total = static_cast<uint8_t>(bytes[0]) << 24 |
                         static_cast<uint8_t>(bytes[1]) << 16 |
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

// Known answers, not our encoder judged by our decoder: AWS's `empty_message` test vector
// (aws-c-event-stream), and a one-header message whose CRCs Python's zlib.crc32 computed.
TEST(EventStreamTest, MatchesKnownAnswers) {
  EXPECT_EQ(absl::BytesToHexString(EncodeEventStreamMessage(EventStreamMessage{})),
            "000000100000000005c248eb7d98c8ff");
  EventStreamMessage ping;
  ping.headers = {{":event-type", "ping"}};
  ping.payload = "{}";
  EXPECT_EQ(absl::BytesToHexString(EncodeEventStreamMessage(ping)),
            "0000002500000013e8bd3ec30b3a6576656e742d7479706507000470696e677b7d58e022b9");
  EventStreamFrame in_place({{":event-type", "ping"}}, 0);
  in_place.payload()->append("{}");
  EXPECT_EQ(absl::BytesToHexString(std::move(in_place).Finish()),
            "0000002500000013e8bd3ec30b3a6576656e742d7479706507000470696e677b7d58e022b9");
}

// SubscribeToShard writes an event's payload in place, into a frame reserved for an estimate
// of it: the bytes are the same whether the estimate was short, exact or long.
TEST(EventStreamTest, APayloadWrittenInPlaceMakesTheSameMessage) {
  std::string payload;
  for (int i = 0; payload.size() < 100'000; ++i) payload += std::to_string(i) + ",";
  const std::string expected = EventMessage("SubscribeToShardEvent", "application/json", payload);
  for (size_t estimate : {size_t{0}, payload.size(), payload.size() * 2}) {
    EventStreamFrame frame = EventFrame("SubscribeToShardEvent", "application/json", estimate);
    frame.payload()->append(payload.substr(0, 7));
    frame.payload()->append(payload.substr(7));
    const std::string bytes = std::move(frame).Finish();
    EXPECT_EQ(bytes, expected) << estimate;
    size_t consumed = 0;
    absl::StatusOr<EventStreamMessage> message = DecodeEventStreamMessage(bytes, &consumed);
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(message->payload, payload);
    EXPECT_EQ(message->Header(":event-type"), "SubscribeToShardEvent");
  }
}

TEST(EventStreamTest, IncompleteAndCorruptFramesAreTold) {
  const std::string bytes =
      ExceptionMessage("ResourceNotFoundException", "application/json", R"({"message":"gone"})");
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

TEST(EventStreamTest, AViewDecodesTheSameMessageAndPointsIntoTheBytes) {
  const std::string bytes = EventMessage("SubscribeToShardEvent", "application/json", "{\"a\":1}");
  const std::string two = bytes + bytes;
  size_t consumed = 0;
  absl::StatusOr<EventStreamMessageView> view = DecodeEventStreamMessageView(two, &consumed);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(consumed, bytes.size());
  EXPECT_EQ(view->payload, "{\"a\":1}");
  EXPECT_GE(view->payload.data(), two.data());
  EXPECT_LT(view->payload.data(), two.data() + bytes.size());
  EXPECT_EQ(view->Header(":event-type"), "SubscribeToShardEvent");
  EXPECT_EQ(view->Header(":missing"), "");
  std::string corrupt = bytes;
  corrupt[bytes.size() - 6] ^= 0x01;  // inside the payload: the message CRC no longer holds
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeEventStreamMessageView(corrupt, &consumed).status()));
  EXPECT_TRUE(absl::IsNotFound(DecodeEventStreamMessageView(bytes.substr(0, 13), &consumed).status()));
}

}  // namespace
}  // namespace eddy::common
