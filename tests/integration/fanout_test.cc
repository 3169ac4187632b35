// Enhanced fan-out against a real broker process: registered consumers, push
// subscriptions, sessions, takeover, stalls and budgets.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/errors.h"
#include "common/hash_key.h"
#include "tests/integration/broker_fixture.h"

namespace eddy::testing {
namespace {

using common::ErrorType;

class FanOutTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerArgs() override {
    std::vector<std::string> args = {"--consumer-activation-ms", "0"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    return args;
  }

  std::string Register(const std::string& stream, const std::string& name) {
    v1::RegisterStreamConsumerRequest request;
    request.mutable_stream()->set_stream_name(stream);
    request.set_consumer_name(name);
    auto response = client_->RegisterStreamConsumer(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->consumer().consumer_arn() : "";
  }

  std::unique_ptr<client::ShardSubscriptionReader> Subscribe(const std::string& arn,
                                                             v1::ShardIteratorType type,
                                                             const std::string& sequence = "") {
    v1::SubscribeToShardRequest request;
    request.set_consumer_arn(arn);
    request.set_shard_id("shardId-000000000000");
    request.mutable_starting_position()->set_type(type);
    request.mutable_starting_position()->set_sequence_number(sequence);
    return client_->SubscribeToShard(request);
  }

  // Writes `count` records of `size` bytes in batches; returns their sequence numbers.
  std::vector<std::string> Produce(const std::string& stream, int count, size_t size,
                                   client::StreamClient& client) {
    std::vector<std::string> sequences;
    for (int done = 0; done < count;) {
      v1::PutRecordsRequest request;
      request.mutable_stream()->set_stream_name(stream);
      for (int i = 0; i < 500 && done + i < count; ++i) {
        v1::PutRecordsRequestEntry* entry = request.add_records();
        entry->set_partition_key(absl::StrCat("k", (done + i) % 13));
        entry->set_data(absl::StrCat(done + i, "|", std::string(size, 'x')).substr(0, size));
      }
      auto response = client.PutRecords(request);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      for (const auto& r : response->records()) {
        EXPECT_TRUE(r.error_code().empty()) << r.error_message();
        sequences.push_back(r.sequence_number());
      }
      done += request.records_size();
    }
    return sequences;
  }

  // A reader thread's outcome.
  struct Received {
    std::vector<std::string> sequences;
    int events = 0;
    int empty_events = 0;
    absl::Status status;
  };

  // Reads from `reader` until `want` records arrived, the stream ends, or 60 s passed.
  static Received ReadUntil(client::ShardSubscriptionReader& reader, size_t want) {
    Received received;
    v1::SubscribeToShardEvent event;
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (received.sequences.size() < want && absl::Now() < deadline &&
           NextEvent(reader, &event)) {
      ++received.events;
      if (event.records_size() == 0) ++received.empty_events;
      for (const v1::Record& r : event.records()) received.sequences.push_back(r.sequence_number());
    }
    if (received.sequences.size() >= want) reader.Cancel();
    received.status = reader.Finish();
    return received;
  }

  std::vector<std::string> extra_args_ = {"--limits", "none"};
};

TEST_F(FanOutTest, TwentyConsumersEachReceiveEveryRecordOnceAndInOrder) {
  CreateStream("wide", 1);
  std::vector<std::string> arns;
  for (int i = 0; i < 20; ++i) arns.push_back(Register("wide", absl::StrCat("app-", i)));
  v1::RegisterStreamConsumerRequest extra;
  extra.mutable_stream()->set_stream_name("wide");
  extra.set_consumer_name("app-20");
  auto refused = client_->RegisterStreamConsumer(extra);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorType(refused.status()), common::kLimitExceeded);

  const std::vector<std::string> backlog = Produce("wide", 500, 200, *client_);
  std::vector<std::unique_ptr<client::ShardSubscriptionReader>> readers;
  for (const std::string& arn : arns) readers.push_back(Subscribe(arn, v1::TRIM_HORIZON));
  std::vector<Received> received(arns.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < readers.size(); ++i) {
    threads.emplace_back([&, i] { received[i] = ReadUntil(*readers[i], 2500); });
  }
  std::vector<std::string> all = backlog;
  const std::vector<std::string> live = Produce("wide", 2000, 200, *client_);  // pushed live
  all.insert(all.end(), live.begin(), live.end());
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].sequences, all)
        << "consumer " << i << ": " << received[i].sequences.size() << " records, "
        << received[i].status;
  }
}

