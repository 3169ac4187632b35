// The broker core against a real RocksDB in a temp dir, with a fake clock: no network,
// no sleeping.
#include "broker/stream_broker.h"

#include <gtest/gtest.h>

#include <thread>

#include "broker/sequence_number.h"
#include "broker/testing/broker_test_base.h"
#include "common/errors.h"
#include "common/hash_key.h"

namespace eddy::broker {
namespace {

using common::ErrorType;

class StreamBrokerTest : public testing::BrokerTestBase {};

TEST_F(StreamBrokerTest, NewStreamHasEvenShardsWithKinesisIds) {
  Create("s", 4);
  auto info = broker_->DescribeStream(DescribeStreamParams{StreamRef{"s", ""}, 100, ""});
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->shards.size(), 4u);
  const auto ranges = common::EvenHashKeyRanges(4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(info->shards[i].shard_id, FormatShardId(i));
    EXPECT_EQ(info->shards[i].hash_range, ranges[i]);
    EXPECT_TRUE(info->shards[i].ending_sequence_number.empty());
  }
  EXPECT_EQ(info->retention_hours, 24);
  EXPECT_EQ(info->arn, "arn:aws:kinesis:local:000000000000:stream/s");
  EXPECT_EQ(info->open_shard_count, 4);
}

TEST_F(StreamBrokerTest, CreateRefusesDuplicatesBadNamesAndTooManyShards) {
  Create("s", 1);
  CreateStreamParams params;
  params.name = "s";
  EXPECT_EQ(ErrorType(broker_->CreateStream(params)), common::kResourceInUse);
  params.name = "bad name";
  EXPECT_EQ(ErrorType(broker_->CreateStream(params)), common::kValidation);
  params.name = "big";
  params.shard_count = 500;  // one already exists; the limit is 500
  EXPECT_EQ(ErrorType(broker_->CreateStream(params)), common::kLimitExceeded);
  params.shard_count = 1;
  params.retention_hours = 10;
  EXPECT_EQ(ErrorType(broker_->CreateStream(params)), common::kInvalidArgument);
  params.retention_hours = 24;
  params.max_record_size_kib = 20000;
  EXPECT_EQ(ErrorType(broker_->CreateStream(params)), common::kValidation);
}

TEST_F(StreamBrokerTest, RecordsComeBackInOrderWithIncreasingSequenceNumbers) {
  Create("s", 1);
  std::vector<std::string> sequences;
  for (int i = 0; i < 50; ++i) {
    PutOutcome outcome = PutOne("s", "k" + std::to_string(i % 3), "d" + std::to_string(i));
    ASSERT_TRUE(outcome.status.ok());
    EXPECT_EQ(outcome.shard_id, "shardId-000000000000");
    sequences.push_back(outcome.sequence_number);
  }
  auto result =
      broker_->GetRecords(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon), 10000);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->records.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(result->records[i].data, "d" + std::to_string(i));
    EXPECT_EQ(result->records[i].sequence_number, sequences[i]);
    EXPECT_EQ(result->records[i].partition_key, "k" + std::to_string(i % 3));
    EXPECT_EQ(result->records[i].arrival_millis, clock_.NowMillis());
    if (i > 0) {
      absl::uint128 a = 0, b = 0;
      ASSERT_TRUE(common::ParseDecimalUint128(sequences[i - 1], &a));
      ASSERT_TRUE(common::ParseDecimalUint128(sequences[i], &b));
      EXPECT_LT(a, b);
    }
  }
  EXPECT_EQ(result->millis_behind_latest, 0);
  // The next iterator continues after the last record.
  PutOne("s", "k", "after");
  EXPECT_EQ(ReadAllData(result->next_shard_iterator), std::vector<std::string>{"after"});
}

TEST_F(StreamBrokerTest, RoutesByMd5OrExplicitHashKey) {
  Create("s", 2);
  auto result = Put(
      "s", {PutEntry{"a", "k", "0"}, PutEntry{"b", "k", "340282366920938463463374607431768211455"},
            PutEntry{"c", "user1", std::nullopt}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)[0].shard_id, "shardId-000000000000");
  EXPECT_EQ((*result)[1].shard_id, "shardId-000000000001");
  // MD5("user1") = 48900430532020830442050270794663993245 < 2^127: shard 0.
  EXPECT_EQ((*result)[2].shard_id, "shardId-000000000000");
}

TEST_F(StreamBrokerTest, LimitAndNextIteratorWalkTheShard) {
  Create("s", 1);
  for (int i = 0; i < 10; ++i) PutOne("s", "k", std::to_string(i));
  std::string iterator = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  for (int call = 0; call < 5; ++call) {
    auto result = broker_->GetRecords(iterator, 3);
    ASSERT_TRUE(result.ok());
    for (const RecordOut& r : result->records) seen.push_back(r.data);
    sizes.push_back(result->records.size());
    iterator = result->next_shard_iterator;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 1, 0}));
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
}

