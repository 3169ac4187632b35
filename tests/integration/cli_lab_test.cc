// The lab of issue #2, verbatim with `eddy` for `aws kinesis`, against a real broker.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/broker_fixture.h"

namespace eddy::testing {
namespace {

using Json = nlohmann::json;

class CliLabTest : public BrokerTest {};

Json ParseOut(const CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return Json::parse(result.out, nullptr, false);
}

TEST_F(CliLabTest, TheKinesisLabWorksVerbatim) {
  const std::string& endpoint = broker_.address();
  CommandResult created =
      RunEddy({"create-stream", "--stream-name", "rabbit-kds", "--shard-count", "1"}, endpoint);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(created.out.empty());

  Json put =
      ParseOut(RunEddy({"put-record", "--stream-name", "rabbit-kds", "--partition-key", "user1",
                        "--data", "user signup", "--cli-binary-format", "raw-in-base64-out"},
                       endpoint));
  EXPECT_EQ(put["ShardId"], "shardId-000000000000");
  ASSERT_TRUE(put["SequenceNumber"].is_string());

  Json described = ParseOut(RunEddy({"describe-stream", "--stream-name", "rabbit-kds"}, endpoint));
  const Json& description = described["StreamDescription"];
  EXPECT_EQ(description["StreamName"], "rabbit-kds");
  EXPECT_EQ(description["StreamStatus"], "ACTIVE");
  ASSERT_EQ(description["Shards"].size(), 1u);
  EXPECT_EQ(description["Shards"][0]["ShardId"], "shardId-000000000000");
  EXPECT_EQ(description["Shards"][0]["HashKeyRange"]["EndingHashKey"],
            "340282366920938463463374607431768211455");

  Json iterator =
      ParseOut(RunEddy({"get-shard-iterator", "--stream-name", "rabbit-kds", "--shard-id",
                        "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON"},
                       endpoint));
  ASSERT_TRUE(iterator["ShardIterator"].is_string());

  Json records = ParseOut(RunEddy(
      {"get-records", "--shard-iterator", iterator["ShardIterator"].get<std::string>()}, endpoint));
  ASSERT_EQ(records["Records"].size(), 1u);
  EXPECT_EQ(records["Records"][0]["Data"], "dXNlciBzaWdudXA=");  // base64("user signup")
  EXPECT_EQ(records["Records"][0]["PartitionKey"], "user1");
  EXPECT_EQ(records["Records"][0]["SequenceNumber"], put["SequenceNumber"]);
  EXPECT_TRUE(records["NextShardIterator"].is_string());
  EXPECT_EQ(records["MillisBehindLatest"], 0);
}

TEST_F(CliLabTest, EndpointComesFromTheFlagOrTheEnvironment) {
  CommandResult by_flag = RunEddy({"--endpoint", broker_.address(), "list-streams"}, "");
  EXPECT_EQ(by_flag.exit_code, 0) << by_flag.err;
  CommandResult flag_after = RunEddy({"list-streams", "--endpoint", broker_.address()}, "");
  EXPECT_EQ(flag_after.exit_code, 0) << flag_after.err;
  CommandResult by_env = RunEddy({"list-streams"}, broker_.address());
  EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
  CommandResult nowhere =
      RunEddy({"--endpoint", "127.0.0.1:1", "list-streams"}, "", std::chrono::seconds(60));
  EXPECT_EQ(nowhere.exit_code, 255);
  EXPECT_NE(nowhere.err.find("Could not connect"), std::string::npos) << nowhere.err;
}

TEST_F(CliLabTest, ServiceErrorsPrintTheExceptionAndExit254) {
  CommandResult missing = RunEddy({"describe-stream", "--stream-name", "nope"}, broker_.address());
  EXPECT_EQ(missing.exit_code, 254);
  EXPECT_NE(missing.err.find("An error occurred (ResourceNotFoundException) when calling the "
                             "DescribeStream operation"),
            std::string::npos)
      << missing.err;
  CommandResult not_base64 = RunEddy(
      {"put-record", "--stream-name", "nope", "--partition-key", "k", "--data", "user signup"},
      broker_.address());
  EXPECT_EQ(not_base64.exit_code, 252) << "refused locally, before any call";
  EXPECT_NE(not_base64.err.find("Invalid base64"), std::string::npos) << not_base64.err;
  CommandResult usage = RunEddy({"get-shard-iterator", "--stream-name", "x"}, broker_.address());
  EXPECT_EQ(usage.exit_code, 252);
}

TEST_F(CliLabTest, ControlPlaneCommandsRoundTrip) {
  const std::string& e = broker_.address();
  ASSERT_EQ(RunEddy({"create-stream", "--stream-name", "a", "--shard-count", "3"}, e).exit_code, 0);
  ASSERT_EQ(RunEddy({"create-stream", "--stream-name", "b", "--stream-mode-details",
                     "StreamMode=ON_DEMAND"},
                    e)
                .exit_code,
            0);
  Json streams = ParseOut(RunEddy({"list-streams"}, e));
  EXPECT_EQ(streams["StreamNames"], Json::array({"a", "b"}));
  Json shards = ParseOut(RunEddy({"list-shards", "--stream-name", "a", "--shard-filter",
                                  "Type=AFTER_SHARD_ID,ShardId=shardId-000000000000"},
                                 e));
  ASSERT_EQ(shards["Shards"].size(), 2u);
  EXPECT_EQ(shards["Shards"][0]["ShardId"], "shardId-000000000001");
  Json paged = ParseOut(RunEddy({"list-shards", "--stream-name", "a", "--max-results", "2"}, e));
  ASSERT_EQ(paged["Shards"].size(), 2u);
  Json rest =
      ParseOut(RunEddy({"list-shards", "--next-token", paged["NextToken"].get<std::string>()}, e));
  ASSERT_EQ(rest["Shards"].size(), 1u);
  EXPECT_EQ(rest["Shards"][0]["ShardId"], "shardId-000000000002");
  Json summary = ParseOut(RunEddy({"describe-stream-summary", "--stream-name", "b"}, e));
  EXPECT_EQ(summary["StreamDescriptionSummary"]["StreamModeDetails"]["StreamMode"], "ON_DEMAND");
  EXPECT_EQ(summary["StreamDescriptionSummary"]["OpenShardCount"], 4);
  ASSERT_EQ(RunEddy({"increase-stream-retention-period", "--stream-name", "a",
                     "--retention-period-hours", "48"},
                    e)
                .exit_code,
            0);
  CommandResult wrong_way = RunEddy(
      {"decrease-stream-retention-period", "--stream-name", "a", "--retention-period-hours", "72"},
      e);
  EXPECT_EQ(wrong_way.exit_code, 254);
  EXPECT_NE(wrong_way.err.find("InvalidArgumentException"), std::string::npos);
  Json described = ParseOut(RunEddy({"describe-stream", "--stream-name", "a"}, e));
  EXPECT_EQ(described["StreamDescription"]["RetentionPeriodHours"], 48);
  ASSERT_EQ(RunEddy({"delete-stream", "--stream-name", "a"}, e).exit_code, 0);
  EXPECT_EQ(ParseOut(RunEddy({"list-streams"}, e))["StreamNames"], Json::array({"b"}));
}

TEST_F(CliLabTest, PutRecordsTakesJsonAndShorthand) {
  const std::string& e = broker_.address();
  ASSERT_EQ(RunEddy({"create-stream", "--stream-name", "s", "--shard-count", "2"}, e).exit_code, 0);
  Json put = ParseOut(RunEddy(
      {"put-records", "--stream-name", "s", "--cli-binary-format", "raw-in-base64-out", "--records",
       R"([{"Data":"one","PartitionKey":"k1"},{"Data":"two","PartitionKey":"k2",
       "ExplicitHashKey":"340282366920938463463374607431768211455"}])"},
      e));
  EXPECT_EQ(put["FailedRecordCount"], 0);
  ASSERT_EQ(put["Records"].size(), 2u);
  EXPECT_EQ(put["Records"][1]["ShardId"], "shardId-000000000001");
  Json shorthand =
      ParseOut(RunEddy({"put-records", "--stream-name", "s", "--records",
                        "Data=dGhyZWU=,PartitionKey=k3", "Data=Zm91cg==,PartitionKey=k4"},
                       e));
  EXPECT_EQ(shorthand["Records"].size(), 2u);
}

}  // namespace
}  // namespace eddy::testing
