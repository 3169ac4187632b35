#pragma once
// A broker plus consumer worker processes (`eddy consume`, or another worker binary that
// prints the same JSON lines), and the helpers to drive and judge them.

#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "kcl/config.h"
#include "tests/integration/broker_fixture.h"
#include "tools/processing_verdict.h"

namespace eddy::testing {

struct Processed {
  std::string shard;
  std::string sequence;
  std::string data;
  std::string worker;
};

class ConsumerTest : public BrokerTest {
 protected:
  // How workers read records: "grpc" (Eddy's API), "kinesis" (the broker's Kinesis HTTP
  // endpoint over HTTP/1.1) or "kinesis-h2" (the same over HTTP/2 cleartext); leases stay
  // in the broker either way. Transport-parameterised suites set it (TransportTest).
  std::string transport_ = "grpc";
  // Where the Kinesis transports read records; empty: the broker's own Kinesis endpoint.
  std::string kinesis_url_;

  std::vector<std::string> BrokerArgs() override {
    return {"--limits", "none", "--consumer-activation-ms", "0"};
  }

  // Starts `eddy consume` (or `binary` with the same arguments) as worker `id` of
  // application "app" on stream "s", with `extra` arguments (TRIM_HORIZON unless they name
  // an --initial-position); through `launcher` (a command that runs the rest of its
  // arguments, `ip netns exec NS` say) when given.
  BackgroundProcess& StartWorker(const std::string& id, int64_t failover_ms,
                                 const std::string& binary = "",
                                 const std::vector<std::string>& extra = {},
                                 const std::vector<std::string>& launcher = {}) {
    workers_[id] = std::make_unique<BackgroundProcess>();
    std::vector<std::string> args = {
        "--application", "app", "--stream-name", "s",
        "--worker-id",   id,    "--failover-ms", std::to_string(failover_ms)};
    if (std::find(extra.begin(), extra.end(), "--initial-position") == extra.end()) {
      args.insert(args.end(), {"--initial-position", "TRIM_HORIZON"});
    }
    if (binary.empty()) args.insert(args.begin(), "consume");
    std::map<std::string, std::string> env = {{"EDDY_ENDPOINT", broker_.address()}};
    if (transport_ != "grpc") {
      const std::string url =
          kinesis_url_.empty() ? "http://" + broker_.kinesis_address() : kinesis_url_;
      args.insert(args.end(),
                  {"--endpoint-url", url, "--coordinator", "eddy://" + broker_.address()});
      if (transport_ == "kinesis-h2") args.push_back("--http2");
      for (const auto& [name, value] : AwsTestEnvironment()) env[name] = value;
    }
    args.insert(args.end(), extra.begin(), extra.end());
    std::string program = binary.empty() ? CliBinary() : binary;
    if (!launcher.empty()) {
      args.insert(args.begin(), program);
      args.insert(args.begin(), launcher.begin() + 1, launcher.end());
      program = launcher[0];
    }
    workers_[id]->Start(program, args, env, dir_.path() + "/" + id + ".out");
    return *workers_[id];
  }

  // For an in-process scheduler: records over transport_ (this process's environment gets
  // the test credentials), leases in the broker.
  void ApplyTransport(kcl::Config& config) {
    config.endpoint = broker_.address();
    if (transport_ == "grpc") return;
    for (const auto& [name, value] : AwsTestEnvironment()) {
      if (value.empty()) {
        unsetenv(name.c_str());
      } else {
        setenv(name.c_str(), value.c_str(), 1);
      }
    }
    config.transport = kcl::Transport::kKinesisHttp;
    config.kinesis.endpoint_url = "http://" + broker_.kinesis_address();
    config.kinesis.http2_cleartext = transport_ == "kinesis-h2";
  }

  // Eddy's Kinesis endpoint checks no signature; the client signs with these (and reads no
  // profile of the machine's). An empty value unsets the variable.
  static std::map<std::string, std::string> AwsTestEnvironment() {
    return {{"AWS_ACCESS_KEY_ID", "eddy-test"},
            {"AWS_SECRET_ACCESS_KEY", "eddy-test-secret"},
            {"AWS_SESSION_TOKEN", ""},
            {"AWS_REGION", "us-east-1"},
            {"AWS_PROFILE", ""},
            {"AWS_CONFIG_FILE", "/dev/null"},
            {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}};
  }

  static std::vector<Processed> Parse(const BackgroundProcess& worker) {
    std::vector<Processed> out;
    for (const std::string& line : worker.Lines()) {
      nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
      if (!json.is_object() || !json.contains("Data")) continue;  // an event line
      std::string data;
      absl::Base64Unescape(json["Data"].get<std::string>(), &data);
      out.push_back(Processed{json["ShardId"], json["SequenceNumber"], data, json["WorkerId"]});
    }
    return out;
  }

