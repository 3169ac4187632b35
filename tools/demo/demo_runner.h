#pragma once
// `eddy demo`: the whole product in one run (docs/demo.md). Starts a broker, a 4-shard
// stream, a producer and three `eddy consume` workers; mid-run splits a shard, merges two
// others, SIGKILLs a worker and later starts a replacement; shows who processes what as it
// happens; ends with a verdict computed from what the processors saw.

#include <atomic>
#include <ostream>
#include <string>

namespace eddy::tools::demo {

struct DemoOptions {
  bool short_run = false;     // CI: the same steps, compressed into ~15 s
  std::string broker_binary;  // empty: next to this program, or ../broker/
  std::string work_dir;       // empty: a fresh temporary directory, removed afterwards
  std::string verdict_file;   // also write the verdict as JSON here
  std::string view = "auto";  // live | log | auto (live on a terminal)
};

// Exit codes.
inline constexpr int kDemoPassed = 0;
inline constexpr int kDemoVerdictFailed = 1;
inline constexpr int kDemoCouldNotRun = 2;
inline constexpr int kDemoInterrupted = 130;

// Runs the demo, printing to `out`; stops early when `interrupted` becomes true.
int RunDemo(const DemoOptions& options, std::ostream& out, const std::atomic<bool>& interrupted);

}  // namespace eddy::tools::demo
