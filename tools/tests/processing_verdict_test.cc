#include "tools/processing_verdict.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace eddy::tools {
namespace {

int64_t clock_micros = 0;

ProcessedRecord Event(const std::string& key, int64_t counter, const std::string& worker = "w1",
                      const std::string& sequence = "") {
  ProcessedRecord r;
  r.partition_key = key;
  r.counter = counter;
  r.worker_id = worker;
  r.sequence_number = sequence.empty() ? key + std::to_string(counter) : sequence;
  r.processed_at_micros = ++clock_micros;
  return r;
}

TEST(ProcessingVerdictTest, ProducedPerKeyMatchesTheProducersRoundRobin) {
  auto produced = ProducedPerKey(10, 4, "k-");
  EXPECT_EQ(produced,
            (std::map<std::string, int64_t>{{"k-0", 3}, {"k-1", 3}, {"k-2", 2}, {"k-3", 2}}));
}

TEST(ProcessingVerdictTest, AllInOrderIsClean) {
  std::vector<ProcessedRecord> events = {Event("a", 0), Event("b", 0), Event("a", 1),
                                         Event("b", 1)};
  Verdict v = Judge(events, {{"a", 2}, {"b", 2}}, {});
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.produced, 4);
  EXPECT_EQ(v.distinct, 4);
  EXPECT_EQ(v.missing + v.order_violations + v.duplicates + v.unexpected, 0);
}

TEST(ProcessingVerdictTest, MissingAndOutOfOrderAreCaught) {
  // #1 is processed last in time but listed first: the verdict orders by time.
  ProcessedRecord late = Event("a", 1);
  std::vector<ProcessedRecord> events = {late, Event("a", 0), Event("a", 2), Event("a", 4)};
  events[0].processed_at_micros = ++clock_micros;
  Verdict v = Judge(events, {{"a", 5}}, {});
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.missing, 1) << "#3";
  EXPECT_EQ(v.order_violations, 1) << "#1 after #4, counted once";
  EXPECT_FALSE(v.examples.empty());
}

TEST(ProcessingVerdictTest, DuplicatesAreExplainedNotBlamedOnOrder) {
  std::vector<ProcessedRecord> events = {
      Event("a", 0, "killed"),      Event("a", 1, "killed"),
      Event("a", 1, "survivor"),                                    // crash
      Event("a", 2, "survivor"),    Event("a", 2, "other"),         // move
      Event("a", 3, "other"),       Event("a", 3, "other"),         // same
      Event("a", 4, "other", "s1"), Event("a", 4, "other", "s2")};  // producer
  Verdict v = Judge(events, {{"a", 5}}, {"killed"});
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.duplicates, 4);
  EXPECT_EQ(v.duplicate_reasons.size(), 4u);
  for (const auto& [reason, count] : v.duplicate_reasons) EXPECT_EQ(count, 1) << reason;
}

TEST(ProcessingVerdictTest, RecordsNeverProducedAreUnexpected) {
  Verdict v = Judge({Event("a", 0), Event("zz", 0), Event("a", 7)}, {{"a", 1}}, {});
  EXPECT_EQ(v.unexpected, 2);
  EXPECT_FALSE(v.ok());
}

TEST(ProcessingVerdictTest, ParsesConsumeOutputLines) {
  const std::string data = "eddy-produce|key-3|42|....";
  const std::string line = std::string("{\"ShardId\":\"shardId-000000000001\",") +
                           "\"SequenceNumber\":\"123\",\"SubSequenceNumber\":2," +
                           "\"PartitionKey\":\"key-3\",\"Data\":\"" + absl::Base64Escape(data) +
                           "\",\"WorkerId\":\"w\",\"ProcessedAtMicros\":99," +
                           "\"MillisBehindLatest\":7}";
  ProcessedRecord r;
  ASSERT_TRUE(ParseProcessedLine(line, &r));
  EXPECT_EQ(r.partition_key, "key-3");
  EXPECT_EQ(r.counter, 42);
  EXPECT_EQ(r.sub_sequence_number, 2u);
  EXPECT_EQ(r.processed_at_micros, 99);
  EXPECT_EQ(r.millis_behind_latest, 7);
  EXPECT_FALSE(ParseProcessedLine("not json", &r));
  EXPECT_FALSE(ParseProcessedLine("{\"Data\":\"" + absl::Base64Escape("other") + "\"}", &r));
}

}  // namespace
}  // namespace eddy::tools