TEST_F(StreamBrokerTest, MillisBehindLatestCountsWhenNotCaughtUp) {
  Create("s", 1);
  PutOne("s", "k", "old");
  clock_.AdvanceMillis(5000);
  PutOne("s", "k", "new");
  auto result =
      broker_->GetRecords(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon), 1);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->millis_behind_latest, 5000);
}

TEST_F(StreamBrokerTest, IteratorTypesStartWhereKinesisDoes) {
  Create("s", 1);
  const PutOutcome first = PutOne("s", "k", "first");
  clock_.AdvanceMillis(1000);
  const int64_t between = clock_.NowMillis();
  clock_.AdvanceMillis(1000);
  const PutOutcome second = PutOne("s", "k", "second");
  const std::string shard = "shardId-000000000000";
  std::string latest = Iterator("s", shard, IteratorType::kLatest);
  PutOne("s", "k", "third");

  EXPECT_EQ(
      ReadAllData(Iterator("s", shard, IteratorType::kAtSequenceNumber, first.sequence_number)),
      (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(
      ReadAllData(Iterator("s", shard, IteratorType::kAfterSequenceNumber, first.sequence_number)),
      (std::vector<std::string>{"second", "third"}));
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kAtTimestamp, "", between)),
            (std::vector<std::string>{"second", "third"}));
  EXPECT_EQ(ReadAllData(latest), std::vector<std::string>{"third"});
}

