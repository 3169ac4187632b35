// The broker's coordinator across SIGKILL and restart, and `eddy leases`.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/remote_coordinator.h"
#include "common/errors.h"
#include "tests/integration/broker_fixture.h"

namespace eddy::testing {
namespace {

using checkpoint::ExtendedSequenceNumber;

class CoordinatorCrashTest : public BrokerTest {
 protected:
  void Connect() {
    coordinator_ = std::make_shared<client::CoordinatorClient>(
        client::StreamClientOptions{broker_.address(), std::chrono::seconds(10)});
    leases_ = std::make_unique<client::RemoteLeaseTable>(coordinator_, "orders");
    checkpoints_ = std::make_unique<client::RemoteCheckpointStore>(coordinator_, "orders");
  }
  std::shared_ptr<client::CoordinatorClient> coordinator_;
  std::unique_ptr<client::RemoteLeaseTable> leases_;
  std::unique_ptr<client::RemoteCheckpointStore> checkpoints_;
};

TEST_F(CoordinatorCrashTest, LeasesAndCheckpointsAreExactlyAsLastAcknowledged) {
  Connect();
  ASSERT_TRUE(*coordinator_->CreateApplication("orders"));
  for (int i = 0; i < 3; ++i) {
    lease::Lease lease;
    lease.key = "shardId-00000000000" + std::to_string(i);
    ASSERT_TRUE(*leases_->CreateIfAbsent(lease));
  }
  ASSERT_TRUE(*leases_->Take("shardId-000000000000", 0, "worker-a"));
  ASSERT_TRUE(*leases_->Take("shardId-000000000001", 0, "worker-b"));
  ASSERT_TRUE(*checkpoints_->Save("shardId-000000000000", {"worker-a", 1},
                                  *ExtendedSequenceNumber::Of("1000", 2), "a-state"));
  ASSERT_TRUE(*checkpoints_->Prepare("shardId-000000000001", {"worker-b", 1},
                                     *ExtendedSequenceNumber::Of("2000"), "b-pending"));
  ASSERT_TRUE(
      *leases_->UpdateLineage("shardId-000000000001", "worker-b", {"shardId-000000000003"}));
  const std::vector<lease::Lease> settled = *leases_->List();

  // A renewer keeps writing while the broker is killed.
  std::atomic<uint64_t> acked_counter{1};
  std::atomic<bool> stop{false};
  std::thread renewer([&] {
    client::RemoteLeaseTable table(coordinator_, "orders");
    while (!stop.load()) {
      const uint64_t counter = acked_counter.load();
      auto won = table.Renew("shardId-000000000000", "worker-a", counter);
      if (!won.ok()) return;  // the broker is gone
      if (*won) acked_counter = counter + 1;
    }
  });
  ASSERT_TRUE(WaitFor([&] { return acked_counter.load() > 50; }, std::chrono::seconds(30)));
  broker_.Stop(SIGKILL);
  stop = true;
  renewer.join();

  ASSERT_TRUE(broker_.Start(data_dir_, BrokerArgs()));
  Connect();
  std::vector<lease::Lease> after = *leases_->List();
  ASSERT_EQ(after.size(), settled.size());
  // The renewed lease: exactly the last acknowledged counter, or one more if the call in
  // flight at the kill had been written but not yet answered.
  EXPECT_GE(after[0].counter, acked_counter.load());
  EXPECT_LE(after[0].counter, acked_counter.load() + 1);
  after[0].counter = settled[0].counter;
  EXPECT_EQ(after, settled);
  auto a = checkpoints_->Read("shardId-000000000000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->checkpoint.ToString(), "1000:2");
  EXPECT_EQ(a->state, "a-state");
  auto b = checkpoints_->Read("shardId-000000000001");
  ASSERT_TRUE(b.ok() && b->pending.has_value());
  EXPECT_EQ(b->pending->ToString(), "2000");
}

TEST_F(CoordinatorCrashTest, EddyLeasesPrintsTheTableAndJson) {
  Connect();
  ASSERT_TRUE(*coordinator_->CreateApplication("orders"));
  lease::Lease lease;
  lease.key = "shardId-000000000004";
  lease.parent_shard_ids = {"shardId-000000000001", "shardId-000000000002"};
  ASSERT_TRUE(*leases_->CreateIfAbsent(lease));
  ASSERT_TRUE(*leases_->Take(lease.key, 0, "worker-7"));
  ASSERT_TRUE(
      *checkpoints_->Save(lease.key, {"worker-7", 1}, *ExtendedSequenceNumber::Of("42"), ""));
  CommandResult table = RunEddy({"leases", "--application", "orders"}, broker_.address());
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("SHARD"), std::string::npos);
  EXPECT_NE(table.out.find("CHECKPOINT"), std::string::npos);
  EXPECT_NE(table.out.find("shardId-000000000004  worker-7"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("shardId-000000000001,shardId-000000000002"), std::string::npos);
  CommandResult json =
      RunEddy({"leases", "--application", "orders", "--output", "json"}, broker_.address());
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed["Leases"].size(), 1u);
  EXPECT_EQ(parsed["Leases"][0]["LeaseOwner"], "worker-7");
  EXPECT_EQ(parsed["Leases"][0]["LeaseCounter"], 1);
  EXPECT_EQ(parsed["Leases"][0]["Checkpoint"], "42");
  CommandResult unknown = RunEddy({"leases", "--application", "nobody"}, broker_.address());
  EXPECT_EQ(unknown.exit_code, 254);
  EXPECT_NE(unknown.err.find("ResourceNotFoundException"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace eddy::testing
