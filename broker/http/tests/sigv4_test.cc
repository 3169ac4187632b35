#include "broker/http/sigv4.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace eddy::broker::http {
namespace {

TEST(SigV4Test, ParsesWhatTheSdksSend) {
  absl::StatusOr<SigV4Authorization> parsed = ParseSigV4Authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/kinesis/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
      "Signature=" + std::string(64, 'a'));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(parsed->region, "us-east-1");
  EXPECT_EQ(parsed->service, "kinesis");
  EXPECT_EQ(parsed->signed_headers.size(), 4u);
}

TEST(SigV4Test, RefusesMalformedHeaders) {
  for (const std::string& header :
       {std::string("Basic dXNlcjpwYXNz"), std::string("AWS4-HMAC-SHA256 "),
        "AWS4-HMAC-SHA256 Credential=AK/2026/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" + std::string(64, 'a'),
        std::string("AWS4-HMAC-SHA256 Credential=AK/20261202/us-east-1/kinesis/aws4_request, "
                    "SignedHeaders=host, Signature=xyz"),
        std::string("AWS4-HMAC-SHA256 Credential=AK/20261202/us-east-1/kinesis/aws4_request, "
                    "Signature=") + std::string(64, 'b')}) {
    absl::StatusOr<SigV4Authorization> parsed = ParseSigV4Authorization(header);
    EXPECT_FALSE(parsed.ok()) << header;
    EXPECT_EQ(common::ErrorType(parsed.status()), "IncompleteSignatureException") << header;
  }
}

}  // namespace
}  // namespace eddy::broker::http