TEST_F(StreamBrokerTest, GetShardIteratorRefusesBadPositions) {
  Create("s", 2);
  Create("other", 1);
  const PutOutcome on_shard1 =
      Put("s", {PutEntry{"x", "k", "340282366920938463463374607431768211455"}})->front();
  const PutOutcome on_other = PutOne("other", "k", "x");
  auto get = [&](IteratorType type, const std::string& shard, const std::string& sequence,
                 int64_t timestamp = 0) {
    return broker_->GetShardIterator(
        GetShardIteratorParams{StreamRef{"s", ""}, shard, type, sequence, timestamp});
  };
  auto wrong_shard =
      get(IteratorType::kAtSequenceNumber, "shardId-000000000000", on_shard1.sequence_number);
  ASSERT_FALSE(wrong_shard.ok());
  EXPECT_EQ(ErrorType(wrong_shard.status()), common::kInvalidArgument);
  EXPECT_NE(wrong_shard.status().message().find("encodes shardId-000000000001"), std::string::npos)
      << wrong_shard.status();
  auto wrong_stream =
      get(IteratorType::kAtSequenceNumber, "shardId-000000000000", on_other.sequence_number);
  EXPECT_EQ(ErrorType(wrong_stream.status()), common::kInvalidArgument);
  EXPECT_EQ(ErrorType(get(IteratorType::kAtSequenceNumber, "shardId-000000000000", "").status()),
            common::kInvalidArgument);
  EXPECT_EQ(ErrorType(get(IteratorType::kAtSequenceNumber, "shardId-000000000000", "123").status()),
            common::kInvalidArgument);
  EXPECT_EQ(ErrorType(get(IteratorType::kTrimHorizon, "shardId-000000000009", "").status()),
            common::kResourceNotFound);
  EXPECT_EQ(ErrorType(get(IteratorType::kTrimHorizon, "shard-9", "").status()),
            common::kInvalidArgument);
  EXPECT_EQ(ErrorType(get(IteratorType::kAtTimestamp, "shardId-000000000000", "",
                          clock_.NowMillis() + 60'000)
                          .status()),
            common::kInvalidArgument);
  EXPECT_EQ(ErrorType(get(static_cast<IteratorType>(0), "shardId-000000000000", "").status()),
            common::kInvalidArgument);
  // A timestamp before the epoch is named as such, not taken for a missing one.
  auto before_epoch = get(IteratorType::kAtTimestamp, "shardId-000000000000", "", -5);
  EXPECT_EQ(ErrorType(before_epoch.status()), common::kInvalidArgument);
  EXPECT_NE(before_epoch.status().message().find("-5 ms lies before 1970"), std::string::npos)
      << before_epoch.status();
  auto absent = get(IteratorType::kAtTimestamp, "shardId-000000000000", "", 0);
  EXPECT_NE(absent.status().message().find("Timestamp is required"), std::string::npos)
      << absent.status();
}

TEST_F(StreamBrokerTest, IteratorsExpireAfterFiveMinutesAndResistTampering) {
  Create("s", 1);
  const std::string iterator = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  std::string edited = iterator;
  edited[edited.size() / 2] = edited[edited.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ErrorType(broker_->GetRecords(edited, 10).status()), common::kInvalidArgument);
  EXPECT_EQ(ErrorType(broker_->GetRecords("forged", 10).status()), common::kInvalidArgument);
  EXPECT_EQ(ErrorType(broker_->GetRecords("", 10).status()), common::kInvalidArgument);
  clock_.AdvanceMillis(300'000);
  EXPECT_TRUE(broker_->GetRecords(iterator, 10).ok());
  clock_.AdvanceMillis(1);
  auto expired = broker_->GetRecords(iterator, 10);
  EXPECT_EQ(ErrorType(expired.status()), common::kExpiredIterator);
  EXPECT_EQ(ErrorType(broker_->GetRecords(iterator, 0).status()), common::kValidation);
  EXPECT_EQ(ErrorType(broker_->GetRecords(iterator, 10001).status()), common::kValidation);
}

TEST_F(StreamBrokerTest, PutValidationRefusesTheWholeRequestAndStoresNothing) {
  Create("s", 1);
  const std::string big(1024 * 1024, 'x');
  const std::string key257(257, 'k');
  struct Case {
    std::vector<PutEntry> entries;
    std::string error_type;
  };
  std::vector<Case> cases = {
      {{}, std::string(common::kValidation)},
      {{PutEntry{"ok", "k", std::nullopt}, PutEntry{"x", "", std::nullopt}},
       std::string(common::kValidation)},
      {{PutEntry{"x", key257, std::nullopt}}, std::string(common::kValidation)},
      {{PutEntry{big, "k", std::nullopt}}, std::string(common::kValidation)},  // 1 MiB + key
      {{PutEntry{"x", "k", ""}}, std::string(common::kValidation)},  // sent empty is not absent
      {{PutEntry{"x", "k", "-1"}}, std::string(common::kInvalidArgument)},
      {{PutEntry{"x", "k", "340282366920938463463374607431768211456"}},
       std::string(common::kInvalidArgument)},
  };
  std::vector<PutEntry> too_many(501, PutEntry{"x", "k", std::nullopt});
  cases.push_back({too_many, std::string(common::kValidation)});
  const std::string almost(1024 * 1024 - 1, 'y');
  std::vector<PutEntry> too_big(6, PutEntry{almost, "k", std::nullopt});  // 6 MiB in all
  cases.push_back({too_big, std::string(common::kInvalidArgument)});
  for (const Case& c : cases) {
    auto result = Put("s", c.entries);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(ErrorType(result.status()), c.error_type) << result.status();
  }
  EXPECT_EQ(ErrorType(Put("missing", {PutEntry{"x", "k", std::nullopt}}).status()),
            common::kResourceNotFound);
  EXPECT_TRUE(
      ReadAllData(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon)).empty());
  // The largest record that fits is accepted.
  EXPECT_TRUE(Put("s", {PutEntry{std::string(1024 * 1024 - 1, 'z'), "k", std::nullopt}}).ok());
}

TEST_F(StreamBrokerTest, WritesBeyondTheShardBudgetFailPerRecordAndInOrder) {
  Reopen(BrokerLimits());  // 1000 records/s, 1 MiB/s per shard
  Create("s", 2);
  std::vector<PutEntry> entries;
  // 400 records to shard 0 and 1 to shard 1 per call.
  for (int i = 0; i < 400; ++i) entries.push_back(PutEntry{"x", "k", "0"});
  entries.push_back(PutEntry{"y", "k", "340282366920938463463374607431768211455"});
  auto first = Put("s", entries);
  ASSERT_TRUE(first.ok());
  auto second = Put("s", entries);
  ASSERT_TRUE(second.ok());
  auto third = Put("s", entries);
  ASSERT_TRUE(third.ok());
  int ok_shard0 = 0;
  bool seen_failure = false;
  for (size_t i = 0; i < 400; ++i) {
    const PutOutcome& o = (*third)[i];
    if (o.status.ok()) {
      EXPECT_FALSE(seen_failure) << "a record after a throttled one of its shard was accepted";
      ++ok_shard0;
    } else {
      seen_failure = true;
      EXPECT_EQ(ErrorType(o.status), common::kProvisionedThroughputExceeded);
      EXPECT_NE(o.status.message().find("shardId-000000000000"), std::string::npos);
    }
  }
  EXPECT_EQ(ok_shard0, 1000 - 800);  // the bucket holds 1000 records; no time has passed
  EXPECT_TRUE((*third)[400].status.ok()) << "shard 1 has its own budget";
  clock_.AdvanceMillis(1000);
  auto later = Put("s", {PutEntry{"x", "k", "0"}});
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->front().status.ok());
}

