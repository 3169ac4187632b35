// `eddy demo`: see tools/demo/demo_runner.h and docs/demo.md.
#include <atomic>
#include <iostream>

#include "tools/commands.h"
#include "tools/demo/demo_runner.h"
#include "tools/interrupt_watcher.h"

namespace eddy::tools {

void AddDemoCommand(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<demo::DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Run the end-to-end demo: broker, producer, three workers, split + merge, a killed "
      "worker and its replacement, then a verdict");
  cmd->add_flag("--short", options->short_run, "the same steps in ~15 s (for CI)");
  cmd->add_option("--broker-bin", options->broker_binary,
                  "eddy-broker to run (default: next to eddy, or ../broker/)");
  cmd->add_option("--work-dir", options->work_dir,
                  "keep the broker data and process logs here (default: a temporary "
                  "directory, removed unless the demo fails)");
  cmd->add_option("--verdict-file", options->verdict_file, "also write the verdict as JSON");
  cmd->add_option("--view", options->view, "live (redrawn), log (lines), auto")
      ->check(CLI::IsMember({"live", "log", "auto"}))
      ->capture_default_str();
  cmd->callback([&context, options] {
    context.run = [options]() -> int {
      std::atomic<bool> interrupted{false};
      InterruptWatcher watcher([&] { interrupted = true; });
      return demo::RunDemo(*options, std::cout, interrupted);
    };
  });
}

}  // namespace eddy::tools
