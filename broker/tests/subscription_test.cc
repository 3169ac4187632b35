// Push subscriptions against the broker core, with a fake clock and a recording sink: no
// network. Waits are on conditions with deadlines.
#include "broker/subscription.h"

#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "broker/sequence_number.h"
#include "broker/testing/broker_test_base.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

using common::ErrorType;

// Records what a session sends; acknowledges each event at once unless told to stall.
class RecordingSink : public EventSink {
 public:
  explicit RecordingSink(bool auto_ack = true) : auto_ack_(auto_ack) {}

  void Send(SubscriptionEvent event) override {
    {
      absl::MutexLock lock(&mu_);
      for (const SharedRecord& r : event.records) {
        counters_.push_back(r->counter);
        bytes_ += RecordBytes(*r);
      }
      if (event.records.empty() && event.child_shards.empty()) ++heartbeats_;
      events_.push_back(std::move(event));
    }
    if (auto_ack_) subscription->OnSent(true);
  }
  void Finish(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    status_ = status;
  }

  // Waits up to 10 s for `predicate` over this sink's state.
  bool WaitUntil(std::function<bool(const RecordingSink&)> predicate) {
    absl::MutexLock lock(&mu_);
    auto holds = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return predicate(*this); };
    return mu_.AwaitWithTimeout(absl::Condition(&holds), absl::Seconds(10));
  }
  size_t records() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return counters_.size(); }
  int64_t bytes() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return bytes_; }
  int heartbeats() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return heartbeats_; }
  bool finished() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return finished_; }
  size_t event_count() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return events_.size(); }
  int Heartbeats() {
    absl::MutexLock lock(&mu_);
    return heartbeats_;
  }

  std::vector<uint64_t> Counters() {
    absl::MutexLock lock(&mu_);
    return counters_;
  }
  absl::Status Status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::vector<SubscriptionEvent> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

  std::shared_ptr<Subscription> subscription;

 private:
  const bool auto_ack_;
  mutable absl::Mutex mu_;
  std::vector<SubscriptionEvent> events_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> counters_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int heartbeats_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class SubscriptionTest : public testing::BrokerTestBase {
 protected:
  void SetUp() override {
    options().fanout.consumer_activation_millis = 0;
    options().fanout.heartbeat_millis = 50;
    BrokerTestBase::SetUp();
    Create("s", 1);
  }

  std::string Register(const std::string& name) {
    auto consumer = broker_->RegisterStreamConsumer(StreamRef{"s", ""}, name);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    return consumer.ok() ? consumer->arn : "";
  }

  RecordingSink* Subscribe(const std::string& arn, IteratorType type = IteratorType::kTrimHorizon,
                           const std::string& sequence = "", bool auto_ack = true) {
    auto subscription =
        broker_->SubscribeToShard(SubscribeParams{arn, "shardId-000000000000", type, sequence, 0});
    EXPECT_TRUE(subscription.ok()) << subscription.status();
    if (!subscription.ok()) return nullptr;
    sinks_.push_back(std::make_unique<RecordingSink>(auto_ack));
    RecordingSink* sink = sinks_.back().get();
    sink->subscription = *subscription;
    sink->subscription->Attach(sink);
    return sink;
  }

  void PutMany(int count, size_t size) {
    for (int i = 0; i < count; ++i) PutOne("s", "k" + std::to_string(i), std::string(size, 'd'));
  }

  // Sessions end (broker stopped in TearDown) before the sinks they write to go away.
  std::vector<std::unique_ptr<RecordingSink>> sinks_;
};

TEST_F(SubscriptionTest, DeliversBacklogThenNewRecordsInOrderExactlyOnce) {
  const std::string arn = Register("app");
  PutMany(100, 10);
  auto sink = Subscribe(arn);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.records() == 100; }));
  PutMany(50, 10);  // pushed as they are committed
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.records() == 150; }));
  std::vector<uint64_t> counters = sink->Counters();
  for (size_t i = 1; i < counters.size(); ++i) ASSERT_LT(counters[i - 1], counters[i]);
  for (const SubscriptionEvent& event : sink->Events()) {
    if (!event.records.empty()) {
      EXPECT_EQ(event.continuation_counter, event.records.back()->counter);
    }
  }
}

