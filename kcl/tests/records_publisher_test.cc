// The publishers against a fake connection: every record once and in order across pages,
// sessions, failures and expired iterators; where each resubscription starts; shard end.
#include "kcl/internal/records_publisher.h"

#include <gtest/gtest.h>

#include <future>

#include "common/errors.h"
#include "kcl/tests/fake_stream_connection.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;
using client::StartingPosition;
using testing::FakeStreamConnection;

const ShardInfo kShard{"shard-0", {0, common::kMaxHashKey}};

StartPosition From(ExtendedSequenceNumber checkpoint, int64_t timestamp_millis = 0) {
  return StartPosition{checkpoint, timestamp_millis};
}

// Reads batches until `count` records arrived, the shard ended, an error or 50 batches.
struct Read {
  std::vector<std::string> data;
  bool shard_ended = false;
  std::vector<ChildShardInfo> children;
  absl::Status status;
};
Read ReadUpTo(RecordsPublisher& publisher, size_t count) {
  Read read;
  for (int batches = 0; batches < 50 && read.data.size() < count && !read.shard_ended; ++batches) {
    absl::StatusOr<Batch> batch = publisher.Next(absl::Seconds(5));
    if (!batch.ok()) {
      read.status = batch.status();
      break;
    }
    for (const KinesisClientRecord& r : batch->records) read.data.push_back(r.data);
    read.shard_ended = batch->shard_ended;
    read.children = batch->child_shards;
  }
  return read;
}

std::vector<std::string> Numbered(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("r", i));
  return out;
}

void AppendNumbered(FakeStreamConnection& fake, int n) {
  for (const std::string& data : Numbered(n)) fake.Append(kShard.id, data);
}

std::unique_ptr<RecordsPublisher> Polling(FakeStreamConnection& fake, StartPosition start,
                                          int max_calls_per_second = 0) {
  return MakePollingPublisher(fake, {"s", ""}, kShard, start, absl::Milliseconds(1),
                              max_calls_per_second);
}
std::unique_ptr<RecordsPublisher> FanOut(FakeStreamConnection& fake, StartPosition start,
                                         absl::Duration probe = absl::InfiniteDuration()) {
  return MakeFanOutPublisher(fake, {"s", FakeStreamConnection::kStreamArn}, "consumer-arn", kShard,
                             start, probe);
}
// Fan-out from TRIM_HORIZON that asks at every idle event whether the shard ended.
std::unique_ptr<RecordsPublisher> ProbingFanOut(FakeStreamConnection& fake) {
  return FanOut(fake, From(ExtendedSequenceNumber::TrimHorizon()), absl::ZeroDuration());
}

// How many attempts a backoff from `initial` up to `maximum` lets through in `elapsed`: it
// doubles each time, and jitter takes at most half of each delay, so n attempts take at
// least initial/2 + initial + 2·initial + … (each at most maximum/2) between them.
int MostAttemptsWithin(absl::Duration elapsed, absl::Duration initial, absl::Duration maximum) {
  int attempts = 1;
  absl::Duration delay = initial;
  for (absl::Duration sum = delay / 2; sum <= elapsed; sum += delay / 2) {
    ++attempts;
    delay = std::min(delay * 2, maximum);
  }
  return attempts;
}

TEST(PollingPublisherTest, ReadsEveryPageInOrderThenTheShardEndWithItsChildren) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 5);
  fake.Close(kShard.id, {client::ChildShard{"shard-1", {kShard.id}, {0, 100}}});
  auto publisher = Polling(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 100);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(5));
  EXPECT_TRUE(read.shard_ended);
  ASSERT_EQ(read.children.size(), 1u);
  EXPECT_EQ(read.children[0].id, "shard-1");
  EXPECT_EQ(read.children[0].parent_ids, std::vector<std::string>{kShard.id});
  ASSERT_EQ(fake.iterator_requests.size(), 1u);
  EXPECT_EQ(fake.iterator_requests[0].type, StartingPosition::Type::kTrimHorizon);
}

