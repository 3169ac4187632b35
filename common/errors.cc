#include "common/errors.h"

#include "absl/strings/cord.h"
#include "absl/types/optional.h"

namespace eddy::common {
namespace {

constexpr absl::string_view kPayloadUrl = "type.eddy.dev/error-type";

absl::StatusCode CodeFor(absl::string_view error_type) {
  if (error_type == kResourceNotFound) return absl::StatusCode::kNotFound;
  if (error_type == kResourceInUse) return absl::StatusCode::kFailedPrecondition;
  if (error_type == kExpiredIterator || error_type == kExpiredNextToken) {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (error_type == kLimitExceeded || error_type == kProvisionedThroughputExceeded) {
    return absl::StatusCode::kResourceExhausted;
  }
  if (error_type == kInternalFailure) return absl::StatusCode::kInternal;
  return absl::StatusCode::kInvalidArgument;
}

absl::string_view NameForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
      return kResourceNotFound;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return kResourceInUse;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kInvalidArgument;
    case absl::StatusCode::kResourceExhausted:
      return kLimitExceeded;
    default:
      return kInternalFailure;
  }
}

}  // namespace

absl::Status KinesisError(absl::string_view error_type, absl::string_view message) {
  return WithErrorType(absl::Status(CodeFor(error_type), message), error_type);
}

absl::Status WithErrorType(absl::Status status, absl::string_view error_type) {
  if (!status.ok() && !error_type.empty()) {
    status.SetPayload(kPayloadUrl, absl::Cord(error_type));
  }
  return status;
}

std::string ErrorType(const absl::Status& status) {
  if (status.ok()) return "";
  if (absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl)) {
    return std::string(*payload);
  }
  return std::string(NameForCode(status.code()));
}

bool HasErrorType(const absl::Status& status) { return status.GetPayload(kPayloadUrl).has_value(); }

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kAborted:
      return true;
    case absl::StatusCode::kResourceExhausted:
      // Throttling passes with time; a hard limit (too many shards) does not.
      return ErrorType(status) == kProvisionedThroughputExceeded;
    default:
      return false;
  }
}

}  // namespace eddy::common
