#pragma once
// Signature Version 4 request signing, as the AWS SDKs sign a request to a JSON-protocol
// service (Kinesis, DynamoDB): the canonical request over the method, path, query, the
// headers chosen for signing and the payload's SHA-256; the string to sign; the key derived
// from the secret through date, region and service. Checked against botocore's signer.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace eddy::client {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only
  // When temporary credentials stop working; InfiniteFuture for long-term keys.
  absl::Time expiration = absl::InfiniteFuture();
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct SigningRequest {
  std::string method = "POST";
  std::string path = "/";  // already URI-encoded, as sent
  std::string query;       // "a=1&b=2" as sent, or empty
  // Every header to sign, `host` (or HTTP/2's `:authority`, signed as `host`) included.
  // Names in any case; values as sent.
  HttpHeaders headers;
  absl::string_view payload;
};

// The headers to add to the request: X-Amz-Date, X-Amz-Security-Token (with a session
// token) and Authorization. Both added X-Amz headers are signed.
HttpHeaders SignRequest(const SigningRequest& request, const AwsCredentials& credentials,
                        const std::string& region, const std::string& service, absl::Time now);

// The pieces, for tests and for a verifier: lower-case hex SHA-256, the canonical request,
// the string to sign.
std::string HexSha256(absl::string_view bytes);
std::string CanonicalRequest(const SigningRequest& request, std::string* signed_headers);
std::string StringToSign(absl::string_view amz_date, absl::string_view scope,
                         absl::string_view canonical_request);

}  // namespace eddy::client