TEST_F(FanOutTest, SessionsExpireAndResumeWithoutGapOrRepeat) {
  extra_args_ = {"--limits", "none", "--subscription-session-ms", "250"};
  RestartFresh();
  CreateStream("s", 1);
  const std::string arn = Register("s", "app");
  std::vector<std::string> produced;
  std::thread producer([&] {
    client::StreamClient client({broker_.address(), std::chrono::seconds(30)});
    for (int round = 0; round < 20; ++round) {  // ~1 s of writing, 3000 records
      std::vector<std::string> part = Produce("s", 150, 100, client);
      produced.insert(produced.end(), part.begin(), part.end());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // pacing, not a wait
    }
  });
  // Every session is read to its end (it expires after 250 ms), then resumed from its
  // continuation, until all records came and at least three sessions have ended.
  std::vector<std::string> got;
  int sessions_ended = 0;
  std::string continuation;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((got.size() < 3000 || sessions_ended < 3) && std::chrono::steady_clock::now() < deadline) {
    auto reader = continuation.empty() ? Subscribe(arn, v1::TRIM_HORIZON)
                                       : Subscribe(arn, v1::AFTER_SEQUENCE_NUMBER, continuation);
    ASSERT_TRUE(ReadToEnd(*reader, [&](const v1::SubscribeToShardEvent& event) {
      for (const v1::Record& r : event.records()) got.push_back(r.sequence_number());
      if (!event.continuation_sequence_number().empty()) {
        continuation = event.continuation_sequence_number();
      }
    }));
    absl::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status;  // a session end is OK
    ++sessions_ended;
  }
  producer.join();
  EXPECT_GE(sessions_ended, 3);
  EXPECT_EQ(got, produced);
}

TEST_F(FanOutTest, OneSubscriptionPerConsumerAndShardWithTakeover) {
  extra_args_ = {"--limits", "none", "--subscription-takeover-ms", "500"};
  RestartFresh();
  CreateStream("s", 1);
  const std::string arn = Register("s", "app");
  auto first = Subscribe(arn, v1::LATEST);
  v1::SubscribeToShardEvent event;
  ASSERT_TRUE(NextEvent(*first, &event));  // the first (empty) event: the session is live
  auto second = Subscribe(arn, v1::LATEST);
  EXPECT_FALSE(NextEvent(*second, &event));
  absl::Status refused = second->Finish();
  EXPECT_EQ(ErrorType(refused), common::kResourceInUse) << refused;
  // Once the takeover time has passed, a new subscription takes over.
  std::unique_ptr<client::ShardSubscriptionReader> third;
  ASSERT_TRUE(WaitFor(
      [&] {
        third = Subscribe(arn, v1::LATEST);
        if (NextEvent(*third, &event)) return true;
        third->Finish().IgnoreError();
        return false;
      },
      std::chrono::seconds(10)));
  ASSERT_TRUE(ReadToEnd(*first, [](const v1::SubscribeToShardEvent&) {}));
  EXPECT_EQ(ErrorType(first->Finish()), common::kResourceInUse);
  third->Cancel();
  third->Finish().IgnoreError();
}

TEST_F(FanOutTest, AConsumerThatStopsReadingDoesNotSlowTheOthers) {
  CreateStream("s", 1);
  const std::string stalled_arn = Register("s", "stalled");
  const std::string reading_arn = Register("s", "reading");
  auto stalled = Subscribe(stalled_arn, v1::TRIM_HORIZON);
  v1::SubscribeToShardEvent event;
  ASSERT_TRUE(NextEvent(*stalled, &event));  // then never reads again while the others go on
  auto reading = Subscribe(reading_arn, v1::TRIM_HORIZON);
  Received received;
  std::thread reader([&] { received = ReadUntil(*reading, 20000); });
  const std::vector<std::string> produced = Produce("s", 20000, 1024, *client_);  // 20 MiB
  reader.join();
  EXPECT_EQ(received.sequences, produced);
  stalled->Cancel();
  stalled->Finish().IgnoreError();
}

TEST_F(FanOutTest, IdleSubscriptionsGetHeartbeats) {
  extra_args_ = {"--limits", "none", "--subscription-heartbeat-ms", "100"};
  RestartFresh();
  CreateStream("s", 1);
  auto reader = Subscribe(Register("s", "app"), v1::LATEST);
  v1::SubscribeToShardEvent event;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(NextEvent(*reader, &event));
    EXPECT_EQ(event.records_size(), 0);
    EXPECT_FALSE(event.continuation_sequence_number().empty());
  }
  reader->Cancel();
  reader->Finish().IgnoreError();
}