TEST(PollingPublisherTest, AnExpiredIteratorIsReplacedAtTheLastRecordWithoutADuplicate) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 6);
  auto publisher = Polling(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  Read read = ReadUpTo(*publisher, 2);  // one page
  ASSERT_EQ(read.data, (std::vector<std::string>{"r0", "r1"}));
  fake.get_records_errors.push_back(common::ExpiredIterator("Iterator expired."));
  const Read rest = ReadUpTo(*publisher, 4);
  ASSERT_TRUE(rest.status.ok()) << rest.status;
  EXPECT_EQ(rest.data, (std::vector<std::string>{"r2", "r3", "r4", "r5"}));
  ASSERT_EQ(fake.iterator_requests.size(), 2u);
  EXPECT_EQ(fake.iterator_requests[1].type, StartingPosition::Type::kAtSequenceNumber);
  EXPECT_EQ(fake.iterator_requests[1].sequence_number, "1001");  // r1's
}

TEST(PollingPublisherTest, ThrottlingIsRetriedWithTheSameIterator) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 3);
  fake.get_records_errors.push_back(common::ThroughputExceeded("Rate exceeded for shard."));
  fake.get_records_errors.push_back(common::ThroughputExceeded("Rate exceeded for shard."));
  auto publisher = Polling(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 3);
  EXPECT_EQ(read.data, Numbered(3));
  EXPECT_EQ(fake.iterator_requests.size(), 1u);
  EXPECT_GE(fake.get_records_calls, 4);
}

TEST(PollingPublisherTest, ADeletedStreamEndsTheReading) {
  FakeStreamConnection fake;
  fake.stream_exists = false;
  auto publisher = Polling(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 1);
  EXPECT_EQ(common::ErrorType(read.status), common::kResourceNotFound) << read.status;
}

TEST(PollingPublisherTest, CallsAShardAtMostFiveTimesASecond) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 12);  // six pages of two
  auto publisher = Polling(fake, From(ExtendedSequenceNumber::TrimHorizon()), 5);
  const absl::Time start = absl::Now();
  const Read read = ReadUpTo(*publisher, 12);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(12));
  EXPECT_EQ(fake.get_records_calls, 6);
  // Six calls 200 ms apart at the least: never sooner (a lower bound, not a timing guess).
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(5 * 200));
}

// The caller checks its lease and shutdown between calls: a pause (the idle time between
// empty answers, a failure's backoff) never holds Next past its timeout.
TEST(PollingPublisherTest, NextReturnsByItsDeadlineWhateverItWaitsFor) {
  // One Next(50 ms) on a thread: whether it returned within 2 s (else stopped, so that the
  // failure is reported rather than waited out). 2 s is 40 times the timeout, and less than
  // the failure backoff grows to (capped at 5 s, at least half of it with jitter).
  auto returns_in_time = [](RecordsPublisher& publisher) {
    auto next =
        std::async(std::launch::async, [&] { return publisher.Next(absl::Milliseconds(50)); });
    if (next.wait_for(std::chrono::seconds(2)) == std::future_status::ready) {
      return next.get().ok();
    }
    publisher.Stop();
    return false;
  };
  FakeStreamConnection fake;
  AppendNumbered(fake, 2);
  auto idle =
      MakePollingPublisher(fake, {"s", ""}, kShard, From(ExtendedSequenceNumber::TrimHorizon()),
                           /*idle=*/absl::Hours(1), /*max_calls_per_second=*/0);
  ASSERT_EQ(ReadUpTo(*idle, 2).data, Numbered(2));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(returns_in_time(*idle));  // an empty answer, then the hour's idle pause
  }
  idle->Stop();

  FakeStreamConnection failing;
  AppendNumbered(failing, 2);
  for (int i = 0; i < 20; ++i) failing.get_records_errors.push_back(absl::UnavailableError("down"));
  auto publisher = Polling(failing, From(ExtendedSequenceNumber::TrimHorizon()));
  // Enough calls for the backoff to grow past 2 s, were each call to wait it out.
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(returns_in_time(*publisher));
  }
  publisher->Stop();
}

