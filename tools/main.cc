// eddy: the command-line client of Eddy, shaped like `aws kinesis`.
//
//   eddy [--endpoint host:port | --endpoint-url URL] [--cli-binary-format base64|raw-in-base64-out] <command> …
//
// The endpoint defaults to $EDDY_ENDPOINT, then 127.0.0.1:4567. See docs/cli.md.
#include <cstdlib>
#include <iostream>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"eddy: command-line client of the Eddy stream service (like `aws kinesis`)"};
  app.require_subcommand(1);
  eddy::tools::CliContext context;
  const char* env_endpoint = std::getenv("EDDY_ENDPOINT");
  context.eddy_endpoint =
      env_endpoint != nullptr && *env_endpoint != '\0' ? env_endpoint : "127.0.0.1:4567";
  app.add_option("--endpoint,--endpoint-url", context.endpoint,
                 "broker address (default $EDDY_ENDPOINT or 127.0.0.1:4567); for `consume`, "
                 "also an http(s):// Kinesis endpoint");
  app.add_option("--cli-binary-format", context.cli_binary_format,
                 "how blob arguments are read: base64 (default) or raw-in-base64-out")
      ->check(CLI::IsMember({"base64", "raw-in-base64-out"}));
  app.fallthrough();  // global options may follow the sub-command, as with aws
  eddy::tools::AddStreamCommands(app, context);
  eddy::tools::AddRecordCommands(app, context);
  eddy::tools::AddProduceCommand(app, context);
  eddy::tools::AddConsumerCommands(app, context);
  eddy::tools::AddLeaseCommands(app, context);
  eddy::tools::AddConsumeCommand(app, context);
  eddy::tools::AddDemoCommand(app, context);
  try {
    app.parse(argc, argv);
    context.endpoint_given = !context.endpoint.empty();
    if (!context.endpoint_given) context.endpoint = context.eddy_endpoint;
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : eddy::tools::kExitUsage;
  }
  return context.run ? context.run() : eddy::tools::kExitUsage;
}