TEST_F(StreamBrokerTest, SinglePutRecordFailsTheCallWhenThrottled) {
  BrokerLimits limits;
  limits.write_records_per_second = 1;
  Reopen(limits);
  Create("s", 1);
  absl::Notification first_done, second_done;
  absl::Status first_status, second_status;
  broker_->PutRecord(StreamRef{"s", ""}, PutEntry{"a", "k", std::nullopt}, "",
                     [&](absl::StatusOr<std::vector<PutOutcome>> r) {
                       first_status = r.status();
                       first_done.Notify();
                     });
  first_done.WaitForNotification();
  broker_->PutRecord(StreamRef{"s", ""}, PutEntry{"b", "k", std::nullopt}, "",
                     [&](absl::StatusOr<std::vector<PutOutcome>> r) {
                       second_status = r.status();
                       second_done.Notify();
                     });
  second_done.WaitForNotification();
  EXPECT_TRUE(first_status.ok());
  EXPECT_EQ(ErrorType(second_status), common::kProvisionedThroughputExceeded);
}

TEST_F(StreamBrokerTest, PollingReadsAreLimitedToFiveCallsPerSecondPerShard) {
  Reopen(BrokerLimits());
  Create("s", 1);
  const std::string iterator = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(broker_->GetRecords(iterator, 10).ok()) << i;
  EXPECT_EQ(ErrorType(broker_->GetRecords(iterator, 10).status()),
            common::kProvisionedThroughputExceeded);
  clock_.AdvanceMillis(200);
  EXPECT_TRUE(broker_->GetRecords(iterator, 10).ok());
}

TEST_F(StreamBrokerTest, ExpiredRecordsAreNeverServedAndAreDeletedFromDisk) {
  Create("s", 1);
  std::string bulk(64 * 1024, ' ');  // incompressible, so its size shows on disk
  uint32_t x = 12345;
  for (char& c : bulk) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
  for (int i = 0; i < 20; ++i) PutOne("s", "k", "old" + std::to_string(i) + bulk);
  clock_.AdvanceMillis(23 * 3'600'000);
  PutOne("s", "k", "young");
  clock_.AdvanceMillis(2 * 3'600'000);  // "old*" are now 25 h old, "young" 2 h
  const std::string shard = "shardId-000000000000";
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)),
            std::vector<std::string>{"young"});
  EXPECT_EQ(broker_->store().CountRecordKeys(1, 0), 21);
  ASSERT_TRUE(broker_->store().Flush().ok());
  EXPECT_GT(broker_->store().ApproximateShardBytes(1, 0), 16u * 64 * 1024);
  broker_->TrimExpiredRecords();
  EXPECT_EQ(broker_->store().CountRecordKeys(1, 0), 1);
  EXPECT_LT(broker_->store().ApproximateShardBytes(1, 0), 64u * 1024) << "space not reclaimed";
  // Raising retention does not revive what expired.
  ASSERT_TRUE(broker_->ChangeRetention(StreamRef{"s", ""}, 48, true).ok());
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)),
            std::vector<std::string>{"young"});
}

TEST_F(StreamBrokerTest, RaisingRetentionBeforeTheTrimPassRevivesNothing) {
  Create("s", 1);
  for (int i = 0; i < 20; ++i) PutOne("s", "k", "old" + std::to_string(i));
  clock_.AdvanceMillis(23 * 3'600'000);
  for (int i = 0; i < 3; ++i) PutOne("s", "k", "young" + std::to_string(i));
  clock_.AdvanceMillis(2 * 3'600'000);  // "old*" expired an hour ago; no trim pass ran
  const std::string shard = "shardId-000000000000";
  const std::vector<std::string> live = {"young0", "young1", "young2"};
  ASSERT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)), live);
  ASSERT_TRUE(broker_->ChangeRetention(StreamRef{"s", ""}, 168, true).ok());
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)), live)
      << "raising retention served expired records again";
  // Nor after a restart (the horizon is kept with the stream), nor by timestamp.
  Reopen(BrokerLimits::None());
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)), live);
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kAtTimestamp, "",
                                 clock_.NowMillis() - 100 * 3'600'000)),
            live);
  // What expires later, under the longer retention, still expires.
  clock_.AdvanceMillis(167 * 3'600'000);
  EXPECT_TRUE(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)).empty());
}

