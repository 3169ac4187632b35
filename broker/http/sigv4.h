#pragma once
// The `Authorization` header of AWS Signature Version 4, parsed strictly enough that a
// malformed one is refused cleanly (400 IncompleteSignatureException). Eddy accepts any
// well-formed signature for now, as the emulators do; verification comes with the
// security work.
//
//   AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/<service>/aws4_request,
//                    SignedHeaders=<h1;h2;…>, Signature=<64 hex digits>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::broker::http {

struct SigV4Authorization {
  std::string access_key_id;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;
  std::string signature;  // lower-case hex
};

// InvalidArgument (exception name IncompleteSignatureException) naming what is wrong.
absl::StatusOr<SigV4Authorization> ParseSigV4Authorization(absl::string_view header);

}  // namespace eddy::broker::http
