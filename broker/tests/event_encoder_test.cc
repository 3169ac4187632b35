#include "broker/event_encoder.h"

#include <gtest/gtest.h>

#include "broker/sequence_number.h"
#include "eddy/v1/stream.pb.h"

namespace eddy::broker {
namespace {

SharedRecord Make(uint64_t counter, std::string key, std::string data) {
  auto record = std::make_shared<StoredRecord>();
  record->counter = counter;
  record->partition_key = std::move(key);
  record->data = std::move(data);
  return record;
}

std::string Flatten(const grpc::ByteBuffer& buffer, std::vector<grpc::Slice>* slices) {
  buffer.Dump(slices).IgnoreError();
  std::string out;
  for (const grpc::Slice& slice : *slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

TEST(EventEncoderTest, BytesParseAsTheEventWithEveryField) {
  SubscriptionEvent event;
  event.stream_tag = 7;
  event.shard_index = 3;
  event.records = {Make(100, "small", "tiny data"), Make(101, "big", std::string(5000, 'x')),
                   Make(1ULL << 40, "", "")};
  event.continuation_counter = 1ULL << 40;
  event.millis_behind_latest = 1234;
  event.child_shards = {ChildShardInfo{"shardId-000000000004",
                                       {"shardId-000000000003"},
                                       common::HashKeyRange{5, common::kMaxHashKey}}};
  std::vector<grpc::Slice> slices;
  v1::SubscribeToShardEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(Flatten(EncodeEvent(event), &slices)));

  ASSERT_EQ(parsed.records_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const SharedRecord& in = event.records[static_cast<size_t>(i)];
    const v1::Record& out = parsed.records(i);
    EXPECT_EQ(out.sequence_number(), FormatSequenceNumber(SequenceNumber{7, 3, in->counter}));
    EXPECT_EQ(out.approximate_arrival_timestamp_millis(), MillisOfCounter(in->counter));
    EXPECT_EQ(out.partition_key(), in->partition_key);
    EXPECT_EQ(out.data(), in->data);
    EXPECT_EQ(out.encryption_type(), "NONE");
  }
  EXPECT_EQ(parsed.continuation_sequence_number(),
            FormatSequenceNumber(SequenceNumber{7, 3, 1ULL << 40}));
  EXPECT_EQ(parsed.millis_behind_latest(), 1234);
  ASSERT_EQ(parsed.child_shards_size(), 1);
  EXPECT_EQ(parsed.child_shards(0).shard_id(), "shardId-000000000004");
  EXPECT_EQ(parsed.child_shards(0).parent_shards(0), "shardId-000000000003");
  EXPECT_EQ(parsed.child_shards(0).hash_key_range().starting_hash_key(), "5");

  // The large record's data went out without a copy: one slice points into the record.
  bool zero_copy = false;
  for (const grpc::Slice& slice : slices) {
    zero_copy |= reinterpret_cast<const char*>(slice.begin()) == event.records[1]->data.data();
  }
  EXPECT_TRUE(zero_copy);
}

TEST(EventEncoderTest, AHeartbeatIsItsContinuationAndMillisBehind) {
  SubscriptionEvent heartbeat;
  heartbeat.stream_tag = 2;
  heartbeat.shard_index = 1;
  heartbeat.continuation_counter = 9;
  heartbeat.millis_behind_latest = 77;
  std::vector<grpc::Slice> slices;
  v1::SubscribeToShardEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(Flatten(EncodeEvent(heartbeat), &slices)));
  EXPECT_EQ(parsed.records_size(), 0);
  EXPECT_EQ(parsed.continuation_sequence_number(), FormatSequenceNumber(SequenceNumber{2, 1, 9}));
  EXPECT_EQ(parsed.millis_behind_latest(), 77);
  EXPECT_EQ(parsed.child_shards_size(), 0);
}

TEST(EventEncoderTest, TheLastEventOfAClosedShardHasNoContinuation) {
  SubscriptionEvent last;
  last.continuation_counter = 0;
  last.child_shards = {ChildShardInfo{
      "shardId-000000000002", {"shardId-000000000000"}, common::HashKeyRange{0, 10}}};
  std::vector<grpc::Slice> slices;
  v1::SubscribeToShardEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(Flatten(EncodeEvent(last), &slices)));
  EXPECT_TRUE(parsed.continuation_sequence_number().empty());
  EXPECT_EQ(parsed.millis_behind_latest(), 0);
  ASSERT_EQ(parsed.child_shards_size(), 1);
  EXPECT_EQ(parsed.child_shards(0).hash_key_range().ending_hash_key(), "10");
}

TEST(EventEncoderTest, TheRecordOutlivesTheEventThroughItsSlice) {
  SubscriptionEvent event;
  event.records = {Make(1, "k", std::string(1000, 'q'))};
  grpc::ByteBuffer buffer = EncodeEvent(event);
  event.records.clear();  // the session lets go; gRPC still holds the bytes
  std::vector<grpc::Slice> slices;
  v1::SubscribeToShardEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(Flatten(buffer, &slices)));
  EXPECT_EQ(parsed.records(0).data(), std::string(1000, 'q'));
}

}  // namespace
}  // namespace eddy::broker
