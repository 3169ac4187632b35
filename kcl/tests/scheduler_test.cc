// Scheduler::Create checks a config before anything runs: a bad one is refused with a
// clear error, never half-started.
#include "kcl/scheduler.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace eddy::kcl {
namespace {

class NothingProcessor final : public RecordProcessor {
 public:
  void ProcessRecords(const ProcessRecordsInput&) override {}
  void ShardEnded(Checkpointer& checkpointer) override { checkpointer.Checkpoint().IgnoreError(); }
};

RecordProcessorFactory Factory() {
  return [](const std::string&) { return std::make_unique<NothingProcessor>(); };
}

Config Good() {
  Config config;
  config.application_name = "app";
  config.stream_name = "orders";
  return config;
}

// Create refuses `config` with InvalidArgument naming `words`.
void ExpectRefused(const Config& config, const std::string& words) {
  absl::StatusOr<std::unique_ptr<Scheduler>> created = Scheduler::Create(config, Factory());
  ASSERT_FALSE(created.ok()) << "accepted a config with bad " << words;
  EXPECT_EQ(common::ErrorType(created.status()), common::kInvalidArgument) << created.status();
  EXPECT_NE(created.status().message().find(words), std::string::npos) << created.status();
}

TEST(SchedulerTest, AGoodConfigIsAcceptedAndGetsAWorkerId) {
  absl::StatusOr<std::unique_ptr<Scheduler>> created = Scheduler::Create(Good(), Factory());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE((*created)->config().worker_id.empty());
  EXPECT_EQ((*created)->metrics().records_processed, 0);
}

TEST(SchedulerTest, BadConfigsAreRefused) {
  Config config = Good();
  config.application_name = "";
  ExpectRefused(config, "application_name");
  config = Good();
  config.stream_name = "";
  ExpectRefused(config, "stream_name");
  config = Good();
  config.application_name = "no spaces please";
  ExpectRefused(config, "pplication");
  config = Good();
  config.failover_millis = 99;
  ExpectRefused(config, "failover_millis");
  config = Good();
  config.initial_position = InitialPosition::kAtTimestamp;
  ExpectRefused(config, "initial_timestamp_millis");
  config = Good();
  config.max_leases_for_worker = 0;
  ExpectRefused(config, "max_leases_for_worker");
  config = Good();
  config.max_leases_to_steal = 0;
  ExpectRefused(config, "max_leases_to_steal");
  config = Good();
  config.shard_sync_interval_millis = 0;
  ExpectRefused(config, "shard_sync_interval_millis");
  config = Good();
  config.polling_idle_millis = -1;
  ExpectRefused(config, "polling_idle_millis");
  config = Good();
  config.polling_max_calls_per_second = -1;
  ExpectRefused(config, "polling_max_calls_per_second");
  config = Good();
  config.embedded_coordinator_path = "/tmp/leases";
  config.coordinator_endpoint = "127.0.0.1:4567";
  ExpectRefused(config, "embedded_coordinator_path");
  config = Good();
  config.etcd_endpoints = {"127.0.0.1:2379"};
  config.coordinator_endpoint = "127.0.0.1:4567";
  ExpectRefused(config, "etcd_endpoints");
  config = Good();
  config.etcd_endpoints = {"127.0.0.1:2379", "no-port"};
  ExpectRefused(config, "no-port");
  config = Good();
  config.etcd_endpoints = {"127.0.0.1:2379"};
  config.etcd_session_ttl_millis = -1;
  ExpectRefused(config, "etcd_session_ttl_millis");
  config = Good();
  config.clock = nullptr;
  ExpectRefused(config, "clock");
}

TEST(SchedulerTest, AFactoryIsRequired) {
  absl::StatusOr<std::unique_ptr<Scheduler>> created =
      Scheduler::Create(Good(), RecordProcessorFactory());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(common::ErrorType(created.status()), common::kInvalidArgument);
}

}  // namespace
}  // namespace eddy::kcl
