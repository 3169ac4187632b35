// The signer against AWS's published SigV4 test-suite vectors (AKIDEXAMPLE, 20150830T123600Z,
// us-east-1, service "service"). tests/kinesis_api/sigv4_botocore_test.py compares it with
// botocore's signer on Kinesis-shaped requests.
#include "client/sigv4_signer.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace eddy::client {
namespace {

const AwsCredentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const absl::Time kWhen =
    absl::FromCivil(absl::CivilSecond(2015, 8, 30, 12, 36, 0), absl::UTCTimeZone());

std::string Authorization(const SigningRequest& request, const AwsCredentials& credentials) {
  for (const auto& [name, value] :
       SignRequest(request, credentials, "us-east-1", "service", kWhen)) {
    if (name == "Authorization") return value;
  }
  return "";
}

std::string SignatureOf(const std::string& authorization) {
  const size_t at = authorization.find("Signature=");
  return at == std::string::npos ? "" : authorization.substr(at + 10);
}

SigningRequest Vanilla(const std::string& method, const std::string& query = "") {
  SigningRequest request;
  request.method = method;
  request.query = query;
  request.headers = {{"Host", "example.amazonaws.com"}};
  return request;
}

TEST(SigV4SignerTest, GetVanilla) {
  EXPECT_EQ(Authorization(Vanilla("GET"), kExample),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4SignerTest, GetVanillaQueryOrderKeyCase) {
  EXPECT_EQ(SignatureOf(Authorization(Vanilla("GET", "Param2=value2&Param1=value1"), kExample)),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4SignerTest, PostVanillaAndPostVanillaQuery) {
  EXPECT_EQ(SignatureOf(Authorization(Vanilla("POST"), kExample)),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  EXPECT_EQ(SignatureOf(Authorization(Vanilla("POST", "Param1=value1"), kExample)),
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
}

TEST(SigV4SignerTest, HeaderNameCaseAndHttp2AuthorityDoNotChangeTheSignature) {
  SigningRequest authority = Vanilla("POST");
  authority.headers = {{":authority", "example.amazonaws.com"}};
  SigningRequest upper = Vanilla("POST");
  upper.headers = {{"HOST", "  example.amazonaws.com "}};
  const std::string expected = "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b";
  EXPECT_EQ(SignatureOf(Authorization(authority, kExample)), expected);
  EXPECT_EQ(SignatureOf(Authorization(upper, kExample)), expected);
}

TEST(SigV4SignerTest, ASessionTokenIsSentAndSigned) {
  AwsCredentials temporary = kExample;
  temporary.session_token = "token-value";
  const HttpHeaders added = SignRequest(Vanilla("POST"), temporary, "us-east-1", "kinesis", kWhen);
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[0], (std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"}));
  EXPECT_EQ(added[1], (std::pair<std::string, std::string>{"X-Amz-Security-Token", "token-value"}));
  EXPECT_TRUE(
      absl::StrContains(added[2].second, "SignedHeaders=host;x-amz-date;x-amz-security-token,"));
  EXPECT_TRUE(absl::StrContains(added[2].second, "/20150830/us-east-1/kinesis/aws4_request"));
}

TEST(SigV4SignerTest, TheCanonicalRequestHashesThePayloadAndCollapsesSpaces) {
  SigningRequest request = Vanilla("POST");
  request.headers.emplace_back("X-Amz-Target", " Kinesis_20131202.PutRecord   now ");
  request.payload = "{}";
  std::string signed_headers;
  EXPECT_EQ(CanonicalRequest(request, &signed_headers),
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-target:Kinesis_20131202.PutRecord now\n"
            "\nhost;x-amz-target\n" +
                HexSha256("{}"));
  EXPECT_EQ(HexSha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace eddy::client