TEST_F(StreamBrokerTest, AFailedWriteThenASplitStillLetsReadersReachTheEnd) {
  Create("s", 1);
  for (int i = 0; i < 5; ++i) PutOne("s", "k", "r" + std::to_string(i));
  faults_->FailAppends(1);
  auto failed = Put("s", {PutEntry{"lost", "k", std::nullopt}});
  ASSERT_TRUE(failed.ok()) << failed.status();
  ASSERT_EQ(ErrorType(failed->front().status), common::kInternalFailure)
      << "the injected write failure did not fail the record";
  ASSERT_TRUE(broker_
                  ->SplitShard(StreamRef{"s", ""}, "shardId-000000000000",
                               "170141183460469231731687303715884105728")
                  .ok());
  // A reader of the closed parent gets its five records, then the end and the children.
  std::string iterator = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  std::vector<std::string> data;
  bool ended = false;
  for (int call = 0; call < 10 && !ended; ++call) {
    auto result = broker_->GetRecords(iterator, 10000);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const RecordOut& r : result->records) data.push_back(r.data);
    ended = result->next_shard_iterator.empty();
    if (ended) {
      EXPECT_EQ(result->child_shards.size(), 2u);
    }
    iterator = result->next_shard_iterator;
  }
  EXPECT_TRUE(ended) << "the closed shard's end is out of every reader's reach";
  EXPECT_EQ(data, (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"}));
}

TEST_F(StreamBrokerTest, ASplitStorageRefusedWasNeverVisibleToReaders) {
  Create("s", 1);
  for (int i = 0; i < 3; ++i) PutOne("s", "k", "r" + std::to_string(i));
  const std::string parent = "shardId-000000000000";
  const std::string middle = common::FormatUint128(common::kMaxHashKey / 2);
  ListShardsParams all;
  all.stream = StreamRef{"s", ""};
  // What a reader (these do not go through the commit queue) sees while the write is failing.
  size_t listed_meanwhile = 0;
  std::string parent_ending_meanwhile = "unread";
  size_t children_announced_meanwhile = 99;  // (unread)
  std::string iterator = Iterator("s", parent, IteratorType::kTrimHorizon);
  faults_->FailNextStreamWrite([&] {
    std::thread reader([&] {  // another thread, as a client's request would be
      auto listed = broker_->ListShards(all);
      if (listed.ok()) {
        listed_meanwhile = listed->shards.size();
        parent_ending_meanwhile = listed->shards.front().ending_sequence_number;
      }
      auto read = broker_->GetRecords(iterator, 10000);
      if (read.ok()) children_announced_meanwhile = read->child_shards.size();
    });
    reader.join();
  });
  EXPECT_EQ(ErrorType(broker_->SplitShard(StreamRef{"s", ""}, parent, middle)),
            common::kInternalFailure);
  EXPECT_EQ(listed_meanwhile, 1u) << "children listed before they were stored";
  EXPECT_EQ(parent_ending_meanwhile, "") << "the parent shown closed before it was stored";
  EXPECT_EQ(children_announced_meanwhile, 0u) << "a reader was sent to children never stored";
  // Nothing changed: the parent takes records, and the next split gets the same child ids.
  PutOne("s", "k", "r3");
  auto listed = broker_->ListShards(all);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->shards.size(), 1u);
  EXPECT_EQ(listed->shards[0].ending_sequence_number, "");
  ASSERT_TRUE(broker_->SplitShard(StreamRef{"s", ""}, parent, middle).ok());
  Reopen(BrokerLimits::None());
  listed = broker_->ListShards(all);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->shards.size(), 3u);
  EXPECT_NE(listed->shards[0].ending_sequence_number, "");
  EXPECT_EQ(listed->shards[1].shard_id, "shardId-000000000001");
  EXPECT_EQ(listed->shards[2].shard_id, "shardId-000000000002");
  EXPECT_EQ(ReadAllData(Iterator("s", parent, IteratorType::kTrimHorizon)),
            (std::vector<std::string>{"r0", "r1", "r2", "r3"}));
}

TEST_F(StreamBrokerTest, ARetentionChangeStorageRefusedWasNeverActedOn) {
  Create("s", 1);
  const StreamRef ref{"s", ""};
  ASSERT_TRUE(broker_->ChangeRetention(ref, 168, /*increase=*/true).ok());
  const std::string shard = "shardId-000000000000";
  for (int i = 0; i < 3; ++i) PutOne("s", "k", "old" + std::to_string(i));
  clock_.AdvanceMillis(100 * 3'600'000);  // 100 h old: kept under 168 h, not under 24 h
  // The trimmer and a reader run while the decrease is being written — and fails.
  std::vector<std::string> read_meanwhile = {"(unread)"};
  faults_->FailNextStreamWrite([&] {
    std::thread trimmer_and_reader([&] {
      broker_->TrimExpiredRecords();
      read_meanwhile = ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon));
    });
    trimmer_and_reader.join();
  });
  EXPECT_EQ(ErrorType(broker_->ChangeRetention(ref, 24, /*increase=*/false)),
            common::kInternalFailure);
  const std::vector<std::string> all = {"old0", "old1", "old2"};
  EXPECT_EQ(read_meanwhile, all) << "a reader saw the retention the failed write took back";
  broker_->TrimExpiredRecords();
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)), all)
      << "the trimmer acted on the retention the failed write took back";
  // Retention is still 168 h: 120 h is a decrease (from 24 h it would be refused).
  EXPECT_TRUE(broker_->ChangeRetention(ref, 120, /*increase=*/false).ok());
  Reopen(BrokerLimits::None());
  EXPECT_EQ(ReadAllData(Iterator("s", shard, IteratorType::kTrimHorizon)), all);
}

