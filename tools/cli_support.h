#pragma once
// What every `eddy` sub-command shares: the endpoint, blob decoding as `aws` does it,
// timestamps, JSON printing and error reporting with aws-style exit codes.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "client/stream_client.h"

namespace eddy::tools {

using Json = nlohmann::ordered_json;

// Exit codes of the AWS CLI: 252 bad command line, 254 the service refused, 255 anything
// else (cannot connect, I/O).
inline constexpr int kExitUsage = 252;
inline constexpr int kExitServiceError = 254;
inline constexpr int kExitOtherError = 255;

struct CliContext {
  // --endpoint / --endpoint-url when given (endpoint_given), else eddy_endpoint.
  std::string endpoint;
  bool endpoint_given = false;
  // $EDDY_ENDPOINT, else 127.0.0.1:4567: the broker (and its coordinator) when none is named.
  std::string eddy_endpoint;
  // "base64" (aws v2 default: blob arguments are base64) or "raw-in-base64-out".
  std::string cli_binary_format = "base64";
  // The sub-command chosen; returns the exit code.
  std::function<int()> run;

  client::StreamClient& Client();

 private:
  std::unique_ptr<client::StreamClient> client_;
};

// Adds --stream-name and --stream-arn to `command`, bound to `name` and `arn`.
void AddStreamOptions(CLI::App* command, std::string* name, std::string* arn);

// The stream reference of --stream-name / --stream-arn.
v1::StreamRef StreamRefOf(const std::string& name, const std::string& arn);

// The wire value of a shard iterator type name ("TRIM_HORIZON", "AT_TIMESTAMP", …);
// InvalidArgument for anything else.
absl::StatusOr<v1::ShardIteratorType> ParseIteratorType(const std::string& name);

// Prints `value` as aws does (4-space indentation) to stdout.
void PrintJson(const Json& value);

// Reports a failure the way aws does and returns the exit code: a broker's refusal (the
// status has an exception name) → 254; unreachable → 255; refused locally → 252.
int ReportError(const absl::Status& status, const std::string& operation,
                const CliContext& context);

// Decodes a blob argument per --cli-binary-format; `file://` / `fileb://` read a file.
absl::StatusOr<std::string> BlobArgument(const std::string& value, const CliContext& context);

// "2024-05-01T10:00:00.123000+00:00", as aws v2 prints timestamps.
std::string FormatTimestamp(int64_t millis);

// Epoch seconds (fractions allowed) or ISO 8601 (RFC 3339), as aws accepts them.
absl::StatusOr<int64_t> ParseTimestamp(const std::string& text);

// Reads `file://path` arguments; returns other values unchanged.
absl::StatusOr<std::string> MaybeReadFile(const std::string& value);

}  // namespace eddy::tools