TEST_F(SubscriptionTest, CatchesUpFromStorageWhenBehindTheTail) {
  BrokerLimits limits = BrokerLimits::None();
  limits.tail_bytes_per_shard = 2000;  // the tail holds ~20 records of 100 bytes
  Reopen(limits);
  const std::string arn = Register("app");
  PutMany(300, 98);
  auto sink = Subscribe(arn);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.records() == 300; }));
  std::vector<uint64_t> counters = sink->Counters();
  for (size_t i = 1; i < counters.size(); ++i) ASSERT_LT(counters[i - 1], counters[i]);
}

TEST_F(SubscriptionTest, AFailedStorageReadIsRetriedNeverSkipped) {
  BrokerLimits limits = BrokerLimits::None();
  limits.tail_bytes_per_shard = 2000;  // most of the backlog must come from storage
  Reopen(limits);
  const std::string arn = Register("app");
  PutMany(300, 98);
  faults_->FailReads(3);
  auto sink = Subscribe(arn);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.records() == 300; }))
      << sink->records() << " of 300: a failed read skipped its range";
  EXPECT_EQ(faults_->failed_reads(), 3);
  std::vector<uint64_t> counters = sink->Counters();
  for (size_t i = 1; i < counters.size(); ++i) ASSERT_LT(counters[i - 1], counters[i]);
  EXPECT_FALSE(sink->finished());
}

TEST_F(SubscriptionTest, StorageThatKeepsFailingEndsTheSessionWithTheError) {
  BrokerLimits limits = BrokerLimits::None();
  limits.tail_bytes_per_shard = 2000;
  Reopen(limits);
  const std::string arn = Register("app");
  PutMany(300, 98);
  faults_->FailReads(1000);
  auto sink = Subscribe(arn);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.finished(); }));
  EXPECT_EQ(ErrorType(sink->Status()), common::kInternalFailure) << sink->Status();
  EXPECT_EQ(sink->records(), 0u) << "records past an unreadable range were sent";
  faults_->FailReads(0);
}

TEST_F(SubscriptionTest, StartingPositionsAndTheContinuation) {
  const std::string arn = Register("app");
  const PutOutcome first = PutOne("s", "k", "a");
  PutOne("s", "k", "b");
  auto after = Subscribe(arn, IteratorType::kAfterSequenceNumber, first.sequence_number);
  ASSERT_TRUE(after->WaitUntil([](const RecordingSink& s) { return s.records() == 1; }));
  auto parsed = ParseSequenceNumber(first.sequence_number, "x");
  EXPECT_GT(after->Counters()[0], parsed->counter);
  after->subscription->End(absl::CancelledError("done"));

  const std::string other = Register("latest");
  auto latest = Subscribe(other, IteratorType::kLatest);
  // The first event comes at once, empty, with a continuation at the shard's end.
  ASSERT_TRUE(latest->WaitUntil([](const RecordingSink& s) { return s.heartbeats() >= 1; }));
  EXPECT_EQ(latest->records(), 0u);
  PutOne("s", "k", "c");
  ASSERT_TRUE(latest->WaitUntil([](const RecordingSink& s) { return s.records() == 1; }));
}

TEST_F(SubscriptionTest, AStartAfterTheLastRecordHandsOutAContinuationThatCanBeResumed) {
  const std::string arn = Register("app");
  PutOne("s", "k", "old");
  clock_.AdvanceMillis(10'000);
  // AT_TIMESTAMP later than every record: the first event's continuation must still be a
  // position a resubscription may name.
  auto subscription = broker_->SubscribeToShard(SubscribeParams{
      arn, "shardId-000000000000", IteratorType::kAtTimestamp, "", clock_.NowMillis() - 1});
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  sinks_.push_back(std::make_unique<RecordingSink>());
  RecordingSink* sink = sinks_.back().get();
  sink->subscription = *subscription;
  sink->subscription->Attach(sink);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.event_count() >= 1; }));
  const uint64_t continuation = sink->Events()[0].continuation_counter;
  sink->subscription->End(absl::CancelledError("done"));
  clock_.AdvanceMillis(5'000);  // past the takeover time
  const std::string sequence =
      FormatSequenceNumber(SequenceNumber{sink->Events()[0].stream_tag, 0, continuation});
  auto again = Subscribe(arn, IteratorType::kAfterSequenceNumber, sequence);
  ASSERT_NE(again, nullptr) << "the continuation was refused";
  PutOne("s", "k", "new");
  ASSERT_TRUE(again->WaitUntil([](const RecordingSink& s) { return s.records() == 1; }));
}

