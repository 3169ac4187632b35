// Every error path of the broker over the wire: the precise Kinesis error and no change.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <functional>

#include "common/errors.h"
#include "tests/integration/broker_fixture.h"

namespace eddy::testing {
namespace {

using common::ErrorType;

// Default (Kinesis) limits, so that throttling can be seen.
class BrokerErrorsTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerArgs() override { return {}; }

  absl::Status PutOne(const std::string& stream, const std::string& key, const std::string& data) {
    v1::PutRecordRequest request;
    request.mutable_stream()->set_stream_name(stream);
    request.set_partition_key(key);
    request.set_data(data);
    return client_->PutRecord(request).status();
  }
};

TEST_F(BrokerErrorsTest, BadRecordsAreRefusedPreciselyAndStoreNothing) {
  CreateStream("s", 1);
  absl::Status oversized = PutOne("s", "k", std::string(1024 * 1024, 'x'));  // + 1-byte key
  EXPECT_EQ(oversized.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorType(oversized), common::kValidation);
  EXPECT_NE(oversized.message().find("1048576"), std::string::npos) << oversized;
  EXPECT_EQ(ErrorType(PutOne("s", "", "x")), common::kValidation);
  absl::Status long_key = PutOne("s", std::string(257, 'k'), "x");
  EXPECT_EQ(ErrorType(long_key), common::kValidation);
  EXPECT_NE(long_key.message().find("256"), std::string::npos);
  // A key that is not UTF-8: a validation error naming the field, as Kinesis answers.
  absl::Status not_utf8 = PutOne("s", "\xff\xfe", "x");
  EXPECT_EQ(ErrorType(not_utf8), common::kValidation) << not_utf8;
  EXPECT_NE(not_utf8.message().find("partitionKey"), std::string::npos) << not_utf8;
  EXPECT_NE(not_utf8.message().find("UTF-8"), std::string::npos) << not_utf8;
  v1::PutRecordsRequest batch;
  batch.mutable_stream()->set_stream_name("s");
  batch.add_records()->set_partition_key("fine");
  batch.add_records()->set_partition_key("\xc0\xaf");  // an overlong '/'
  absl::Status batch_status = client_->PutRecords(batch).status();
  EXPECT_EQ(ErrorType(batch_status), common::kValidation) << batch_status;
  EXPECT_NE(batch_status.message().find("records.2.member.partitionKey"), std::string::npos)
      << batch_status;
  absl::Status missing = PutOne("nope", "k", "x");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorType(missing), common::kResourceNotFound);
  EXPECT_TRUE(ReadShard("s", "shardId-000000000000").empty());
  EXPECT_TRUE(PutOne("s", std::string(256, 'k'), std::string(1024 * 1024 - 256, 'x')).ok());
}

TEST_F(BrokerErrorsTest, BadIteratorsAreRefused) {
  CreateStream("s", 1);
  v1::GetShardIteratorRequest request;
  request.mutable_stream()->set_stream_name("s");
  request.set_shard_id("shardId-000000000000");
  request.set_shard_iterator_type(v1::TRIM_HORIZON);
  auto iterator = client_->GetShardIterator(request);
  ASSERT_TRUE(iterator.ok());
  std::string edited = iterator->shard_iterator();
  edited[10] = edited[10] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {edited, std::string("forged-iterator"), std::string("")}) {
    v1::GetRecordsRequest get;
    get.set_shard_iterator(bad);
    auto response = client_->GetRecords(get);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(ErrorType(response.status()), common::kInvalidArgument) << response.status();
  }
  v1::GetRecordsRequest wrong_arn;
  wrong_arn.set_shard_iterator(iterator->shard_iterator());
  wrong_arn.set_stream_arn("arn:aws:kinesis:local:000000000000:stream/other");
  EXPECT_EQ(ErrorType(client_->GetRecords(wrong_arn).status()), common::kInvalidArgument);
  request.set_shard_id("shardId-000000000007");
  EXPECT_EQ(ErrorType(client_->GetShardIterator(request).status()), common::kResourceNotFound);
  request.set_shard_id("shardId-000000000000");
  request.set_shard_iterator_type(v1::AT_SEQUENCE_NUMBER);
  request.set_starting_sequence_number("not-a-number");
  EXPECT_EQ(ErrorType(client_->GetShardIterator(request).status()), common::kInvalidArgument);
}

