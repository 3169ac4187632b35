#pragma once
// Errors as AWS sends them on the Kinesis HTTP API: an HTTP status, the
// `x-amzn-ErrorType` header and a body `{"__type": <ExceptionName>, "message": …}` in the
// request's encoding — so that every SDK's error classes and retry rules behave as they do
// against AWS (throttling is 400 + ProvisionedThroughputExceededException or
// LimitExceededException, which the SDKs retry; InternalFailure is 500).

#include <string>

#include "absl/status/status.h"
#include "broker/http/document.h"

namespace eddy::broker::http {

inline constexpr absl::string_view kUnknownOperation = "UnknownOperationException";
inline constexpr absl::string_view kSerializationException = "SerializationException";
inline constexpr absl::string_view kServiceUnavailable = "ServiceUnavailable";

struct ErrorReply {
  int http_status = 400;
  std::string error_type;  // the exception name
  std::string message;
};

// The reply for a failed status: its Kinesis exception name (common/errors.h) and the
// HTTP status AWS pairs with it.
ErrorReply ErrorReplyOf(const absl::Status& status);

// The body of an error reply in `encoding`.
std::string ErrorBody(const ErrorReply& error, BodyEncoding encoding);

// A ValidationException for a required member that is absent, worded as AWS words it.
absl::Status MissingMember(absl::string_view member);

}  // namespace eddy::broker::http
