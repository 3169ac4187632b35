// ResolveAwsSettings: the credential, region and endpoint chains of the AWS SDKs, read from
// an injected environment and real files in a temporary HOME.
#include "client/aws_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/errors.h"
#include "common/testing/temp_dir.h"

namespace eddy::client {
namespace {

class AwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_["HOME"] = home_.path();
    std::filesystem::create_directories(home_.path() + "/.aws");
  }

  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(home_.path() + "/" + relative) << text;
  }

  absl::StatusOr<AwsSettings> Resolve(const AwsClientOptions& options = {},
                                      const std::string& service = "kinesis") {
    return ResolveAwsSettings(options, service,
                              [this](const std::string& name) -> std::optional<std::string> {
                                auto it = env_.find(name);
                                if (it == env_.end()) return std::nullopt;
                                return it->second;
                              });
  }

  static AwsCredentials KeysOf(const absl::StatusOr<AwsSettings>& settings) {
    EXPECT_TRUE(settings.ok()) << settings.status();
    if (!settings.ok()) return {};
    absl::StatusOr<AwsCredentials> credentials = settings->credentials->Get();
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return credentials.ok() ? *credentials : AwsCredentials{};
  }

  common::testing::TempDir home_;
  std::map<std::string, std::string> env_;
};

TEST_F(AwsConfigTest, EnvironmentCredentialsComeFirst) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  env_["AWS_SESSION_TOKEN"] = "env-token";
  env_["AWS_REGION"] = "eu-west-1";
  Write(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n");
  absl::StatusOr<AwsSettings> settings = Resolve();
  const AwsCredentials keys = KeysOf(settings);
  EXPECT_EQ(keys.access_key_id, "AKIDENV");
  EXPECT_EQ(keys.secret_access_key, "env-secret");
  EXPECT_EQ(keys.session_token, "env-token");
  EXPECT_EQ(settings->region, "eu-west-1");
  EXPECT_EQ(settings->endpoint_url, "https://kinesis.eu-west-1.amazonaws.com");
}

TEST_F(AwsConfigTest, ANamedProfileWinsOverTheEnvironmentAsWithTheCli) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  Write(".aws/credentials",
        "# comment\n[default]\naws_access_key_id=AKIDDEFAULT\naws_secret_access_key=d\n\n"
        "[dev]\n  AWS_Access_Key_Id = AKIDDEV \naws_secret_access_key = dev-secret\n"
        "aws_session_token = dev-token\n");
  Write(".aws/config", "[profile dev]\nregion = ap-south-1\n");
  absl::StatusOr<AwsSettings> settings = Resolve({"dev", "", ""});
  const AwsCredentials keys = KeysOf(settings);
  EXPECT_EQ(keys.access_key_id, "AKIDDEV");
  EXPECT_EQ(keys.secret_access_key, "dev-secret");
  EXPECT_EQ(keys.session_token, "dev-token");
  EXPECT_EQ(settings->region, "ap-south-1");
}

TEST_F(AwsConfigTest, AwsProfileChoosesTheProfileAndTheConfigFileMayHoldTheKeys) {
  env_["AWS_PROFILE"] = "ops";
  env_["AWS_CONFIG_FILE"] = home_.path() + "/elsewhere.ini";
  Write("elsewhere.ini",
        "[default]\nregion = us-west-2\n[profile ops]\naws_access_key_id = AKIDOPS\n"
        "aws_secret_access_key = ops-secret\nregion = ca-central-1\n");
  absl::StatusOr<AwsSettings> settings = Resolve();
  EXPECT_EQ(KeysOf(settings).access_key_id, "AKIDOPS");
  EXPECT_EQ(settings->region, "ca-central-1");
  EXPECT_TRUE(absl::StrContains(settings->credentials->DescribeForLog(), "ops"));
}

TEST_F(AwsConfigTest, TheLogDescriptionNamesTheSourceNeverTheSecret) {
  env_["AWS_SHARED_CREDENTIALS_FILE"] = home_.path() + "/creds";
  env_["AWS_REGION"] = "us-east-2";
  Write("creds", "[default]\naws_access_key_id = AKIDX\naws_secret_access_key = s3cr3t-value\n");
  absl::StatusOr<AwsSettings> settings = Resolve();
  ASSERT_TRUE(settings.ok()) << settings.status();
  const std::string described = settings->credentials->DescribeForLog();
  EXPECT_TRUE(absl::StrContains(described, home_.path() + "/creds")) << described;
  EXPECT_FALSE(absl::StrContains(described, "s3cr3t")) << described;
  EXPECT_FALSE(absl::StrContains(described, "AKIDX")) << described;
}