TEST_F(BrokerErrorsTest, WritesOverTheShardLimitAreThrottledPerRecord) {
  CreateStream("s", 1);
  v1::PutRecordsRequest request;
  request.mutable_stream()->set_stream_name("s");
  for (int i = 0; i < 500; ++i) {
    v1::PutRecordsRequestEntry* entry = request.add_records();
    entry->set_partition_key("k" + std::to_string(i));
    entry->set_data("x");
  }
  int failed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int call = 0; call < 4; ++call) {  // 2000 records against a 1000 records/s bucket
    auto response = client_->PutRecords(request);
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->records_size(), 500);
    bool refused_before = false;
    for (const v1::PutRecordsResultEntry& entry : response->records()) {
      if (!entry.error_code().empty()) {
        EXPECT_EQ(entry.error_code(), "ProvisionedThroughputExceededException");
        EXPECT_TRUE(entry.sequence_number().empty());
        ++failed;
        refused_before = true;
      } else {
        EXPECT_FALSE(refused_before) << "a record accepted after an earlier one was refused";
      }
    }
    EXPECT_EQ(response->failed_record_count(),
              std::count_if(response->records().begin(), response->records().end(),
                            [](const auto& e) { return !e.error_code().empty(); }));
  }
  // The bucket holds 1000 records and refills at 1000 a second: exactly that many passed,
  // give or take what refilled while the calls ran.
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int accepted = 2000 - failed;
  EXPECT_GE(accepted, 1000);
  EXPECT_LE(accepted, 1000 + static_cast<int>(1000 * seconds) + 1);
  const auto stored = ReadShard("s", "shardId-000000000000");
  EXPECT_EQ(static_cast<int>(stored.size()), 2000 - failed) << "failed records are not stored";

  v1::PutRecordsRequest too_many = request;
  too_many.add_records()->set_partition_key("extra");
  auto refused = client_->PutRecords(too_many);
  EXPECT_EQ(ErrorType(refused.status()), common::kValidation);
}

