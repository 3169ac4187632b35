// Keeps the benchmark driver from rotting: every workload for about a second against each
// system (Eddy over gRPC and over its Kinesis endpoint, Redis Streams, NATS JetStream,
// kinesalite, kinesis-mock), each on 127.0.0.1. Asserts that every workload ran and
// produced its metrics — never a timing.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <map>
#include <sstream>

#include "common/testing/temp_dir.h"
#include "tests/integration/broker_fixture.h"

namespace eddy::testing {
namespace {

// A port nothing listens on right now (the server started next binds it).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// `name` on $PATH or in /usr/sbin (Debian puts nats-server there); empty if absent.
std::string FindProgram(const std::string& name) {
  std::string path = getenv("PATH") != nullptr ? getenv("PATH") : "";
  path += ":/usr/sbin:/usr/local/sbin";
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

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

  // Starts a peer server and waits until its port accepts connections.
  void StartPeer(const std::string& program, const std::vector<std::string>& args, int port,
                 const std::map<std::string, std::string>& env = {}) {
    const std::string binary = FindProgram(program);
    ASSERT_FALSE(binary.empty()) << program << " is not installed: run scripts/bootstrap and "
                                 << "scripts/install-npm-peers (scripts/test does)";
    peers_.push_back(std::make_unique<BackgroundProcess>());
    peers_.back()->Start(binary, args, env, dir_.path() + "/peer-" + std::to_string(port));
    ASSERT_TRUE(WaitFor([&] { return Accepts(port); }, std::chrono::seconds(30)))
        << binary << " did not start: " << peers_.back()->Err();
  }

  std::vector<std::unique_ptr<BackgroundProcess>> peers_;
};

constexpr char kStreamWorkloads[] = "ingest,latency,fanout";
constexpr size_t kStreamResults = 1 + 1 + 6;  // ingest, latency, 2 × 3 fan-out

TEST_F(BenchSmokeTest, EddyEveryWorkloadIncludingItsOwn) {
  ExpectWorkloadsRun("eddy", broker_.address(), "ingest,latency,fanout,checkpoints,failover",
                     kStreamResults + 2 + 2);
}

TEST_F(BenchSmokeTest, RedisStreams) {
  const int port = FreePort();
  ASSERT_NO_FATAL_FAILURE(
      StartPeer("redis-server",
                {"--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir_.path(),
                 "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"},
                port));
  ExpectWorkloadsRun("redis", "127.0.0.1:" + std::to_string(port), kStreamWorkloads,
                     kStreamResults);
}

TEST_F(BenchSmokeTest, NatsJetStream) {
  const int port = FreePort();
  ASSERT_NO_FATAL_FAILURE(StartPeer(
      "nats-server",
      {"-a", "127.0.0.1", "-p", std::to_string(port), "-js", "-sd", dir_.path() + "/nats"}, port));
  ExpectWorkloadsRun("nats", "127.0.0.1:" + std::to_string(port), kStreamWorkloads, kStreamResults);
}

TEST_F(BenchSmokeTest, Kinesalite) {
  const int port = FreePort();
  ASSERT_NO_FATAL_FAILURE(StartPeer("node",
                                    {SourceDirectory() + "/bench/kinesalite-loopback.js",
                                     std::to_string(port), dir_.path() + "/kinesalite"},
                                    port));
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
  const int port = FreePort();
  const int tls_port = FreePort();
  const std::string package = SourceDirectory() + "/bench/node_modules/kinesis-local";
  std::map<std::string, std::string> env = {
      {"KINESIS_MOCK_PLAIN_PORT", std::to_string(port)},
      {"KINESIS_MOCK_TLS_PORT", std::to_string(tls_port)},
      {"KINESIS_MOCK_CERT_PATH", package + "/server.json"},
      {"SHOULD_PERSIST_DATA", "false"},
      {"LOAD_DATA_IF_EXISTS", "false"},
      {"LOG_LEVEL", "WARN"}};
  for (const char* delay : {"CREATE_STREAM", "DELETE_STREAM", "REGISTER_STREAM_CONSUMER",
                            "DEREGISTER_STREAM_CONSUMER", "START_STREAM_ENCRYPTION",
                            "STOP_STREAM_ENCRYPTION"}) {
    env[std::string(delay) + "_DURATION"] = "0ms";
  }
  ASSERT_NO_FATAL_FAILURE(StartPeer("node", {package + "/main.js"}, port, env));
  ExpectWorkloadsRun("kinesis-push", "127.0.0.1:" + std::to_string(port), "latency,fanout", 7,
                     {"--slow-peer"});
}

}  // namespace
}  // namespace eddy::testing