TEST_F(FanOutTest, ThePushBudgetBoundsEveryEvent) {
  // 300 records of 1000 bytes against 100 000 bytes/s: an event never carries more than
  // the budget holds (at most 100 records here), so the backlog takes at least three data
  // events — however fast the machine. (The drain rate itself is measured in bench/.)
  extra_args_ = {"--push-bytes-per-second", "100000"};
  RestartFresh();
  CreateStream("s", 1);
  const std::string arn = Register("s", "app");
  const std::vector<std::string> produced = Produce("s", 300, 998, *client_);  // + 2-3 byte key
  auto reader = Subscribe(arn, v1::TRIM_HORIZON);
  std::vector<std::string> got;
  int data_events = 0;
  v1::SubscribeToShardEvent event;
  while (got.size() < produced.size() && NextEvent(*reader, &event)) {
    if (event.records_size() == 0) continue;
    ++data_events;
    int64_t bytes = 0;
    for (const v1::Record& r : event.records()) {
      got.push_back(r.sequence_number());
      bytes += static_cast<int64_t>(r.data().size() + r.partition_key().size());
    }
    EXPECT_LE(bytes, 100'000) << "an event carried more than the budget holds";
  }
  reader->Cancel();
  reader->Finish().IgnoreError();
  EXPECT_EQ(got, produced);
  EXPECT_GE(data_events, 3);
}

TEST_F(FanOutTest, DeregisteringEndsSubscriptionsAndGuardsStreamDeletion) {
  CreateStream("s", 1);
  const std::string arn = Register("s", "app");
  auto reader = Subscribe(arn, v1::LATEST);
  v1::SubscribeToShardEvent event;
  ASSERT_TRUE(NextEvent(*reader, &event));
  v1::DeleteStreamRequest del;
  del.mutable_stream()->set_stream_name("s");
  EXPECT_EQ(ErrorType(client_->DeleteStream(del).status()), common::kResourceInUse);
  v1::DeregisterStreamConsumerRequest deregister;
  deregister.set_consumer_arn(arn);
  ASSERT_TRUE(client_->DeregisterStreamConsumer(deregister).ok());
  ASSERT_TRUE(ReadToEnd(*reader, [](const v1::SubscribeToShardEvent&) {}));
  EXPECT_EQ(ErrorType(reader->Finish()), common::kResourceNotFound);
  EXPECT_TRUE(client_->DeleteStream(del).ok());

  // With EnforceConsumerDeletion, a stream goes with its consumers (and their sessions).
  CreateStream("t", 1);
  const std::string other = Register("t", "app");
  auto live = Subscribe(other, v1::LATEST);
  ASSERT_TRUE(NextEvent(*live, &event));
  CommandResult deleted = RunEddy(
      {"delete-stream", "--stream-name", "t", "--enforce-consumer-deletion"}, broker_.address());
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  ASSERT_TRUE(ReadToEnd(*live, [](const v1::SubscribeToShardEvent&) {}));
  EXPECT_EQ(ErrorType(live->Finish()), common::kResourceNotFound);
  v1::DescribeStreamConsumerRequest describe;
  describe.set_consumer_arn(other);
  EXPECT_EQ(ErrorType(client_->DescribeStreamConsumer(describe).status()),
            common::kResourceNotFound);
  CommandResult gone =
      RunEddy({"describe-stream-summary", "--stream-name", "t"}, broker_.address());
  EXPECT_NE(gone.exit_code, 0);
}

TEST_F(FanOutTest, TheCliRegistersSubscribesAndStopsOnCtrlC) {
  const std::string& e = broker_.address();
  ASSERT_EQ(RunEddy({"create-stream", "--stream-name", "s"}, e).exit_code, 0);
  CommandResult registered =
      RunEddy({"register-stream-consumer", "--stream-name", "s", "--consumer-name", "cli"}, e);
  ASSERT_EQ(registered.exit_code, 0) << registered.err;
  const std::string arn =
      nlohmann::json::parse(registered.out)["Consumer"]["ConsumerARN"].get<std::string>();
  ASSERT_EQ(
      RunEddy({"put-record", "--stream-name", "s", "--partition-key", "k", "--data", "aGVsbG8="}, e)
          .exit_code,
      0);
  CommandResult two =
      RunEddy({"subscribe-to-shard", "--consumer-arn", arn, "--shard-id", "shardId-000000000000",
               "--starting-position", "Type=TRIM_HORIZON", "--max-events", "2"},
              e);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  // The first event only says where the session starts; the record comes next.
  const std::vector<std::string> lines = absl::StrSplit(two.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << two.out;
  EXPECT_TRUE(nlohmann::json::parse(lines[0])["SubscribeToShardEvent"]["Records"].empty());
  nlohmann::json line = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(line["SubscribeToShardEvent"]["Records"][0]["Data"], "aGVsbG8=");

  CommandResult listed = RunEddy({"list-stream-consumers", "--stream-name", "s"}, e);
  EXPECT_EQ(nlohmann::json::parse(listed.out)["Consumers"][0]["ConsumerName"], "cli");

  // Ctrl-C: start a subscription in the background and interrupt it once it has printed
  // its first event (the session is live).
  const std::string out_path = dir_.path() + "/subscribe.out";
  const pid_t child = fork();
  if (child == 0) {
    setenv("EDDY_ENDPOINT", e.c_str(), 1);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    execl(CliBinary().c_str(), CliBinary().c_str(), "subscribe-to-shard", "--consumer-arn",
          arn.c_str(), "--shard-id", "shardId-000000000000", "--starting-position", "Type=LATEST",
          "--follow", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        std::ifstream in(out_path);
        std::string first;
        return static_cast<bool>(std::getline(in, first)) && !first.empty();
      },
      std::chrono::seconds(20)));
  kill(child, SIGINT);
  int status = 0;
  ASSERT_TRUE(
      WaitFor([&] { return waitpid(child, &status, WNOHANG) == child; }, std::chrono::seconds(20)));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace eddy::testing
