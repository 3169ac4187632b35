// The chaos harness's short run in the suite: every fixed regression scenario (each
// reproduces a way records were once lost, reordered or revived) and a few random seeds.
// A failure prints the schedule, the violations and the command that replays it.
#include <gtest/gtest.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/chaos/runner.h"
#include "tests/integration/process_harness.h"

namespace eddy::chaos {
namespace {

class ChaosTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(ChaosTest, EveryPromiseHolds) {
  const Scenario& scenario = GetParam();
  RunOptions options;
  options.broker_binary = testing::BrokerBinary();
  options.worker_binary = testing::ScriptedWorkerBinary();
  options.work_dir = absl::StrCat("/tmp/eddy-chaos-test-", getpid(), "-", scenario.seed);
  const RunResult result = RunScenario(scenario, options);
  EXPECT_TRUE(result.error.empty()) << result.error;
  EXPECT_GT(result.judgement.produced, 0);
  EXPECT_TRUE(result.judgement.ok())
      << scenario.Describe() << "\nviolations:\n  "
      << absl::StrJoin(result.judgement.violations, "\n  ") << "\nwhat happened:\n  "
      << absl::StrJoin(result.log, "\n  ") << "\nfiles: " << options.work_dir << "\nreplay: "
      << ReplayCommand(testing::SourceDirectory() + "/build/tests/chaos/eddy-chaos", scenario);
}

INSTANTIATE_TEST_SUITE_P(Regressions, ChaosTest, ::testing::ValuesIn(RegressionScenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           std::string name = info.param.name.empty()
                                                  ? absl::StrCat("random_", info.param.seed)
                                                  : info.param.name;
                           for (char& c : name) c = std::isalnum(c) ? c : '_';
                           return absl::StrCat("seed", info.param.seed, "_", name);
                         });

}  // namespace
}  // namespace eddy::chaos