TEST_F(BrokerErrorsTest, ReadsOverTheShardLimitAreThrottled) {
  CreateStream("s", 1);
  v1::GetShardIteratorRequest request;
  request.mutable_stream()->set_stream_name("s");
  request.set_shard_id("shardId-000000000000");
  request.set_shard_iterator_type(v1::LATEST);
  auto iterator = client_->GetShardIterator(request);
  ASSERT_TRUE(iterator.ok());
  int throttled = 0;
  const auto start = std::chrono::steady_clock::now();
  // 20 calls back to back; the shard allows 5 per second (and holds 5).
  for (int i = 0; i < 20; ++i) {
    v1::GetRecordsRequest get;
    get.set_shard_iterator(iterator->shard_iterator());
    auto response = client_->GetRecords(get);
    if (!response.ok()) {
      EXPECT_EQ(ErrorType(response.status()), common::kProvisionedThroughputExceeded);
      EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
      ++throttled;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int served = 20 - throttled;
  EXPECT_GE(served, 5);
  EXPECT_LE(served, 5 + static_cast<int>(5 * seconds) + 1);
}

TEST_F(BrokerErrorsTest, ControlPlaneErrors) {
  CreateStream("s", 1);
  v1::CreateStreamRequest again;
  again.set_stream_name("s");
  again.set_shard_count(1);
  EXPECT_EQ(ErrorType(client_->CreateStream(again).status()), common::kResourceInUse);
  v1::CreateStreamRequest too_big;
  too_big.set_stream_name("huge");
  too_big.set_shard_count(10000);
  EXPECT_EQ(ErrorType(client_->CreateStream(too_big).status()), common::kLimitExceeded);
  v1::CreateStreamRequest bad_name;
  bad_name.set_stream_name("no spaces");
  EXPECT_EQ(ErrorType(client_->CreateStream(bad_name).status()), common::kValidation);
  v1::DeleteStreamRequest del;
  del.mutable_stream()->set_stream_name("nope");
  EXPECT_EQ(ErrorType(client_->DeleteStream(del).status()), common::kResourceNotFound);
  v1::CreateStreamRequest bad_mode;
  bad_mode.set_stream_name("moded");
  bad_mode.set_stream_mode(static_cast<v1::StreamMode>(7));
  EXPECT_EQ(ErrorType(client_->CreateStream(bad_mode).status()), common::kValidation);
  v1::ListShardsRequest bad_filter;
  bad_filter.mutable_stream()->set_stream_name("s");
  bad_filter.mutable_shard_filter()->set_type(static_cast<v1::ShardFilterType>(42));
  EXPECT_EQ(ErrorType(client_->ListShards(bad_filter).status()), common::kInvalidArgument);
  v1::DescribeStreamRequest describe;
  describe.mutable_stream()->set_stream_name("s");
  describe.set_limit(20000);
  EXPECT_EQ(ErrorType(client_->DescribeStream(describe).status()), common::kValidation);
}

// proto3 `optional`: a field not sent takes the default, a 0 (or empty hash key) that is
// sent is refused, as AWS refuses it on its JSON API.
TEST_F(BrokerErrorsTest, ZeroSentIsRefusedWhereAbsentMeansTheDefault) {
  v1::CreateStreamRequest defaults;
  defaults.set_stream_name("defaults");
  ASSERT_TRUE(client_->CreateStream(defaults).ok());
  v1::DescribeStreamSummaryRequest summary;
  summary.mutable_stream()->set_stream_name("defaults");
  auto described = client_->DescribeStreamSummary(summary);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->stream_description_summary().open_shard_count(), 1);
  EXPECT_EQ(described->stream_description_summary().retention_period_hours(), 24);
  EXPECT_EQ(described->stream_description_summary().max_record_size_in_kib(), 1024);

  // Retention out of range is an InvalidArgumentException, as Kinesis' retention actions say.
  const std::vector<std::pair<std::function<void(v1::CreateStreamRequest&)>, std::string>>
      zeros = {
          {[](v1::CreateStreamRequest& r) { r.set_shard_count(0); }, std::string(common::kValidation)},
          {[](v1::CreateStreamRequest& r) { r.set_retention_period_hours(0); },
           std::string(common::kInvalidArgument)},
          {[](v1::CreateStreamRequest& r) { r.set_max_record_size_in_kib(0); },
           std::string(common::kValidation)}};
  for (const auto& [set_zero, expected] : zeros) {
    v1::CreateStreamRequest zero;
    zero.set_stream_name("zero");
    set_zero(zero);
    absl::Status refused = client_->CreateStream(zero).status();
    EXPECT_EQ(ErrorType(refused), expected) << refused;
  }
  v1::DescribeStreamSummaryRequest zero_summary;
  zero_summary.mutable_stream()->set_stream_name("zero");
  EXPECT_EQ(ErrorType(client_->DescribeStreamSummary(zero_summary).status()),
            common::kResourceNotFound);

  v1::DescribeStreamRequest describe;
  describe.mutable_stream()->set_stream_name("defaults");
  EXPECT_TRUE(client_->DescribeStream(describe).ok());
  describe.set_limit(0);
  EXPECT_EQ(ErrorType(client_->DescribeStream(describe).status()), common::kValidation);
  v1::ListStreamsRequest list;
  EXPECT_TRUE(client_->ListStreams(list).ok());
  list.set_limit(0);
  EXPECT_EQ(ErrorType(client_->ListStreams(list).status()), common::kValidation);
  v1::ListShardsRequest shards;
  shards.mutable_stream()->set_stream_name("defaults");
  EXPECT_TRUE(client_->ListShards(shards).ok());
  shards.set_max_results(0);
  EXPECT_EQ(ErrorType(client_->ListShards(shards).status()), common::kValidation);
  v1::ListStreamConsumersRequest consumers;
  consumers.mutable_stream()->set_stream_name("defaults");
  EXPECT_TRUE(client_->ListStreamConsumers(consumers).ok());
  consumers.set_max_results(0);
  EXPECT_EQ(ErrorType(client_->ListStreamConsumers(consumers).status()), common::kValidation);

  v1::PutRecordRequest put;
  put.mutable_stream()->set_stream_name("defaults");
  put.set_partition_key("k");
  put.set_data("x");
  put.set_explicit_hash_key("");
  absl::Status empty_hash_key = client_->PutRecord(put).status();
  EXPECT_EQ(ErrorType(empty_hash_key), common::kValidation) << empty_hash_key;
  EXPECT_NE(empty_hash_key.message().find("explicitHashKey"), std::string::npos);
  v1::PutRecordsRequest batch;
  batch.mutable_stream()->set_stream_name("defaults");
  v1::PutRecordsRequestEntry* entry = batch.add_records();
  entry->set_partition_key("k");
  entry->set_data("x");
  entry->set_explicit_hash_key("");
  absl::Status empty_in_batch = client_->PutRecords(batch).status();
  EXPECT_EQ(ErrorType(empty_in_batch), common::kValidation) << empty_in_batch;
  EXPECT_NE(empty_in_batch.message().find("records.1.member.explicitHashKey"), std::string::npos)
      << empty_in_batch;
  EXPECT_TRUE(ReadShard("defaults", "shardId-000000000000").empty());

  v1::GetShardIteratorRequest at;
  at.mutable_stream()->set_stream_name("defaults");
  at.set_shard_id("shardId-000000000000");
  at.set_shard_iterator_type(v1::TRIM_HORIZON);
  auto iterator = client_->GetShardIterator(at);
  ASSERT_TRUE(iterator.ok()) << iterator.status();
  v1::GetRecordsRequest get;
  get.set_shard_iterator(iterator->shard_iterator());
  EXPECT_TRUE(client_->GetRecords(get).ok());
  get.set_limit(0);
  EXPECT_EQ(ErrorType(client_->GetRecords(get).status()), common::kValidation);
}

TEST_F(BrokerErrorsTest, SigtermShutsDownCleanly) {
  CreateStream("s", 1);
  ASSERT_TRUE(PutOne("s", "k", "x").ok());
  const int status = broker_.Stop(SIGTERM);  // with the client's connection still open
  ASSERT_TRUE(WIFEXITED(status)) << broker_.Log();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(broker_.Log().find("eddy-broker stopped"), std::string::npos);
}

TEST_F(BrokerErrorsTest, ABrokerThatCannotListenSaysSoAndExits) {
  CommandResult second = RunProgram(
      BrokerBinary(), {"--listen", broker_.address(), "--data-dir", dir_.path() + "/second"}, {},
      std::chrono::seconds(30));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("cannot listen on"), std::string::npos) << second.err;
  CommandResult bad_flag =
      RunProgram(BrokerBinary(), {"--limits", "some"}, {}, std::chrono::seconds(30));
  EXPECT_NE(bad_flag.exit_code, 0);
}

}  // namespace
}  // namespace eddy::testing
