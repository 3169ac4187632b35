#include "broker/http/aws_errors.h"

#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace eddy::broker::http {

ErrorReply ErrorReplyOf(const absl::Status& status) {
  ErrorReply reply;
  reply.message = std::string(status.message());
  if (status.code() == absl::StatusCode::kUnavailable) {
    reply.http_status = 503;
    reply.error_type = std::string(kServiceUnavailable);
    return reply;
  }
  reply.error_type = common::ErrorType(status);
  reply.http_status = reply.error_type == common::kInternalFailure ? 500 : 400;
  return reply;
}

std::string ErrorBody(const ErrorReply& error, BodyEncoding encoding) {
  Document body = {{"__type", error.error_type}, {"message", error.message}};
  return SerializeBody(body, encoding);
}

absl::Status MissingMember(absl::string_view member) {
  return common::ValidationError(absl::StrCat("1 validation error detected: Value null at '",
                                              member,
                                              "' failed to satisfy constraint: Member must not be "
                                              "null"));
}

}  // namespace eddy::broker::http
