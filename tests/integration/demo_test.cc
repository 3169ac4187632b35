// The README's main job as a test: `eddy demo --short` runs every step (broker, producer,
// three workers, split, merge, SIGKILL, replacement) and its verdict must pass.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/testing/temp_dir.h"
#include "tests/integration/process_harness.h"

namespace eddy::testing {
namespace {

TEST(DemoTest, TheShortDemoRunsEveryStepAndItsVerdictPasses) {
  common::testing::TempDir dir;
  const std::string verdict_path = dir.path() + "/verdict.json";
  CommandResult demo = RunProgram(CliBinary(),
                                  {"demo", "--short", "--view", "log", "--broker-bin",
                                   BrokerBinary(), "--verdict-file", verdict_path},
                                  {}, std::chrono::seconds(150));
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  for (const char* step :
       {"split shard 0", "merged shards 2 + 3", "SIGKILL worker-", "started replacement worker-4",
        "created (child of 0)", "created (child of 2 + 3)", "PASS"}) {
    EXPECT_NE(demo.out.find(step), std::string::npos) << "missing step: " << step << "\n"
                                                      << demo.out;
  }
  std::ifstream in(verdict_path);
  nlohmann::json verdict = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(verdict.is_object());
  EXPECT_EQ(verdict["Missing"], 0);
  EXPECT_EQ(verdict["OrderViolations"], 0);
  EXPECT_EQ(verdict["Unexpected"], 0);
  EXPECT_EQ(verdict["Produced"], verdict["Expected"]);
  EXPECT_EQ(verdict["Distinct"], verdict["Expected"]);
  EXPECT_GT(verdict["Expected"].get<int64_t>(), 0);
  EXPECT_EQ(verdict["Processed"].get<int64_t>(),
            verdict["Distinct"].get<int64_t>() + verdict["Duplicates"].get<int64_t>());
  int64_t explained = 0;
  for (const auto& [reason, count] : verdict["DuplicateReasons"].items())
    explained += count.get<int64_t>();
  EXPECT_EQ(explained, verdict["Duplicates"].get<int64_t>()) << "every duplicate has a reason";
  EXPECT_EQ(verdict["KilledWorkers"].size(), 1u);
  EXPECT_EQ(verdict["Passed"], true);
}

}  // namespace
}  // namespace eddy::testing