// A pause cut short by Next's deadline goes on in the next call: the shard consumer calls
// Next(1 s) in a loop, and the idle time or a failure's backoff must still space the calls.
TEST(PollingPublisherTest, APauseCutShortByTheDeadlineGoesOnInTheNextCall) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 2);
  auto idle =
      MakePollingPublisher(fake, {"s", ""}, kShard, From(ExtendedSequenceNumber::TrimHorizon()),
                           /*idle=*/absl::Hours(1), /*max_calls_per_second=*/0);
  ASSERT_EQ(ReadUpTo(*idle, 2).data, Numbered(2));
  const int after_records = fake.get_records_calls;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(idle->Next(absl::Milliseconds(10)).ok());
  EXPECT_LE(fake.get_records_calls, after_records + 1);  // one empty answer, then the idle hour
  idle->Stop();

  FakeStreamConnection failing;
  AppendNumbered(failing, 2);
  for (int i = 0; i < 100; ++i) {
    failing.get_records_errors.push_back(absl::UnavailableError("down"));
  }
  auto publisher = Polling(failing, From(ExtendedSequenceNumber::TrimHorizon()));
  const absl::Time start = absl::Now();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(publisher->Next(absl::Milliseconds(10)).ok());
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_LE(failing.get_records_calls,
            MostAttemptsWithin(elapsed, absl::Milliseconds(100), absl::Seconds(5)))
      << "in " << elapsed;
  EXPECT_GE(failing.get_records_calls, 1);
  publisher->Stop();
}

TEST(PollingPublisherTest, NoNextIteratorEndsTheShardOnlyIfTheListingShowsItClosed) {
  FakeStreamConnection fake;
  fake.pages_report_children = false;
  AppendNumbered(fake, 2);
  fake.Close(kShard.id, {});  // the last page: no next iterator and no children
  fake.shards = {client::ShardDescription{kShard.id, "", "", {0, 100}, "1000", ""}};
  auto publisher = Polling(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  std::vector<std::string> data;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Batch> batch = publisher->Next(absl::Milliseconds(300));
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_FALSE(batch->shard_ended);  // the listing says open: a bad answer, not the end
    for (const KinesisClientRecord& r : batch->records) data.push_back(r.data);
  }
  EXPECT_EQ(data, Numbered(2));  // and nothing twice
  fake.shards = {client::ShardDescription{kShard.id, "", "", {0, 100}, "1000", "1001"},
                 client::ShardDescription{"shard-1", kShard.id, "", {0, 100}, "2000", ""}};
  const Read read = ReadUpTo(*publisher, 100);
  EXPECT_TRUE(read.data.empty());
  ASSERT_TRUE(read.shard_ended);
  ASSERT_EQ(read.children.size(), 1u);
  EXPECT_EQ(read.children[0].id, "shard-1");
}

TEST(FanOutPublisherTest, EachNewSessionStartsAfterTheLastContinuation) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 7);
  auto publisher = FanOut(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 7);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(7));
  ASSERT_GE(fake.subscribe_requests.size(), 2u);
  EXPECT_EQ(fake.subscribe_requests[0].type, StartingPosition::Type::kTrimHorizon);
  // Two events of two records per session: the second session starts after r3.
  EXPECT_EQ(fake.subscribe_requests[1].type, StartingPosition::Type::kAfterSequenceNumber);
  EXPECT_EQ(fake.subscribe_requests[1].sequence_number, "1003");
}

TEST(FanOutPublisherTest, AFailedSessionResumesAfterTheLastRecordDelivered) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 5);
  fake.events_before_failure = 1;
  fake.session_failures.push_back(absl::UnavailableError("connection reset"));
  auto publisher = FanOut(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 5);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(5));  // no gap, no duplicate
  ASSERT_GE(fake.subscribe_requests.size(), 2u);
  EXPECT_EQ(fake.subscribe_requests[1].type, StartingPosition::Type::kAfterSequenceNumber);
  EXPECT_EQ(fake.subscribe_requests[1].sequence_number, "1001");
}