TEST_F(StreamBrokerTest, RetentionMovesOnlyInTheNamedDirection) {
  Create("s", 1);
  StreamRef ref{"s", ""};
  EXPECT_TRUE(broker_->ChangeRetention(ref, 48, /*increase=*/true).ok());
  EXPECT_EQ(ErrorType(broker_->ChangeRetention(ref, 24, /*increase=*/true)),
            common::kInvalidArgument);
  EXPECT_EQ(ErrorType(broker_->ChangeRetention(ref, 72, /*increase=*/false)),
            common::kInvalidArgument);
  EXPECT_EQ(ErrorType(broker_->ChangeRetention(ref, 9000, /*increase=*/true)),
            common::kInvalidArgument);
  EXPECT_TRUE(broker_->ChangeRetention(ref, 24, /*increase=*/false).ok());
  EXPECT_EQ(ErrorType(broker_->ChangeRetention(StreamRef{"nope", ""}, 48, true)),
            common::kResourceNotFound);
}

TEST_F(StreamBrokerTest, EverythingSurvivesARestartWithTheSameSequenceNumbers) {
  Create("s", 2);
  std::vector<PutOutcome> written;
  for (int i = 0; i < 30; ++i) written.push_back(PutOne("s", "k" + std::to_string(i), "v"));
  ASSERT_TRUE(broker_->ChangeRetention(StreamRef{"s", ""}, 100, true).ok());
  Reopen(BrokerLimits::None());
  std::vector<std::string> before, after;
  for (const PutOutcome& o : written) before.push_back(o.sequence_number);
  for (const std::string shard : {"shardId-000000000000", "shardId-000000000001"}) {
    auto result = broker_->GetRecords(Iterator("s", shard, IteratorType::kTrimHorizon), 10000);
    ASSERT_TRUE(result.ok());
    for (const RecordOut& r : result->records) after.push_back(r.sequence_number);
  }
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(before, after);
  auto summary = broker_->DescribeStreamSummary(StreamRef{"s", ""});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->retention_hours, 100);
  // New records continue above the old ones, even if the clock stepped back.
  clock_.AdvanceMillis(-60'000);
  const PutOutcome next = PutOne("s", "k0", "later");
  absl::uint128 last = 0, fresh = 0;
  for (const PutOutcome& o : written) {
    if (o.shard_id == next.shard_id) {
      ASSERT_TRUE(common::ParseDecimalUint128(o.sequence_number, &last));
    }
  }
  ASSERT_TRUE(common::ParseDecimalUint128(next.sequence_number, &fresh));
  EXPECT_GT(fresh, last);
}

TEST_F(StreamBrokerTest, DeleteStreamRemovesItAndItsRecords) {
  Create("s", 1);
  PutOne("s", "k", "x");
  ASSERT_TRUE(broker_->DeleteStream(StreamRef{"s", ""}, false).ok());
  EXPECT_EQ(ErrorType(broker_->DescribeStreamSummary(StreamRef{"s", ""}).status()),
            common::kResourceNotFound);
  EXPECT_EQ(ErrorType(broker_->DeleteStream(StreamRef{"s", ""}, false)), common::kResourceNotFound);
  broker_->Stop();  // runs the queued data deletion
  EXPECT_EQ(broker_->store().CountRecordKeys(1, 0), 0);
  // The name can be used again, for a new and empty stream.
  Reopen(BrokerLimits::None());
  Create("s", 1);
  EXPECT_TRUE(
      ReadAllData(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon)).empty());
}

TEST_F(StreamBrokerTest, ClosedShardsExpireWithTheirLastRecordsAndIndicesAreNeverReused) {
  Create("s", 1);
  PutOne("s", "k", "x");
  ASSERT_TRUE(broker_
                  ->SplitShard(StreamRef{"s", ""}, "shardId-000000000000",
                               common::FormatUint128(common::kMaxHashKey / 2))
                  .ok());
  ListShardsParams all;
  all.stream = StreamRef{"s", ""};
  clock_.AdvanceMillis(23 * 3'600'000);
  broker_->TrimExpiredRecords();
  EXPECT_EQ(broker_->ListShards(all)->shards.size(), 3u) << "the parent still has live records";
  clock_.AdvanceMillis(2 * 3'600'000);
  broker_->TrimExpiredRecords();
  auto listed = broker_->ListShards(all);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->shards.size(), 2u);
  EXPECT_EQ(listed->shards[0].shard_id, "shardId-000000000001");
  EXPECT_EQ(ErrorType(broker_
                          ->GetShardIterator(
                              GetShardIteratorParams{StreamRef{"s", ""}, "shardId-000000000000",
                                                     IteratorType::kTrimHorizon, "", 0})
                          .status()),
            common::kResourceNotFound);
  Reopen(BrokerLimits::None());
  EXPECT_EQ(broker_->ListShards(all)->shards.size(), 2u);
  ASSERT_TRUE(broker_
                  ->SplitShard(StreamRef{"s", ""}, "shardId-000000000001",
                               common::FormatUint128(common::kMaxHashKey / 4))
                  .ok());
  auto after = broker_->ListShards(all);
  EXPECT_EQ(after->shards.back().shard_id, "shardId-000000000004");
}

