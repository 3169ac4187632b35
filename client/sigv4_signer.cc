#include "client/sigv4_signer.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace eddy::client {
namespace {

std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

// A header value as SigV4 canonicalizes it: outer whitespace trimmed, inner runs of spaces
// collapsed to one.
std::string CanonicalValue(absl::string_view value) {
  std::string out;
  bool space = false;
  for (char c : absl::StripAsciiWhitespace(value)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string HexSha256(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string CanonicalRequest(const SigningRequest& request, std::string* signed_headers) {
  // Names lower-cased and sorted; a header sent twice is one line, values joined by ','.
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    std::string key = absl::AsciiStrToLower(name);
    if (key == ":authority") key = "host";
    headers[key].push_back(CanonicalValue(value));
  }
  std::string lines;
  std::vector<std::string> names;
  for (const auto& [name, values] : headers) {
    absl::StrAppend(&lines, name, ":", absl::StrJoin(values, ","), "\n");
    names.push_back(name);
  }
  *signed_headers = absl::StrJoin(names, ";");
  // The query's parameters sorted (they arrive encoded, as sent).
  std::vector<std::string> parameters;
  if (!request.query.empty()) parameters = absl::StrSplit(request.query, '&');
  for (std::string& p : parameters) {
    if (p.find('=') == std::string::npos) p += "=";
  }
  std::sort(parameters.begin(), parameters.end());
  return absl::StrCat(request.method, "\n", request.path.empty() ? "/" : request.path, "\n",
                      absl::StrJoin(parameters, "&"), "\n", lines, "\n", *signed_headers, "\n",
                      HexSha256(request.payload));
}

std::string StringToSign(absl::string_view amz_date, absl::string_view scope,
                         absl::string_view canonical_request) {
  return absl::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n",
                      HexSha256(canonical_request));
}

HttpHeaders SignRequest(const SigningRequest& request, const AwsCredentials& credentials,
                        const std::string& region, const std::string& service, absl::Time now) {
  const std::string amz_date = absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  const std::string date = amz_date.substr(0, 8);
  HttpHeaders added = {{"X-Amz-Date", amz_date}};
  if (!credentials.session_token.empty()) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  SigningRequest signing = request;
  signing.headers.insert(signing.headers.end(), added.begin(), added.end());
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(signing, &signed_headers);
  const std::string scope = absl::StrCat(date, "/", region, "/", service, "/aws4_request");
  const std::string key = Hmac(
      Hmac(Hmac(Hmac(absl::StrCat("AWS4", credentials.secret_access_key), date), region), service),
      "aws4_request");
  const std::string signature =
      absl::BytesToHexString(Hmac(key, StringToSign(amz_date, scope, canonical)));
  added.emplace_back(
      "Authorization",
      absl::StrCat("AWS4-HMAC-SHA256 Credential=", credentials.access_key_id, "/", scope,
                   ", SignedHeaders=", signed_headers, ", Signature=", signature));
  return added;
}

}  // namespace eddy::client