TEST(FanOutPublisherTest, ResourceNotFoundEndsTheReadingOnlyWhenTheStreamIsGone) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 2);
  fake.session_failures.push_back(common::ResourceNotFound("Consumer not found."));
  auto publisher = FanOut(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 2);
  ASSERT_TRUE(read.status.ok()) << read.status;  // the stream is there: resubscribed
  EXPECT_EQ(read.data, Numbered(2));
  EXPECT_EQ(fake.summary_calls, 1);

  fake.session_failures.push_back(common::ResourceNotFound("Stream s not found."));
  fake.stream_exists = false;
  const Read after = ReadUpTo(*publisher, 100);  // the session's heartbeat, then the end
  EXPECT_EQ(common::ErrorType(after.status), common::kResourceNotFound) << after.status;
}

TEST(FanOutPublisherTest, LatestIsResolvedOnceEvenWhenTheFirstSessionFails) {
  FakeStreamConnection fake;
  fake.session_failures.push_back(absl::UnavailableError("connection reset"));
  auto publisher = FanOut(fake, From(ExtendedSequenceNumber::Latest()));
  ASSERT_TRUE(publisher->Next(absl::Milliseconds(500)).ok());
  ASSERT_GE(fake.subscribe_requests.size(), 2u);
  EXPECT_EQ(fake.subscribe_requests[0].type, StartingPosition::Type::kLatest);
  // Not a new LATEST: what arrived since the first ask is after it.
  EXPECT_EQ(fake.subscribe_requests[1].type, StartingPosition::Type::kAtTimestamp);
  EXPECT_GT(fake.subscribe_requests[1].timestamp_millis, 0);
}

TEST(FanOutPublisherTest, TheShardEndsWithItsChildren) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 3);
  fake.Close(kShard.id, {client::ChildShard{"shard-1", {kShard.id}, {0, 50}},
                         client::ChildShard{"shard-2", {kShard.id}, {51, 100}}});
  auto publisher = FanOut(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 100);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(3));
  EXPECT_TRUE(read.shard_ended);
  ASSERT_EQ(read.children.size(), 2u);
  EXPECT_EQ(read.children[1].hash_range, (common::HashKeyRange{51, 100}));
}

// Endpoints that never send ChildShards on a subscription (kinesis-mock): an idle session at
// the tip asks by polling, from where a resubscription would start, whether the shard ended.
TEST(FanOutShardEndProbeTest, AClosedShardEndsWithTheChildrenOfTheLastPage) {
  FakeStreamConnection fake;
  fake.events_report_children = false;
  AppendNumbered(fake, 3);
  fake.Close(kShard.id, {client::ChildShard{"shard-1", {kShard.id}, {0, 50}},
                         client::ChildShard{"shard-2", {kShard.id}, {51, 100}}});
  auto publisher = ProbingFanOut(fake);
  const Read read = ReadUpTo(*publisher, 100);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(3));
  ASSERT_TRUE(read.shard_ended);
  ASSERT_EQ(read.children.size(), 2u);
  EXPECT_EQ(read.children[0].id, "shard-1");
  EXPECT_EQ(read.children[1].hash_range, (common::HashKeyRange{51, 100}));
  // Asked after the last record delivered, not from the start.
  ASSERT_FALSE(fake.iterator_requests.empty());
  EXPECT_EQ(fake.iterator_requests.back().type, StartingPosition::Type::kAfterSequenceNumber);
  EXPECT_EQ(fake.iterator_requests.back().sequence_number, "1002");
}

TEST(FanOutShardEndProbeTest, UnreadRecordsAfterTheResumePointMeanNotEnded) {
  FakeStreamConnection fake;
  fake.events_report_children = false;
  fake.empty_event_first = true;  // the probe asks while all five records are still unread
  AppendNumbered(fake, 5);
  fake.Close(kShard.id, {client::ChildShard{"shard-1", {kShard.id}, {0, 100}}});
  auto publisher = ProbingFanOut(fake);
  const Read read = ReadUpTo(*publisher, 100);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(5));  // every record before the end
  EXPECT_TRUE(read.shard_ended);
  EXPECT_GT(fake.get_records_calls, 0);
}

