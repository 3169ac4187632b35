#include "client/aws_config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/errors.h"

namespace eddy::client {
namespace {

// Temporary credentials are renewed this long before they expire.
constexpr absl::Duration kRefreshAhead = absl::Minutes(5);

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string HomeFile(const EnvironmentLookup& environment, const char* variable,
                     const char* relative) {
  if (std::optional<std::string> set = environment(variable); set && !set->empty()) return *set;
  const std::string home = environment("HOME").value_or("");
  return absl::StrCat(home.empty() ? "" : home, "/", relative);
}

class StaticCredentials final : public CredentialsProvider {
 public:
  StaticCredentials(AwsCredentials credentials, std::string source)
      : credentials_(std::move(credentials)), source_(std::move(source)) {}
  absl::StatusOr<AwsCredentials> Get() override { return credentials_; }
  std::string DescribeForLog() const override { return source_; }

 private:
  const AwsCredentials credentials_;
  const std::string source_;
};

// credential_process: runs the command and reads its JSON; runs it again before expiry.
class ProcessCredentials final : public CredentialsProvider {
 public:
  ProcessCredentials(std::string command, std::string source)
      : command_(std::move(command)), source_(std::move(source)) {}

  absl::StatusOr<AwsCredentials> Get() override {
    absl::MutexLock lock(&mu_);
    if (cached_ && absl::Now() + kRefreshAhead < cached_->expiration) return *cached_;
    absl::StatusOr<AwsCredentials> fresh = Run();
    if (!fresh.ok()) {
      // Still valid for a while: keep using them and try again at the next call.
      if (cached_ && absl::Now() < cached_->expiration) return *cached_;
      return fresh.status();
    }
    cached_ = *fresh;
    return *fresh;
  }
  std::string DescribeForLog() const override { return source_; }

 private:
  absl::StatusOr<AwsCredentials> Run() {
    FILE* pipe = popen(command_.c_str(), "r");
    if (pipe == nullptr) return absl::UnavailableError("credential_process could not start");
    std::string output;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
    const int status = pclose(pipe);
    if (status != 0) {
      return absl::UnavailableError(
          absl::StrCat("credential_process exited with status ", status, " (", source_, ")"));
    }
    const nlohmann::json json = nlohmann::json::parse(output, nullptr, false);
    if (!json.is_object() || json.value("Version", 0) != 1 || !json.contains("AccessKeyId") ||
        !json.contains("SecretAccessKey")) {
      return absl::InvalidArgumentError(
          absl::StrCat("credential_process printed no Version 1 credentials (", source_, ")"));
    }
    AwsCredentials credentials;
    credentials.access_key_id = json.value("AccessKeyId", "");
    credentials.secret_access_key = json.value("SecretAccessKey", "");
    credentials.session_token = json.value("SessionToken", "");
    if (const std::string expiration = json.value("Expiration", ""); !expiration.empty()) {
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, expiration, &credentials.expiration, &error)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "credential_process printed an Expiration that is not RFC 3339 (", source_, ")"));
      }
    }
    return credentials;
  }

  const std::string command_;
  const std::string source_;
  absl::Mutex mu_;
  std::optional<AwsCredentials> cached_ ABSL_GUARDED_BY(mu_);
};

// Static keys of one INI section, if it has them.
std::optional<AwsCredentials> KeysOf(const std::map<std::string, std::string>& section) {
  auto id = section.find("aws_access_key_id");
  auto secret = section.find("aws_secret_access_key");
  if (id == section.end() || secret == section.end()) return std::nullopt;
  AwsCredentials credentials{id->second, secret->second, ""};
  if (auto token = section.find("aws_session_token"); token != section.end()) {
    credentials.session_token = token->second;
  }
  return credentials;
}

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

IniSections ParseAwsIni(const std::string& text) {
  IniSections sections;
  std::string current;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = std::string(absl::StripAsciiWhitespace(line.substr(1, line.size() - 2)));
      sections[current];
      continue;
    }
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos || current.empty()) continue;
    sections[current][absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, equals)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(equals + 1)));
  }
  return sections;
}

