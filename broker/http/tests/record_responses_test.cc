// GetRecords' and PutRecords' JSON answers, written directly, are byte for byte what building
// the Document and serializing it writes — for random records (any bytes of data, partition
// keys and error messages with quotes, backslashes, control characters, UTF-8 and bytes that
// are not UTF-8), with and without a next iterator and child shards, and for every mix of put
// successes and failures (fixed seed).
#include "broker/http/record_responses.h"

#include <gtest/gtest.h>

#include <random>

#include "broker/http/tests/random_json_text.h"
#include "common/errors.h"

namespace eddy::broker::http {
namespace {

TEST(RecordResponsesTest, GetRecordsJsonIsWhatTheDocumentWouldSerializeTo) {
  std::mt19937_64 random(20261203);
  for (int i = 0; i < 500; ++i) {
    GetRecordsResult result;
    result.millis_behind_latest = static_cast<int64_t>(random() % 100000);
    const int count = static_cast<int>(random() % 6);
    for (int r = 0; r < count; ++r) {
      RecordOut record;
      record.sequence_number = std::to_string(random()) + std::to_string(random());
      record.arrival_millis = 1'700'000'000'000 + static_cast<int64_t>(random() % 100'000'000);
      const size_t size = random() % 40;
      for (size_t b = 0; b < size; ++b) record.data.push_back(static_cast<char>(random()));
      record.partition_key = testing::RandomJsonText(random);
      result.records.push_back(std::move(record));
    }
    if (random() % 4 != 0) result.next_shard_iterator = "AAAAb+/=" + std::to_string(random());
    if (random() % 4 == 0) {
      result.child_shards.push_back(
          ChildShardInfo{"shardId-000000000007", {"shardId-000000000003"}, {0, 12345}});
    }
    ASSERT_EQ(GetRecordsJson(result),
              SerializeBody(GetRecordsDocument(result, BodyEncoding::kJson), BodyEncoding::kJson))
        << i;
  }
}

TEST(RecordResponsesTest, PutRecordsJsonIsWhatTheDocumentWouldSerializeTo) {
  std::mt19937_64 random(20261204);
  for (int i = 0; i < 500; ++i) {
    std::vector<PutOutcome> outcomes;
    const int count = 1 + static_cast<int>(random() % 8);
    for (int r = 0; r < count; ++r) {
      PutOutcome outcome;
      switch (random() % 3) {
        case 0:
          outcome.status = common::ThroughputExceeded("Rate exceeded for shard " +
                                                      testing::RandomJsonText(random));
          break;
        case 1:
          outcome.status =
              common::InternalFailure("Internal \"failure\"\n" + testing::RandomJsonText(random));
          break;
        default:
          outcome.shard_id = "shardId-00000000000" + std::to_string(random() % 10);
          outcome.sequence_number = std::to_string(random());
      }
      outcomes.push_back(std::move(outcome));
    }
    ASSERT_EQ(PutRecordsJson(outcomes),
              SerializeBody(PutRecordsDocument(outcomes), BodyEncoding::kJson))
        << i;
  }
}

}  // namespace
}  // namespace eddy::broker::http
