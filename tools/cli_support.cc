#include "tools/cli_support.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/errors.h"

namespace eddy::tools {

client::StreamClient& CliContext::Client() {
  if (client_ == nullptr) {
    client_ = std::make_unique<client::StreamClient>(client::StreamClientOptions{endpoint});
  }
  return *client_;
}

void AddStreamOptions(CLI::App* command, std::string* name, std::string* arn) {
  command->add_option("--stream-name", *name, "name of the stream");
  command->add_option("--stream-arn", *arn, "ARN of the stream (instead of its name)");
}

v1::StreamRef StreamRefOf(const std::string& name, const std::string& arn) {
  v1::StreamRef ref;
  ref.set_stream_name(name);
  ref.set_stream_arn(arn);
  return ref;
}

absl::StatusOr<v1::ShardIteratorType> ParseIteratorType(const std::string& name) {
  static const std::map<std::string, v1::ShardIteratorType> kTypes = {
      {"AT_SEQUENCE_NUMBER", v1::AT_SEQUENCE_NUMBER},
      {"AFTER_SEQUENCE_NUMBER", v1::AFTER_SEQUENCE_NUMBER},
      {"TRIM_HORIZON", v1::TRIM_HORIZON},
      {"LATEST", v1::LATEST},
      {"AT_TIMESTAMP", v1::AT_TIMESTAMP_ITERATOR}};
  auto type = kTypes.find(name);
  if (type == kTypes.end()) {
    return absl::InvalidArgumentError("Unknown shard iterator type '" + name + "'");
  }
  return type->second;
}

void PrintJson(const Json& value) { std::cout << value.dump(4) << std::endl; }

int ReportError(const absl::Status& status, const std::string& operation,
                const CliContext& context) {
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    const bool has_scheme = context.endpoint.find("://") != std::string::npos;
    std::cerr << "\nCould not connect to the endpoint URL: \"" << (has_scheme ? "" : "http://")
              << context.endpoint << "/\" ("
              << status.message() << ")" << std::endl;
    return kExitOtherError;
  }
  if (!common::HasErrorType(status)) {  // refused here, before any call: like aws, 252
    std::cerr << "\n" << status.message() << std::endl;
    return kExitUsage;
  }
  std::cerr << "\nAn error occurred (" << common::ErrorType(status) << ") when calling the "
            << operation << " operation: " << status.message() << std::endl;
  return kExitServiceError;
}

absl::StatusOr<std::string> MaybeReadFile(const std::string& value) {
  for (const char* scheme : {"file://", "fileb://"}) {
    if (absl::StartsWith(value, scheme)) {
      const std::string path = value.substr(std::string(scheme).size());
      std::ifstream in(path, std::ios::binary);
      if (!in) return absl::NotFoundError(absl::StrCat("Unable to load paramfile ", value));
      std::stringstream content;
      content << in.rdbuf();
      return content.str();
    }
  }
  return value;
}

absl::StatusOr<std::string> BlobArgument(const std::string& value, const CliContext& context) {
  if (absl::StartsWith(value, "fileb://")) return MaybeReadFile(value);
  absl::StatusOr<std::string> text = MaybeReadFile(value);
  if (!text.ok()) return text.status();
  if (context.cli_binary_format == "raw-in-base64-out") return *text;
  // Strict, as aws is: only the base64 alphabet, whole 4-character groups.
  const bool alphabet_only = std::all_of(text->begin(), text->end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
  });
  std::string decoded;
  if (!alphabet_only || text->size() % 4 != 0 || !absl::Base64Unescape(*text, &decoded)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid base64: \"", *text,
                     "\" (pass --cli-binary-format raw-in-base64-out for raw text)"));
  }
  return decoded;
}

std::string FormatTimestamp(int64_t millis) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", absl::FromUnixMillis(millis),
                          absl::UTCTimeZone());
}

absl::StatusOr<int64_t> ParseTimestamp(const std::string& text) {
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds) && std::isfinite(seconds)) {
    return static_cast<int64_t>(std::llround(seconds * 1000));
  }
  absl::Time time;
  std::string error;
  for (const char* format :
       {absl::RFC3339_full, "%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%d %H:%M:%E*S", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &time, &error)) {
      return absl::ToUnixMillis(time);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid timestamp '", text, "': use epoch seconds or ISO 8601"));
}

}  // namespace eddy::tools
