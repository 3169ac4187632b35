// The oracle must catch each broken promise: made-up runs, one fault each.
#include "tests/chaos/oracle.h"

#include <gtest/gtest.h>

#include "absl/strings/str_join.h"

namespace eddy::chaos {
namespace {

// A clean run: key "a" (0..3) on shard P, then its child C; worker w1 throughout.
RunRecord CleanRun() {
  RunRecord run;
  run.produced = {{"a", 4}};
  run.parents = {{"C", {"P"}}};
  run.tenures = {{"P", "w1", 100, "TRIM_HORIZON"}, {"C", "w1", 1000, "TRIM_HORIZON"}};
  run.processed = {{"a", 0, "P", "w1", 200, 210, "100", 0},
                   {"a", 1, "P", "w1", 300, 310, "200", 0},
                   {"a", 2, "C", "w1", 1100, 1110, "300", 0},
                   {"a", 3, "C", "w1", 1200, 1210, "400", 0}};
  run.leases = {{150, {{"P", "TRIM_HORIZON"}}},
                {400, {{"P", "SHARD_END"}, {"C", "TRIM_HORIZON"}}},
                {1300, {{"C", "4000"}}}};
  run.fencing_window_micros = 500;
  return run;
}

bool Mentions(const Judgement& judgement, const std::string& check) {
  for (const std::string& v : judgement.violations) {
    if (v.rfind(check, 0) == 0) return true;
  }
  return false;
}

TEST(OracleTest, ACleanRunPasses) {
  const Judgement judgement = JudgeRun(CleanRun());
  EXPECT_TRUE(judgement.ok()) << absl::StrJoin(judgement.violations, "\n");
  EXPECT_EQ(judgement.produced, 4);
}

TEST(OracleTest, ALostRecordIsCaught) {
  RunRecord run = CleanRun();
  run.processed.erase(run.processed.begin() + 2);
  EXPECT_TRUE(Mentions(JudgeRun(run), "lost"));
}

TEST(OracleTest, KeyOrderAndChildrenBeforeParentsAreCaught) {
  RunRecord run = CleanRun();
  run.processed[2].processed_at_micros = 250;  // a#2 (child) before a#1 (parent)
  const Judgement judgement = JudgeRun(run);
  EXPECT_TRUE(Mentions(judgement, "order"));
  EXPECT_TRUE(Mentions(judgement, "child before parent"));
}

TEST(OracleTest, AGrandchildBeforeItsGrandparentIsCaughtThroughAnEmptyMiddleShard) {
  RunRecord run = CleanRun();
  run.parents = {{"M", {"P"}}, {"G", {"M", "Q"}}};                   // M had no records of its own
  run.processed.push_back({"b", 0, "G", "w2", 250, 260, "500", 0});  // before P's a#1
  run.produced["b"] = 1;
  EXPECT_TRUE(Mentions(JudgeRun(run), "child before parent"));
}

TEST(OracleTest, ATakeoverIgnoredBeyondTheFencingWindowIsCaught) {
  RunRecord run = CleanRun();
  run.tenures.push_back({"P", "w2", 250, "TRIM_HORIZON"});
  run.processed[1].batch_start_micros = 900;  // w1 goes on 650 us after w2 took P over
  EXPECT_TRUE(Mentions(JudgeRun(run), "two owners"));
  // The same, when w1 spent that time frozen: it could not have known.
  run.frozen["w1"] = {{260, 800}};
  EXPECT_FALSE(Mentions(JudgeRun(run), "two owners"));
}

TEST(OracleTest, ACheckpointGoingBackIsCaught) {
  RunRecord run = CleanRun();
  run.leases.push_back({1400, {{"C", "TRIM_HORIZON"}}});  // a finished lease reborn
  EXPECT_TRUE(Mentions(JudgeRun(run), "checkpoint went back"));
}

TEST(OracleTest, RecordsRevivedBelowAnOwnershipsStartingCheckpointAreCaught) {
  RunRecord run = CleanRun();
  run.tenures.push_back({"P", "w2", 250, "150"});  // w2 took P over after checkpoint 150...
  run.processed.push_back({"a", 0, "P", "w2", 260, 270, "100", 0});  // ...and got a#0 again
  EXPECT_TRUE(Mentions(JudgeRun(run), "revived"));
  run.processed.back() = {"a", 1, "P", "w2", 260, 270, "200", 0};  // after it: a duplicate
  EXPECT_FALSE(Mentions(JudgeRun(run), "revived"));
}

TEST(OracleTest, RecordsBeforeTheStartMustNotBeProcessed) {
  RunRecord run = CleanRun();
  run.forbidden_keys = {"old"};
  run.processed.push_back({"old", 0, "P", "w1", 220, 230, "150", 0});
  EXPECT_TRUE(Mentions(JudgeRun(run), "out of scope"));
  run.forbidden_keys.clear();
  run.ignored_keys = {"old"};
  EXPECT_TRUE(JudgeRun(run).ok()) << "ignored keys are neither required nor forbidden";
}

}  // namespace
}  // namespace eddy::chaos
