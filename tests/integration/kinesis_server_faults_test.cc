// A worker reading over the Kinesis API from a server that misbehaves: a proxy
// (kinesis_fault_proxy.py) in front of the broker's Kinesis endpoint damages subscriptions —
// a wrong message CRC, a wrong prelude CRC, a truncated event, a connection dropped inside an
// event, an unknown event type, an exception mid-stream, an HTTP 500 instead of the
// subscription. The worker must resubscribe from the last record it delivered each time: no
// record missing, none out of order, none processed twice (nothing else fails, so no batch is
// in flight twice), and say in its log why it resubscribed.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/consumer_fixture.h"

namespace eddy::testing {
namespace {

constexpr char kFaults[] =
    "message-crc,prelude-crc,truncated,dropped,unknown-event,exception,http500";
constexpr int kFaultCount = 7;

class KinesisServerFaultTest : public ConsumerTest {
 protected:
  void SetUp() override {
    transport_ = "kinesis";
    ConsumerTest::SetUp();
    const std::string port_file = dir_.path() + "/proxy-port";
    proxy_.Start("/usr/bin/python3",
                 {SourceDirectory() + "/tests/integration/kinesis_fault_proxy.py",
                  broker_.kinesis_address(), port_file, kFaults},
                 {}, dir_.path() + "/proxy.out");
    std::string port;
    ASSERT_TRUE(WaitFor(
        [&] {
          std::ifstream in(port_file);
          return static_cast<bool>(in >> port);
        },
        std::chrono::seconds(20)))
        << "the fault proxy did not start: " << proxy_.Err();
    kinesis_url_ = "http://127.0.0.1:" + port;
  }

  // The faults the proxy has applied, by name.
  std::multiset<std::string> AppliedFaults() {
    std::multiset<std::string> faults;
    for (const std::string& line : proxy_.Lines()) {
      nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() && json.contains("Fault")) faults.insert(json["Fault"]);
    }
    return faults;
  }

  BackgroundProcess proxy_;
};

TEST_F(KinesisServerFaultTest, EveryDamagedSubscriptionResumesAfterTheLastDeliveredRecord) {
  CreateStream("s", 2);
  StartWorker("w1", 10000);
  // Records keep coming until every fault has had a subscription to damage (bounded).
  for (int round = 0; round < 60 && AppliedFaults().size() < kFaultCount; ++round) {
    CommandResult produced = Produce(200, "400");
    ASSERT_EQ(produced.exit_code, 0) << produced.err;
  }
  const std::multiset<std::string> applied = AppliedFaults();
  EXPECT_EQ(applied.size(), static_cast<size_t>(kFaultCount))
      << "faults applied: " << proxy_.Lines().size() << "\n" << proxy_.Err();

  ASSERT_TRUE(WaitAllProcessed(produced_, std::chrono::seconds(60))) << workers_["w1"]->Err();
  const tools::Verdict verdict = tools::Judge(AllProcessed(), produced_, {});
  EXPECT_EQ(verdict.missing, 0);
  EXPECT_EQ(verdict.order_violations, 0);
  EXPECT_EQ(verdict.unexpected, 0);
  EXPECT_EQ(verdict.duplicates, 0);
  for (const std::string& example : verdict.examples) ADD_FAILURE() << example;

  // Why each subscription was given up is in the log.
  const std::string log = workers_["w1"]->Err();
  for (const char* why : {"event-stream message CRC mismatch", "event-stream prelude CRC mismatch",
                          "the stream ended inside a message", "HTTP 200 InternalFailure",
                          "HTTP 500 InternalFailure"}) {
    EXPECT_NE(log.find(why), std::string::npos) << "no \"" << why << "\" in the log:\n" << log;
  }
  // A resubscription per damaging fault, at least (the unknown event is skipped, not a
  // failure; a resubscription the broker refuses while it has not yet seen the old
  // connection go adds a ResourceInUse one).
  size_t resubscriptions = 0;
  for (size_t at = 0; (at = log.find("subscription failed, resubscribing", at)) != std::string::npos;
       ++at) {
    ++resubscriptions;
  }
  EXPECT_GE(resubscriptions, static_cast<size_t>(kFaultCount - 1)) << log;
}

}  // namespace
}  // namespace eddy::testing