TEST_F(AwsConfigTest, RegionAndEndpointFollowTheirChains) {
  env_["AWS_ACCESS_KEY_ID"] = "a";
  env_["AWS_SECRET_ACCESS_KEY"] = "b";
  env_["AWS_DEFAULT_REGION"] = "sa-east-1";
  env_["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1111";
  env_["AWS_ENDPOINT_URL_KINESIS"] = "http://127.0.0.1:2222/";
  absl::StatusOr<AwsSettings> settings = Resolve();
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->region, "sa-east-1");
  EXPECT_EQ(settings->endpoint_url, "http://127.0.0.1:2222") << "the trailing / is dropped";

  // The service variable names the service; another service falls back to AWS_ENDPOINT_URL.
  settings = Resolve({}, "dynamodb");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->endpoint_url, "http://127.0.0.1:1111");

  env_["AWS_REGION"] = "eu-north-1";  // over AWS_DEFAULT_REGION
  settings = Resolve({"", "", "https://example.test:9443"});
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->region, "eu-north-1");
  EXPECT_EQ(settings->endpoint_url, "https://example.test:9443");

  settings = Resolve({"", "me-south-1", ""});  // the option over every variable
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->region, "me-south-1");
}

TEST_F(AwsConfigTest, WithoutARegionALocalEndpointGetsUsEast1AndAwsGetsAnError) {
  env_["AWS_ACCESS_KEY_ID"] = "a";
  env_["AWS_SECRET_ACCESS_KEY"] = "b";
  absl::StatusOr<AwsSettings> settings = Resolve();
  ASSERT_FALSE(settings.ok());
  EXPECT_EQ(common::ErrorType(settings.status()), common::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(settings.status().message(), "No AWS region"))
      << settings.status();

  settings = Resolve({"", "", "http://127.0.0.1:4568"});
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->region, "us-east-1");
}

TEST_F(AwsConfigTest, NoCredentialsAnywhereIsAClearError) {
  env_["AWS_REGION"] = "us-east-1";
  absl::StatusOr<AwsSettings> settings = Resolve();
  ASSERT_FALSE(settings.ok());
  EXPECT_TRUE(absl::StrContains(settings.status().message(), "No AWS credentials"))
      << settings.status();
  EXPECT_TRUE(absl::StrContains(settings.status().message(), ".aws/credentials"))
      << settings.status();
}

// A credential_process script that counts its runs in `counter` and prints credentials
// expiring `expires_in` from now.
std::string CredentialScript(const std::string& dir, absl::Duration expires_in) {
  const std::string path = dir + "/credentials.sh";
  const std::string expiration =
      absl::FormatTime(absl::RFC3339_sec, absl::Now() + expires_in, absl::UTCTimeZone());
  std::ofstream(path) << "#!/bin/sh\necho run >> " << dir << "/runs\n"
                      << "n=$(wc -l < " << dir << "/runs)\n"
                      << "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC'$n'\", "
                      << "\"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"tok\", "
                      << "\"Expiration\": \"" << expiration << "\"}'\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

TEST_F(AwsConfigTest, CredentialProcessIsRunOnceWhileItsCredentialsLast) {
  env_["AWS_REGION"] = "us-east-1";
  Write(".aws/config", "[default]\ncredential_process = " +
                           CredentialScript(home_.path(), absl::Hours(1)) + "\n");
  absl::StatusOr<AwsSettings> settings = Resolve();
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(KeysOf(settings).access_key_id, "AKIDPROC1");
  EXPECT_EQ(KeysOf(settings).access_key_id, "AKIDPROC1") << "ran again while still valid";
  EXPECT_EQ(KeysOf(settings).session_token, "tok");
}

TEST_F(AwsConfigTest, CredentialProcessRunsAgainWhenExpiryIsNear) {
  env_["AWS_REGION"] = "us-east-1";
  // Within the five minutes before expiry: every use asks for fresh credentials.
  Write(".aws/config", "[default]\ncredential_process = " +
                           CredentialScript(home_.path(), absl::Minutes(2)) + "\n");
  absl::StatusOr<AwsSettings> settings = Resolve();
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(KeysOf(settings).access_key_id, "AKIDPROC1");
  EXPECT_EQ(KeysOf(settings).access_key_id, "AKIDPROC2");
}

TEST_F(AwsConfigTest, AFailingCredentialProcessIsAnErrorNamingItsSource) {
  env_["AWS_REGION"] = "us-east-1";
  Write(".aws/config", "[default]\ncredential_process = /bin/false\n");
  absl::StatusOr<AwsSettings> settings = Resolve();
  ASSERT_TRUE(settings.ok()) << settings.status();
  absl::StatusOr<AwsCredentials> credentials = settings->credentials->Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_TRUE(absl::StrContains(credentials.status().message(), "credential_process"))
      << credentials.status();
}

TEST(ParseAwsIniTest, SectionsKeysAndComments) {
  const IniSections sections = ParseAwsIni(
      "; top comment\n[default]\nRegion = us-east-1\n\n[profile a b]\n# c\nkey=va=lue\n"
      "orphan\n  [x]  \nk = v \n");
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections.at("default").at("region"), "us-east-1");
  EXPECT_EQ(sections.at("profile a b").at("key"), "va=lue");
  EXPECT_EQ(sections.at("x").at("k"), "v");
}

}  // namespace
}  // namespace eddy::client