TEST_F(SubscriptionTest, IdleSessionsSendHeartbeats) {
  const std::string arn = Register("app");
  auto sink = Subscribe(arn);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.heartbeats() >= 1; }));
  for (int i = 0; i < 3; ++i) {
    const int before = sink->Heartbeats();
    clock_.AdvanceMillis(50);
    ASSERT_TRUE(
        sink->WaitUntil([before](const RecordingSink& s) { return s.heartbeats() > before; }));
  }
}

TEST_F(SubscriptionTest, SessionsEndAfterTheirLength) {
  options().fanout.session_millis = 1000;
  Reopen(BrokerLimits::None());
  const std::string arn = Register("app");
  auto sink = Subscribe(arn);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.heartbeats() >= 1; }));
  EXPECT_FALSE(sink->finished());
  clock_.AdvanceMillis(1000);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.finished(); }));
  EXPECT_TRUE(sink->Status().ok()) << sink->Status();
}

TEST_F(SubscriptionTest, ASecondSubscriptionIsRefusedThenTakesOver) {
  const std::string arn = Register("app");
  auto first = Subscribe(arn);
  clock_.AdvanceMillis(4999);
  auto refused = broker_->SubscribeToShard(
      SubscribeParams{arn, "shardId-000000000000", IteratorType::kLatest, "", 0});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorType(refused.status()), common::kResourceInUse);
  clock_.AdvanceMillis(1);
  auto second = Subscribe(arn, IteratorType::kLatest);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->WaitUntil([](const RecordingSink& s) { return s.finished(); }));
  EXPECT_EQ(ErrorType(first->Status()), common::kResourceInUse);
  EXPECT_FALSE(second->finished());
  // Another consumer, or another shard, is not affected.
  const std::string other = Register("other");
  EXPECT_NE(Subscribe(other), nullptr);
}

TEST_F(SubscriptionTest, AStalledSubscriberDoesNotSlowTheOthers) {
  const std::string stalled_arn = Register("stalled");
  const std::string fast_arn = Register("fast");
  auto stalled = Subscribe(stalled_arn, IteratorType::kTrimHorizon, "", /*auto_ack=*/false);
  auto fast = Subscribe(fast_arn);
  ASSERT_TRUE(stalled->WaitUntil([](const RecordingSink& s) { return s.event_count() == 1; }));
  PutMany(500, 100);
  ASSERT_TRUE(fast->WaitUntil([](const RecordingSink& s) { return s.records() == 500; }));
  // The stalled one holds exactly the one event it was given: nothing piles up for it.
  EXPECT_EQ(stalled->Events().size(), 1u);
}

TEST_F(SubscriptionTest, TheBudgetBoundsDeliveryOverTime) {
  BrokerLimits limits = BrokerLimits::None();
  limits.throughput_enforced = true;
  limits.write_bytes_per_second = 1e9;
  limits.write_records_per_second = 1e9;
  limits.push_bytes_per_second = 10'000;  // capacity: one second's worth
  Reopen(limits);
  const std::string arn = Register("app");
  const int kRecords = 50;
  const int64_t kRecordBytes = 1000 + 3;  // data + "k<n>" key (2–3 chars)
  PutMany(kRecords, 1000);
  auto sink = Subscribe(arn);
  int64_t total = 0;
  for (int step = 0; step <= 50 && static_cast<int>(sink->records()) < kRecords; ++step) {
    // After `step` × 100 ms of (fake) time, at most capacity + rate × t + one record.
    const int64_t bound = 10'000 + 1'000 * step + kRecordBytes;
    const int64_t floor = std::min<int64_t>(kRecords * 1000, 10'000 + 1'000 * step - kRecordBytes);
    ASSERT_TRUE(sink->WaitUntil([&](const RecordingSink& s) {
      return s.bytes() >= floor || static_cast<int>(s.records()) == kRecords;
    })) << "step "
        << step;
    total = sink->bytes();
    EXPECT_LE(total, bound) << "step " << step;
    clock_.AdvanceMillis(100);
  }
  EXPECT_EQ(static_cast<int>(sink->records()), kRecords);
}

