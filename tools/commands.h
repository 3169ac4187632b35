#pragma once
// Registration of the `eddy` sub-commands, one function per family.

#include <CLI/CLI.hpp>

#include "tools/cli_support.h"

namespace eddy::tools {

void AddStreamCommands(CLI::App& app, CliContext& context);
void AddRecordCommands(CLI::App& app, CliContext& context);
void AddProduceCommand(CLI::App& app, CliContext& context);
void AddConsumerCommands(CLI::App& app, CliContext& context);
void AddLeaseCommands(CLI::App& app, CliContext& context);
void AddConsumeCommand(CLI::App& app, CliContext& context);
void AddDemoCommand(CLI::App& app, CliContext& context);

}  // namespace eddy::tools
