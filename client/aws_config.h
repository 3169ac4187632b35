#pragma once
// Where an AWS client gets its settings, in the order the AWS SDKs and the aws CLI look:
//
// Credentials
//   1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), unless a profile was
//      named explicitly (AwsClientOptions::profile);
//   2. the profile (AwsClientOptions::profile, else AWS_PROFILE, else "default") in the shared
//      credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials): its
//      aws_access_key_id / aws_secret_access_key / aws_session_token;
//   3. the same profile in the config file (AWS_CONFIG_FILE, else ~/.aws/config; sections
//      "[profile NAME]", and "[default]"): static keys, or `credential_process` — a command
//      printing {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
//      "Expiration"}, run again five minutes before the expiration it gave.
// Region: AwsClientOptions::region, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`;
//   with none, us-east-1 when an endpoint is given (local emulators ignore it), else an error.
// Endpoint: AwsClientOptions::endpoint_url, AWS_ENDPOINT_URL_<SERVICE> (KINESIS, DYNAMODB),
//   AWS_ENDPOINT_URL, else https://<service>.<region>.amazonaws.com.
//
// Secrets are never logged; DescribeForLog says where credentials came from, not what they are.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/sigv4_signer.h"

namespace eddy::client {

struct AwsClientOptions {
  std::string profile;       // "" = AWS_PROFILE or "default"
  std::string region;        // "" = from the environment or the profile
  std::string endpoint_url;  // "" = from the environment, else AWS's
};

// Reads an environment variable (tests inject their own).
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvironmentLookup ProcessEnvironment();

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Credentials valid for at least a few minutes more (refreshed as needed); thread-safe.
  virtual absl::StatusOr<AwsCredentials> Get() = 0;
  // "environment", "profile dev in /root/.aws/credentials", …
  virtual std::string DescribeForLog() const = 0;
};

struct AwsSettings {
  std::string region;
  std::string endpoint_url;  // scheme://host[:port]
  std::shared_ptr<CredentialsProvider> credentials;
};

// `service` is the endpoint's service name: "kinesis", "dynamodb".
absl::StatusOr<AwsSettings> ResolveAwsSettings(const AwsClientOptions& options,
                                               const std::string& service,
                                               const EnvironmentLookup& environment);

// The sections of an AWS INI file (credentials or config): section → key → value. Keys are
// lower-cased; "[profile dev]" stays as written (the caller knows which file it read).
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections ParseAwsIni(const std::string& text);

}  // namespace eddy::client