  // Every record every worker processed, for the verdict.
  std::vector<tools::ProcessedRecord> AllProcessed() {
    std::vector<tools::ProcessedRecord> out;
    for (auto& [id, worker] : workers_) {
      for (const std::string& line : worker->Lines()) {
        tools::ProcessedRecord record;
        if (tools::ParseProcessedLine(line, &record)) out.push_back(std::move(record));
      }
    }
    return out;
  }

  // Distinct records (by data) processed by all workers.
  size_t DistinctProcessed() {
    std::set<std::string> data;
    for (auto& [id, worker] : workers_) {
      for (const Processed& p : Parse(*worker)) data.insert(p.data);
    }
    return data.size();
  }

  size_t CountAll() {
    size_t total = 0;
    for (auto& [id, worker] : workers_) total += worker->Lines().size();
    return total;
  }

  nlohmann::json Leases() {
    CommandResult leases =
        RunEddy({"leases", "--application", "app", "--output", "json"}, broker_.address());
    nlohmann::json json = nlohmann::json::parse(leases.out, nullptr, false);
    return json.is_object() ? json["Leases"] : nlohmann::json::array();
  }

  // The lease table's checkpoints, by shard.
  std::map<std::string, std::string> LeaseCheckpoints() {
    std::map<std::string, std::string> checkpoints;
    for (const auto& lease : Leases()) {
      checkpoints[lease["LeaseKey"].get<std::string>()] = lease["Checkpoint"].get<std::string>();
    }
    return checkpoints;
  }

  // The lifecycle events a scripted worker printed ({"Event": `name`, …}).
  static std::vector<nlohmann::json> Events(const BackgroundProcess& worker,
                                            const std::string& name) {
    std::vector<nlohmann::json> events;
    for (const std::string& line : worker.Lines()) {
      nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() && json.value("Event", "") == name) events.push_back(json);
    }
    return events;
  }

  // Waits until every record `produced` (per key, as tools::Judge takes it) was processed
  // by some worker.
  bool WaitAllProcessed(const std::map<std::string, int64_t>& produced,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return WaitFor([&] { return tools::Judge(AllProcessed(), produced, {}).missing == 0; },
                   timeout);
  }

  // Judges every worker's output against `produced`: nothing missing, every key in order.
  void ExpectCompleteAndInOrder(const std::map<std::string, int64_t>& produced,
                                const std::set<std::string>& killed = {}) {
    const tools::Verdict verdict = tools::Judge(AllProcessed(), produced, killed);
    EXPECT_GT(verdict.produced, 0);
    EXPECT_EQ(verdict.missing, 0);
    EXPECT_EQ(verdict.order_violations, 0);
    EXPECT_EQ(verdict.unexpected, 0);
    for (const std::string& example : verdict.examples) ADD_FAILURE() << example;
  }

  std::map<std::string, int> LeaseOwners() {
    std::map<std::string, int> owners;
    for (const auto& lease : Leases()) ++owners[lease["LeaseOwner"].get<std::string>()];
    return owners;
  }

  // `eddy produce` on stream "s" over 16 keys (or `keys`), each call with fresh keys.
  CommandResult Produce(int count, const std::string& rate = "0", int keys = 16,
                        const std::vector<std::string>& extra = {}) {
    last_key_prefix_ = "k" + std::to_string(produced_batches_++) + "-";
    std::vector<std::string> args = {"produce",
                                     "--stream-name",
                                     "s",
                                     "--count",
                                     std::to_string(count),
                                     "--keys",
                                     std::to_string(keys),
                                     "--size",
                                     "64",
                                     "--rate",
                                     rate,
                                     "--key-prefix",
                                     last_key_prefix_};
    args.insert(args.end(), extra.begin(), extra.end());
    for (const auto& [key, n] : tools::ProducedPerKey(count, keys, last_key_prefix_)) {
      produced_[key] = n;
    }
    return RunEddy(args, broker_.address());
  }

  std::map<std::string, std::unique_ptr<BackgroundProcess>> workers_;
  int produced_batches_ = 0;
  std::string last_key_prefix_;
  std::map<std::string, int64_t> produced_;  // per key, over every Produce call
};

// A ConsumerTest run once per transport:
//   class MyTest : public TransportTest {};
//   TEST_P(MyTest, …) { … }
//   INSTANTIATE_TEST_SUITE_P(Transports, MyTest, AllTransports(), TransportName);
class TransportTest : public ConsumerTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    transport_ = GetParam();
    ConsumerTest::SetUp();
  }
};

inline auto AllTransports() { return ::testing::Values("grpc", "kinesis", "kinesis-h2"); }

inline std::string TransportName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

}  // namespace eddy::testing