TEST(FanOutShardEndProbeTest, ListShardsMustShowTheShardClosedWithChildren) {
  FakeStreamConnection fake;
  fake.events_report_children = false;
  fake.pages_report_children = false;
  AppendNumbered(fake, 2);
  fake.Close(kShard.id, {});  // GetRecords: no next iterator, no children
  auto publisher = ProbingFanOut(fake);
  // ListShards shows the shard open (no ending sequence number): not ended.
  fake.shards = {client::ShardDescription{kShard.id, "", "", {0, 100}, "1000", ""},
                 client::ShardDescription{"shard-1", kShard.id, "", {0, 100}, "2000", ""}};
  Read read = ReadUpTo(*publisher, 100);
  EXPECT_EQ(read.data, Numbered(2));
  EXPECT_FALSE(read.shard_ended);
  // Closed but with no child listed: not ended either.
  fake.shards = {client::ShardDescription{kShard.id, "", "", {0, 100}, "1000", "1001"}};
  EXPECT_FALSE(ReadUpTo(*publisher, 100).shard_ended);
  // Closed, with its child: ended.
  fake.shards.push_back(client::ShardDescription{"shard-1", kShard.id, "", {0, 100}, "2000", ""});
  read = ReadUpTo(*publisher, 100);
  EXPECT_TRUE(read.shard_ended);
  ASSERT_EQ(read.children.size(), 1u);
  EXPECT_EQ(read.children[0].id, "shard-1");
}

TEST(FanOutShardEndProbeTest, ChildrenComeFromListShardsWhenThePageNamesNone) {
  FakeStreamConnection fake;
  fake.events_report_children = false;
  fake.pages_report_children = false;
  AppendNumbered(fake, 2);
  fake.Close(kShard.id, {});
  client::ShardDescription split_child{"shard-1", kShard.id, "", {0, 50}, "2000", ""};
  client::ShardDescription merge_child{"shard-2", "shard-9", kShard.id, {51, 100}, "2001", ""};
  client::ShardDescription unrelated{"shard-3", "shard-9", "", {101, 200}, "2002", ""};
  client::ShardDescription parent{kShard.id, "", "", {0, 100}, "1000", "1001"};
  fake.shards = {parent, split_child, merge_child, unrelated};
  auto publisher = ProbingFanOut(fake);
  const Read read = ReadUpTo(*publisher, 100);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(2));
  ASSERT_TRUE(read.shard_ended);
  ASSERT_EQ(read.children.size(), 2u);
  EXPECT_EQ(read.children[0].id, "shard-1");
  EXPECT_EQ(read.children[0].parent_ids, (std::vector<std::string>{kShard.id}));
  EXPECT_EQ(read.children[1].id, "shard-2");
  EXPECT_EQ(read.children[1].parent_ids, (std::vector<std::string>{"shard-9", kShard.id}));
}

TEST(FanOutShardEndProbeTest, AnOpenShardIsNotEndedAndLaterRecordsStillArrive) {
  FakeStreamConnection fake;
  fake.events_report_children = false;
  AppendNumbered(fake, 3);
  auto publisher = ProbingFanOut(fake);
  ASSERT_EQ(ReadUpTo(*publisher, 3).data, Numbered(3));
  for (int i = 0; i < 5; ++i) {  // idle events at the tip: each one asks
    absl::StatusOr<Batch> idle = publisher->Next(absl::Seconds(5));
    ASSERT_TRUE(idle.ok()) << idle.status();
    EXPECT_FALSE(idle->shard_ended);
    EXPECT_TRUE(idle->records.empty());
  }
  EXPECT_GT(fake.get_records_calls, 0);
  fake.Append(kShard.id, "r3");
  fake.Append(kShard.id, "r4");
  const Read later = ReadUpTo(*publisher, 2);
  ASSERT_TRUE(later.status.ok()) << later.status;
  EXPECT_EQ(later.data, (std::vector<std::string>{"r3", "r4"}));  // none lost to the asking
  EXPECT_FALSE(later.shard_ended);
}

