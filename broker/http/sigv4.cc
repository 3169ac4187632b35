#include "broker/http/sigv4.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/errors.h"

namespace eddy::broker::http {
namespace {

absl::Status Incomplete(absl::string_view what) {
  return common::KinesisError("IncompleteSignatureException",
                              absl::StrCat("Authorization header is malformed: ", what));
}

}  // namespace

absl::StatusOr<SigV4Authorization> ParseSigV4Authorization(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  if (!absl::ConsumePrefix(&header, "AWS4-HMAC-SHA256 ")) {
    return Incomplete("it must start with 'AWS4-HMAC-SHA256 '.");
  }
  SigV4Authorization out;
  bool have_credential = false, have_headers = false, have_signature = false;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "Credential=")) {
      std::vector<std::string> scope = absl::StrSplit(part, '/');
      if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 ||
          !std::all_of(scope[1].begin(), scope[1].end(), absl::ascii_isdigit) ||
          scope[2].empty() || scope[3].empty() || scope[4] != "aws4_request") {
        return Incomplete(
            "Credential must be <access key>/<yyyymmdd>/<region>/<service>/aws4_request.");
      }
      out.access_key_id = scope[0];
      out.date = scope[1];
      out.region = scope[2];
      out.service = scope[3];
      have_credential = true;
    } else if (absl::ConsumePrefix(&part, "SignedHeaders=")) {
      out.signed_headers = absl::StrSplit(part, ';');
      for (const std::string& name : out.signed_headers) {
        if (name.empty() || absl::AsciiStrToLower(name) != name) {
          return Incomplete("SignedHeaders must be lower-case names separated by ';'.");
        }
      }
      have_headers = true;
    } else if (absl::ConsumePrefix(&part, "Signature=")) {
      if (part.size() != 64 || !std::all_of(part.begin(), part.end(), [](char c) {
            return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
          })) {
        return Incomplete("Signature must be 64 lower-case hex digits.");
      }
      out.signature = std::string(part);
      have_signature = true;
    } else {
      return Incomplete(absl::StrCat("unexpected element '", part.substr(0, 40), "'."));
    }
  }
  if (!have_credential) return Incomplete("Credential is missing.");
  if (!have_headers) return Incomplete("SignedHeaders is missing.");
  if (!have_signature) return Incomplete("Signature is missing.");
  return out;
}

}  // namespace eddy::broker::http
