// Keeps the benchmark driver from rotting: every workload for about a second against each
// system (Eddy over gRPC and over its Kinesis endpoint, Redis Streams, NATS JetStream,
// kinesalite, kinesis-mock; Eddy's coordination on its broker and on etcd), each on
// 127.0.0.1. Asserts that every workload ran and
// produced its metrics — never a timing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <map>
#include <sstream>

#include "common/testing/temp_dir.h"
#include "absl/strings/str_join.h"
#include "tests/integration/broker_fixture.h"
#include "tests/integration/etcd_cluster.h"
#include "tests/integration/peer_servers.h"

namespace eddy::testing {
namespace {

class BenchSmokeTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerArgs() override {
    return {"--limits", "none", "--consumer-activation-ms", "0"};
  }

  // Runs the driver's smoke mode; every result line must carry metrics, none an error.
  void ExpectWorkloadsRun(const std::string& system, const std::string& endpoint,
                          const std::string& workloads, size_t expected_results,
                          const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"run",   "--system",  system,    "--endpoint", endpoint,
                                     "--smoke", "--workloads", workloads, "--eddy-cli", CliBinary()};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult run = RunProgram(BenchBinary(), args, {}, std::chrono::seconds(240));
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    size_t results = 0;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
      nlohmann::json result = nlohmann::json::parse(line, nullptr, false);
      ASSERT_TRUE(result.is_object()) << line;
      EXPECT_FALSE(result.contains("Error")) << line;
      ASSERT_TRUE(result.contains("Metrics")) << line;
      for (const auto& [name, value] : result["Metrics"].items()) {
        EXPECT_TRUE(value.is_number()) << line;
        EXPECT_GE(value.get<double>(), 0) << name << " in " << line;
      }
      ++results;
    }
    EXPECT_EQ(results, expected_results) << run.out;
  }

  // Starts a peer server on a free port and waits until it accepts connections; its port
  // (0 when it failed to start, and the test has failed).
  int StartPeer(const std::string& program, const testing::PeerLauncher& launch) {
    peers_.push_back(std::make_unique<BackgroundProcess>());
    return testing::StartPeer(*peers_.back(), program, launch,
                              dir_.path() + "/peer-" + std::to_string(peers_.size()));
  }

  std::vector<std::unique_ptr<BackgroundProcess>> peers_;
};

constexpr char kStreamWorkloads[] = "ingest,latency,fanout";
constexpr size_t kStreamResults = 1 + 1 + 6;  // ingest, latency, 2 × 3 fan-out

TEST_F(BenchSmokeTest, EddyEveryWorkloadIncludingItsOwn) {
  ExpectWorkloadsRun("eddy", broker_.address(),
                     "ingest,latency,fanout,leases,checkpoints,failover",
                     kStreamResults + 2 + 2 + 2);
}

TEST_F(BenchSmokeTest, EddyCoordinationOnEtcd) {
  EtcdCluster etcd(dir_.path() + "/etcd", 3);
  ASSERT_TRUE(etcd.Start());
  std::string pids;
  for (int i = 0; i < etcd.size(); ++i) {
    pids += (i > 0 ? "," : "") + std::to_string(etcd.process(i).pid());
  }
  ExpectWorkloadsRun("eddy", broker_.address(), "leases,checkpoints,failover,failover-etcd-leader",
                     2 + 2 + 2 + 1,
                     {"--coordinator", "etcd://" + absl::StrJoin(etcd.endpoints(), ","),
                      "--session-ttl-ms", "2000", "--etcd-pids", pids});
}

TEST_F(BenchSmokeTest, RedisStreams) {
  const int port = StartPeer("redis-server", [&](int port) {
    return testing::PeerLaunch{{"--port", std::to_string(port), "--bind", "127.0.0.1", "--dir",
                                dir_.path(), "--save", "", "--appendonly", "yes",
                                "--appendfsync", "everysec"},
                               {}};
  });
  ASSERT_NE(port, 0);
  ExpectWorkloadsRun("redis", "127.0.0.1:" + std::to_string(port), kStreamWorkloads,
                     kStreamResults);
}

TEST_F(BenchSmokeTest, NatsJetStream) {
  const int port = StartPeer("nats-server", [&](int port) {
    return testing::PeerLaunch{
        {"-a", "127.0.0.1", "-p", std::to_string(port), "-js", "-sd", dir_.path() + "/nats"}, {}};
  });
  ASSERT_NE(port, 0);
  ExpectWorkloadsRun("nats", "127.0.0.1:" + std::to_string(port), kStreamWorkloads, kStreamResults);
}

TEST_F(BenchSmokeTest, Kinesalite) {
  const int port = StartPeer("node", [&](int port) {
    return testing::PeerLaunch{{SourceDirectory() + "/bench/kinesalite-loopback.js",
                                std::to_string(port), dir_.path() + "/kinesalite"},
                               {}};
  });
  ASSERT_NE(port, 0);
  ExpectWorkloadsRun("kinesalite", "127.0.0.1:" + std::to_string(port), kStreamWorkloads,
                     kStreamResults);
}

// The same workloads through Eddy's Kinesis endpoint, as an SDK drives it: SubscribeToShard's
// event stream, and GetRecords polling.
TEST_F(BenchSmokeTest, EddyKinesisEndpointPushAndPoll) {
  ASSERT_FALSE(broker_.kinesis_address().empty());
  ExpectWorkloadsRun("kinesis-push", broker_.kinesis_address(), kStreamWorkloads, kStreamResults);
  ExpectWorkloadsRun("kinesis-poll", broker_.kinesis_address(), kStreamWorkloads, kStreamResults);
}

TEST_F(BenchSmokeTest, KinesisMock) {
  peers_.push_back(std::make_unique<BackgroundProcess>());
  const int port = StartKinesisMock(*peers_.back(), dir_.path() + "/kinesis-mock");
  ASSERT_NE(port, 0);
  ExpectWorkloadsRun("kinesis-push", "127.0.0.1:" + std::to_string(port), "latency,fanout", 7,
                     {"--slow-peer"});
}

}  // namespace
}  // namespace eddy::testing