// Sessions refused once the shard is read to its end (or ended before any event): the
// probe runs on the refusal too, else the shard would be resubscribed forever. A transient
// refusal (an InternalFailure each time) is probed once three sessions in a row had one.
TEST(FanOutShardEndProbeTest, ASessionRefusedAtTheEndOfAClosedShardEndsIt) {
  struct Case {
    absl::Status refusal;
    size_t sessions;  // the records' session, then the refused ones
  };
  for (const Case& c :
       {Case{common::KinesisError("InvalidArgumentException", "shard-0 is closed"), 2},
        Case{absl::Status(), 2}, Case{absl::InternalError("InternalFailure"), 4}}) {
    FakeStreamConnection fake;
    fake.events_report_children = false;
    fake.session_events = 1;
    fake.records_per_event = 3;
    AppendNumbered(fake, 3);
    fake.Close(kShard.id, {client::ChildShard{"shard-1", {kShard.id}, {0, 100}}});
    fake.closed_shard_refusal = c.refusal;  // OK: sessions there end at once, without an event
    auto publisher = ProbingFanOut(fake);
    const Read read = ReadUpTo(*publisher, 100);
    ASSERT_TRUE(read.status.ok()) << read.status;
    EXPECT_EQ(read.data, Numbered(3)) << c.refusal;
    ASSERT_TRUE(read.shard_ended) << c.refusal;
    ASSERT_EQ(read.children.size(), 1u);
    EXPECT_EQ(read.children[0].id, "shard-1");
    EXPECT_EQ(fake.subscribe_requests.size(), c.sessions) << c.refusal;
  }
}

TEST(FanOutShardEndProbeTest, WithoutAProbeIntervalNothingIsAsked) {
  FakeStreamConnection fake;
  fake.events_report_children = false;
  AppendNumbered(fake, 2);
  fake.Close(kShard.id, {client::ChildShard{"shard-1", {kShard.id}, {0, 100}}});
  auto publisher = FanOut(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const Read read = ReadUpTo(*publisher, 100);  // 50 batches, then gives up
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(2));
  EXPECT_FALSE(read.shard_ended);
  EXPECT_EQ(fake.get_records_calls, 0);
}

// Sessions on an open shard that end at once, without an event, are resubscribed after a
// backoff that grows, also when each Next ends long before it.
TEST(FanOutPublisherTest, SessionsEndingWithoutAnEventAreResubscribedAfterABackoff) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 2);
  fake.session_events = 0;
  auto publisher = FanOut(fake, From(ExtendedSequenceNumber::TrimHorizon()));
  const absl::Time start = absl::Now();
  for (int i = 0; i < 40; ++i) {
    absl::StatusOr<Batch> batch = publisher->Next(absl::Milliseconds(10));
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_TRUE(batch->records.empty());
  }
  const absl::Duration elapsed = absl::Now() - start;
  // Were each call to wait out its backoff, 40 would take over 30 s (the backoff reaches its
  // 2 s cap after seven sessions, and jitter keeps at least half): 20 s is 50 times 40 × 10 ms.
  EXPECT_LT(elapsed, absl::Seconds(20));
  const int sessions = static_cast<int>(fake.subscribe_requests.size());
  EXPECT_GE(sessions, 1);
  EXPECT_LE(sessions, MostAttemptsWithin(elapsed, absl::Milliseconds(50), absl::Seconds(2)))
      << "in " << elapsed;
  publisher->Stop();
}

// A transient failure (unavailable) is not taken for a refusal: no shard-end probe after one
// or two, whose calls would most likely fail too and hold up the caller.
TEST(FanOutShardEndProbeTest, NoProbeAfterAFewTransientFailures) {
  FakeStreamConnection fake;
  AppendNumbered(fake, 2);
  for (int i = 0; i < 2; ++i) fake.session_failures.push_back(absl::UnavailableError("down"));
  fake.events_before_failure = 0;
  auto publisher = ProbingFanOut(fake);
  const Read read = ReadUpTo(*publisher, 2);
  ASSERT_TRUE(read.status.ok()) << read.status;
  EXPECT_EQ(read.data, Numbered(2));
  EXPECT_EQ(fake.subscribe_requests.size(), 3u);  // the two failed sessions, then one
  EXPECT_EQ(fake.get_records_calls, 0);
  EXPECT_TRUE(fake.iterator_requests.empty());
}

}  // namespace
}  // namespace eddy::kcl::internal