TEST_F(SubscriptionTest, ConsumersMustBeActiveAndRegistered) {
  options().fanout.consumer_activation_millis = 500;
  Reopen(BrokerLimits::None());
  auto consumer = broker_->RegisterStreamConsumer(StreamRef{"s", ""}, "slow");
  ASSERT_TRUE(consumer.ok());
  EXPECT_EQ(consumer->status, ConsumerStatus::kCreating);
  auto early = broker_->SubscribeToShard(
      SubscribeParams{consumer->arn, "shardId-000000000000", IteratorType::kLatest, "", 0});
  EXPECT_EQ(ErrorType(early.status()), common::kResourceInUse);
  clock_.AdvanceMillis(500);
  auto described = broker_->DescribeStreamConsumer(ConsumerRefParams{{}, "", consumer->arn});
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->status, ConsumerStatus::kActive);
  auto unknown = broker_->SubscribeToShard(
      SubscribeParams{consumer->arn + "0", "shardId-000000000000", IteratorType::kLatest, "", 0});
  EXPECT_EQ(ErrorType(unknown.status()), common::kResourceNotFound);
  auto bad_shard = broker_->SubscribeToShard(
      SubscribeParams{consumer->arn, "shardId-000000000009", IteratorType::kLatest, "", 0});
  EXPECT_EQ(ErrorType(bad_shard.status()), common::kResourceNotFound);
  auto bad_arn = broker_->SubscribeToShard(
      SubscribeParams{"nonsense", "shardId-000000000000", IteratorType::kLatest, "", 0});
  EXPECT_EQ(ErrorType(bad_arn.status()), common::kInvalidArgument);
}

TEST_F(SubscriptionTest, DeregistrationEndsTheConsumersSessions) {
  const std::string arn = Register("app");
  auto sink = Subscribe(arn);
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.heartbeats() >= 1; }));
  ASSERT_TRUE(broker_->DeregisterStreamConsumer(ConsumerRefParams{{}, "", arn}).ok());
  ASSERT_TRUE(sink->WaitUntil([](const RecordingSink& s) { return s.finished(); }));
  EXPECT_EQ(ErrorType(sink->Status()), common::kResourceNotFound);
  EXPECT_EQ(ErrorType(broker_->DescribeStreamConsumer(ConsumerRefParams{{}, "", arn}).status()),
            common::kResourceNotFound);
}

TEST_F(SubscriptionTest, RegistrationRulesAndListing) {
  for (int i = 0; i < 20; ++i) Register("c" + std::to_string(i));
  auto over = broker_->RegisterStreamConsumer(StreamRef{"s", ""}, "c20");
  EXPECT_EQ(ErrorType(over.status()), common::kLimitExceeded);
  EXPECT_EQ(ErrorType(broker_->RegisterStreamConsumer(StreamRef{"s", ""}, "c1").status()),
            common::kResourceInUse);
  EXPECT_EQ(ErrorType(broker_->RegisterStreamConsumer(StreamRef{"s", ""}, "bad name").status()),
            common::kValidation);
  auto page = broker_->ListStreamConsumers(ListConsumersParams{StreamRef{"s", ""}, 15, "", 0});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->consumers.size(), 15u);
  ASSERT_FALSE(page->next_token.empty());
  auto rest = broker_->ListStreamConsumers(ListConsumersParams{{}, 15, page->next_token, 0});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->consumers.size(), 5u);
  EXPECT_EQ(broker_->DescribeStreamSummary(StreamRef{"s", ""})->consumer_count, 20);
  const ConsumerInfo& c = page->consumers.front();
  EXPECT_EQ(c.arn, "arn:aws:kinesis:local:000000000000:stream/s/consumer/" + c.name + ":" +
                       std::to_string(c.creation_millis / 1000));
  // Deleting the stream needs EnforceConsumerDeletion while consumers are registered.
  EXPECT_EQ(ErrorType(broker_->DeleteStream(StreamRef{"s", ""}, false)), common::kResourceInUse);
  EXPECT_TRUE(broker_->DeleteStream(StreamRef{"s", ""}, true).ok());
}

TEST_F(SubscriptionTest, ConsumersSurviveARestart) {
  const std::string arn = Register("app");
  Reopen(BrokerLimits::None());
  auto described = broker_->DescribeStreamConsumer(ConsumerRefParams{{}, "", arn});
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->name, "app");
  EXPECT_NE(Subscribe(arn), nullptr);
}

}  // namespace
}  // namespace eddy::broker
