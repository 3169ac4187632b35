// SubscribeToShard's JSON event, written directly, is byte for byte what building the
// Document and serializing it writes — for random records (any bytes of data, partition
// keys with quotes, backslashes, control characters, UTF-8 and bytes that are not UTF-8),
// with and without a continuation and child shards (fixed seed).
#include <gtest/gtest.h>

#include <random>

#include "broker/http/subscribe_stream.h"
#include "broker/http/tests/random_json_text.h"

namespace eddy::broker::http {
namespace {

std::string ThroughDocument(const SubscriptionEvent& event) {
  return SerializeBody(SubscribeEventDocument(event, BodyEncoding::kJson), BodyEncoding::kJson);
}

TEST(SubscribeEventTest, DirectJsonIsWhatTheDocumentWouldSerializeTo) {
  std::mt19937_64 random(20261202);
  for (int i = 0; i < 500; ++i) {
    SubscriptionEvent event;
    event.stream_tag = static_cast<uint32_t>(random());
    event.shard_index = static_cast<uint32_t>(random() % 1000);
    event.millis_behind_latest = static_cast<int64_t>(random() % 100000);
    uint64_t counter = random() >> 4;
    const int count = static_cast<int>(random() % 6);
    for (int r = 0; r < count; ++r) {
      auto record = std::make_shared<StoredRecord>();
      counter += 1 + random() % (uint64_t{1} << 30);
      record->counter = counter;
      const size_t size = random() % 40;
      for (size_t b = 0; b < size; ++b) record->data.push_back(static_cast<char>(random()));
      record->partition_key = testing::RandomJsonText(random);
      event.records.push_back(std::move(record));
    }
    if (random() % 3 != 0) event.continuation_counter = counter;
    if (random() % 4 == 0) {
      event.child_shards.push_back(
          ChildShardInfo{"shardId-000000000007", {"shardId-000000000003"}, {0, 12345}});
    }
    ASSERT_EQ(EncodeSubscribeEvent(event, BodyEncoding::kJson), ThroughDocument(event)) << i;
  }
}

}  // namespace
}  // namespace eddy::broker::http
