#pragma once
// Kinesis-style errors carried in absl::Status.
//
// Every error the broker returns has a gRPC-compatible code and a Kinesis exception name
// ("ResourceNotFoundException", …). The name rides in the status as a payload so that
// it survives module boundaries; proto/grpc_status.h moves it on and off the wire.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace eddy::common {

// The Kinesis exception names Eddy uses. Names, not codes, are what clients match on.
inline constexpr absl::string_view kResourceNotFound = "ResourceNotFoundException";
inline constexpr absl::string_view kResourceInUse = "ResourceInUseException";
inline constexpr absl::string_view kInvalidArgument = "InvalidArgumentException";
inline constexpr absl::string_view kValidation = "ValidationException";
inline constexpr absl::string_view kLimitExceeded = "LimitExceededException";
inline constexpr absl::string_view kProvisionedThroughputExceeded =
    "ProvisionedThroughputExceededException";
inline constexpr absl::string_view kExpiredIterator = "ExpiredIteratorException";
inline constexpr absl::string_view kExpiredNextToken = "ExpiredNextTokenException";
inline constexpr absl::string_view kInternalFailure = "InternalFailure";

// Builds a status of the given exception name; the absl code follows from the name
// (NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, RESOURCE_EXHAUSTED or INTERNAL).
absl::Status KinesisError(absl::string_view error_type, absl::string_view message);

inline absl::Status ResourceNotFound(absl::string_view m) {
  return KinesisError(kResourceNotFound, m);
}
inline absl::Status ResourceInUse(absl::string_view m) { return KinesisError(kResourceInUse, m); }
inline absl::Status InvalidArgument(absl::string_view m) {
  return KinesisError(kInvalidArgument, m);
}
inline absl::Status ValidationError(absl::string_view m) { return KinesisError(kValidation, m); }
inline absl::Status LimitExceeded(absl::string_view m) { return KinesisError(kLimitExceeded, m); }
inline absl::Status ThroughputExceeded(absl::string_view m) {
  return KinesisError(kProvisionedThroughputExceeded, m);
}
inline absl::Status ExpiredIterator(absl::string_view m) {
  return KinesisError(kExpiredIterator, m);
}
inline absl::Status ExpiredNextToken(absl::string_view m) {
  return KinesisError(kExpiredNextToken, m);
}
inline absl::Status InternalFailure(absl::string_view m) {
  return KinesisError(kInternalFailure, m);
}

// The exception name of `status`: its payload when set, otherwise a name derived from
// its code. Empty for OK.
std::string ErrorType(const absl::Status& status);

// Whether `status` carries an exception name (it came from the broker or was built with
// KinesisError), as opposed to a plain local error.
bool HasErrorType(const absl::Status& status);

// Returns `status` carrying `error_type` (used when a name arrives from the wire).
absl::Status WithErrorType(absl::Status status, absl::string_view error_type);

// The one retryable / fatal split: throttling, unavailability and internal failures are
// worth retrying with backoff; everything else will fail again the same way.
bool IsRetryable(const absl::Status& status);

}  // namespace eddy::common