absl::StatusOr<AwsSettings> ResolveAwsSettings(const AwsClientOptions& options,
                                               const std::string& service,
                                               const EnvironmentLookup& environment) {
  const std::string profile =
      !options.profile.empty() ? options.profile : environment("AWS_PROFILE").value_or("default");
  const std::string credentials_path =
      HomeFile(environment, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  const std::string config_path = HomeFile(environment, "AWS_CONFIG_FILE", ".aws/config");
  const IniSections credentials_file = ParseAwsIni(ReadFile(credentials_path).value_or(""));
  const IniSections config_file = ParseAwsIni(ReadFile(config_path).value_or(""));
  const std::string config_section = profile == "default" ? "default" : "profile " + profile;
  static const std::map<std::string, std::string> kNone;
  auto section = [](const IniSections& file,
                    const std::string& name) -> const std::map<std::string, std::string>& {
    auto it = file.find(name);
    return it == file.end() ? kNone : it->second;
  };
  const auto& profile_credentials = section(credentials_file, profile);
  const auto& profile_config = section(config_file, config_section);

  AwsSettings settings;
  // Credentials.
  const std::optional<std::string> env_id = environment("AWS_ACCESS_KEY_ID");
  const std::optional<std::string> env_secret = environment("AWS_SECRET_ACCESS_KEY");
  if (options.profile.empty() && env_id && env_secret && !env_id->empty()) {
    settings.credentials = std::make_shared<StaticCredentials>(
        AwsCredentials{*env_id, *env_secret, environment("AWS_SESSION_TOKEN").value_or("")},
        "the environment (AWS_ACCESS_KEY_ID)");
  } else if (std::optional<AwsCredentials> keys = KeysOf(profile_credentials)) {
    settings.credentials = std::make_shared<StaticCredentials>(
        *keys, absl::StrCat("profile ", profile, " in ", credentials_path));
  } else if (std::optional<AwsCredentials> config_keys = KeysOf(profile_config)) {
    settings.credentials = std::make_shared<StaticCredentials>(
        *config_keys, absl::StrCat("profile ", profile, " in ", config_path));
  } else if (auto process = profile_config.find("credential_process");
             process != profile_config.end()) {
    settings.credentials = std::make_shared<ProcessCredentials>(
        process->second,
        absl::StrCat("credential_process of profile ", profile, " in ", config_path));
  } else {
    return common::InvalidArgument(absl::StrCat(
        "No AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile ",
        profile, " keys in ", credentials_path, " or ", config_path, "."));
  }

  // Endpoint.
  const std::string service_variable =
      absl::StrCat("AWS_ENDPOINT_URL_", absl::AsciiStrToUpper(service));
  for (const std::optional<std::string>& candidate :
       {std::optional<std::string>(options.endpoint_url), environment(service_variable),
        environment("AWS_ENDPOINT_URL")}) {
    if (candidate && !candidate->empty()) {
      settings.endpoint_url = *candidate;
      break;
    }
  }
  while (!settings.endpoint_url.empty() && settings.endpoint_url.back() == '/') {
    settings.endpoint_url.pop_back();
  }

  // Region.
  for (const std::optional<std::string>& candidate :
       {std::optional<std::string>(options.region), environment("AWS_REGION"),
        environment("AWS_DEFAULT_REGION")}) {
    if (candidate && !candidate->empty()) {
      settings.region = *candidate;
      break;
    }
  }
  if (settings.region.empty()) {
    if (auto region = profile_config.find("region"); region != profile_config.end()) {
      settings.region = region->second;
    }
  }
  if (settings.region.empty()) {
    if (settings.endpoint_url.empty()) {
      return common::InvalidArgument(
          absl::StrCat("No AWS region: set AWS_REGION or the region of profile ", profile, " in ",
                       config_path, ", or give an endpoint."));
    }
    settings.region = "us-east-1";
  }
  if (settings.endpoint_url.empty()) {
    settings.endpoint_url =
        absl::StrCat("https://", service, ".", settings.region, ".amazonaws.com");
  }
  return settings;
}

}  // namespace eddy::client