TEST_F(StreamBrokerTest, ListShardsFiltersFollowLineageAndTime) {
  Create("s", 1);
  const int64_t created = clock_.NowMillis();
  clock_.AdvanceMillis(60'000);
  const int64_t before_split = clock_.NowMillis();
  clock_.AdvanceMillis(60'000);
  PutOne("s", "k", "x");
  ASSERT_TRUE(broker_
                  ->SplitShard(StreamRef{"s", ""}, "shardId-000000000000",
                               common::FormatUint128(common::kMaxHashKey / 2))
                  .ok());
  clock_.AdvanceMillis(60'000);
  const int64_t after_split = clock_.NowMillis();
  auto ids = [&](ShardFilterType type, int64_t millis, const std::string& shard_id = "") {
    ListShardsParams params;
    params.stream = StreamRef{"s", ""};
    params.filter = type;
    params.filter_timestamp_millis = millis;
    params.filter_shard_id = shard_id;
    auto listed = broker_->ListShards(params);
    EXPECT_TRUE(listed.ok()) << listed.status();
    std::vector<std::string> out;
    if (listed.ok()) {
      for (const ShardInfo& shard : listed->shards) out.push_back(shard.shard_id.substr(18));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(ShardFilterType::kNone, 0), (V{"00", "01", "02"}));
  EXPECT_EQ(ids(ShardFilterType::kFromTrimHorizon, 0), (V{"00", "01", "02"}));
  EXPECT_EQ(ids(ShardFilterType::kAtLatest, 0), (V{"01", "02"}));
  EXPECT_EQ(ids(ShardFilterType::kAtTrimHorizon, 0), (V{"00"})) << "the stream's first shards";
  EXPECT_EQ(ids(ShardFilterType::kAtTimestamp, before_split), (V{"00"}));
  EXPECT_EQ(ids(ShardFilterType::kAtTimestamp, after_split), (V{"01", "02"}));
  EXPECT_EQ(ids(ShardFilterType::kAtTimestamp, created - 1000), (V{"00"}));
  EXPECT_EQ(ids(ShardFilterType::kFromTimestamp, before_split), (V{"00", "01", "02"}));
  EXPECT_EQ(ids(ShardFilterType::kFromTimestamp, after_split), (V{"01", "02"}));
  EXPECT_EQ(ids(ShardFilterType::kAfterShardId, 0, "shardId-000000000000"), (V{"01", "02"}));
  for (ShardFilterType type : {ShardFilterType::kAtTimestamp, ShardFilterType::kFromTimestamp}) {
    ListShardsParams before_epoch;
    before_epoch.stream = StreamRef{"s", ""};
    before_epoch.filter = type;
    before_epoch.filter_timestamp_millis = -1;
    auto refused = broker_->ListShards(before_epoch);
    EXPECT_EQ(ErrorType(refused.status()), common::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("ShardFilter.Timestamp -1 ms lies before 1970"),
              std::string::npos)
        << refused.status();
  }
  auto described = broker_->DescribeStream(DescribeStreamParams{StreamRef{"s", ""}, 100, ""});
  ASSERT_TRUE(described.ok());
  EXPECT_FALSE(described->shards[0].ending_sequence_number.empty());
  EXPECT_EQ(described->shards[1].parent_shard_id, "shardId-000000000000");
  EXPECT_EQ(described->shards[2].parent_shard_id, "shardId-000000000000");
  EXPECT_EQ(described->open_shard_count, 2);
}

// A shard is open until its split, however long before that its last record came: a time
// between the two finds the parent (and FROM_TIMESTAMP still lists it), not nothing.
TEST_F(StreamBrokerTest, ATimeFilterSeesAShardOpenUntilItsSplitNotItsLastRecord) {
  Create("s", 1);
  PutOne("s", "k", "x");
  clock_.AdvanceMillis(60'000);
  const int64_t idle = clock_.NowMillis();
  clock_.AdvanceMillis(60'000);
  ASSERT_TRUE(broker_
                  ->SplitShard(StreamRef{"s", ""}, "shardId-000000000000",
                               common::FormatUint128(common::kMaxHashKey / 2))
                  .ok());
  for (ShardFilterType type : {ShardFilterType::kAtTimestamp, ShardFilterType::kFromTimestamp}) {
    ListShardsParams params;
    params.stream = StreamRef{"s", ""};
    params.filter = type;
    params.filter_timestamp_millis = idle;
    auto listed = broker_->ListShards(params);
    ASSERT_TRUE(listed.ok()) << listed.status();
    ASSERT_FALSE(listed->shards.empty());
    EXPECT_EQ(listed->shards.front().shard_id, "shardId-000000000000");
    EXPECT_EQ(listed->shards.size(), type == ShardFilterType::kAtTimestamp ? 1u : 3u);
  }
}

TEST_F(StreamBrokerTest, StreamsCanBeNamedByArn) {
  Create("s", 1);
  EXPECT_TRUE(
      broker_->DescribeStreamSummary(StreamRef{"", "arn:aws:kinesis:local:000000000000:stream/s"})
          .ok());
  EXPECT_EQ(
      ErrorType(broker_->DescribeStreamSummary(StreamRef{"other", "arn:x:stream/s"}).status()),
      common::kInvalidArgument);
  EXPECT_EQ(ErrorType(broker_->DescribeStreamSummary(StreamRef{"", "not-an-arn"}).status()),
            common::kInvalidArgument);
  EXPECT_EQ(ErrorType(broker_->DescribeStreamSummary(StreamRef{"", ""}).status()),
            common::kValidation);
}

TEST_F(StreamBrokerTest, ListStreamsPaginates) {
  for (const char* name : {"c", "a", "e", "b", "d"}) Create(name, 1);
  auto page = broker_->ListStreams(ListStreamsParams{2, "", ""});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->streams.size(), 2u);
  EXPECT_EQ(page->streams[0].name, "a");
  EXPECT_TRUE(page->has_more_streams);
  std::vector<std::string> names = {page->streams[0].name, page->streams[1].name};
  while (page->has_more_streams) {
    page = broker_->ListStreams(ListStreamsParams{2, "", page->next_token});
    ASSERT_TRUE(page.ok());
    for (const StreamInfo& s : page->streams) names.push_back(s.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  auto after = broker_->ListStreams(ListStreamsParams{100, "c", ""});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->streams.size(), 2u);
  EXPECT_EQ(ErrorType(broker_->ListStreams(ListStreamsParams{0, "", ""}).status()),
            common::kValidation);
}

TEST_F(StreamBrokerTest, ListShardsPaginatesFiltersAndChecksItsToken) {
  Create("s", 5);
  ListShardsParams params;
  params.stream = StreamRef{"s", ""};
  params.max_results = 2;
  auto page = broker_->ListShards(params);
  ASSERT_TRUE(page.ok());
  std::vector<std::string> ids;
  for (const ShardInfo& s : page->shards) ids.push_back(s.shard_id);
  const std::string first_token = page->next_token;
  while (!page->next_token.empty()) {
    ListShardsParams next;
    next.next_token = page->next_token;
    next.max_results = 2;
    page = broker_->ListShards(next);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const ShardInfo& s : page->shards) ids.push_back(s.shard_id);
  }
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids.back(), "shardId-000000000004");

  ListShardsParams after;
  after.stream = StreamRef{"s", ""};
  after.filter = ShardFilterType::kAfterShardId;
  after.filter_shard_id = "shardId-000000000002";
  auto filtered = broker_->ListShards(after);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->shards.size(), 2u);
  EXPECT_EQ(filtered->shards[0].shard_id, "shardId-000000000003");

  ListShardsParams latest;
  latest.stream = StreamRef{"s", ""};
  latest.filter = ShardFilterType::kAtLatest;
  EXPECT_EQ(broker_->ListShards(latest)->shards.size(), 5u);

  ListShardsParams mixed;
  mixed.stream = StreamRef{"s", ""};
  mixed.next_token = first_token;
  EXPECT_EQ(ErrorType(broker_->ListShards(mixed).status()), common::kInvalidArgument);
  ListShardsParams forged;
  forged.next_token = first_token.substr(0, first_token.size() - 2) + "AA";
  EXPECT_EQ(ErrorType(broker_->ListShards(forged).status()), common::kInvalidArgument);
  ListShardsParams expired;
  expired.next_token = first_token;
  clock_.AdvanceMillis(300'001);
  EXPECT_EQ(ErrorType(broker_->ListShards(expired).status()), common::kExpiredNextToken);
  ListShardsParams missing_timestamp;
  missing_timestamp.stream = StreamRef{"s", ""};
  missing_timestamp.filter = ShardFilterType::kAtTimestamp;
  EXPECT_EQ(ErrorType(broker_->ListShards(missing_timestamp).status()), common::kInvalidArgument);
}

}  // namespace
}  // namespace eddy::broker
