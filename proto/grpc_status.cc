#include "proto/grpc_status.h"

#include <string>

#include "common/errors.h"

namespace eddy::proto {

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContextBase* context) {
  if (status.ok()) return grpc::Status::OK;
  if (context != nullptr) {
    context->AddTrailingMetadata(kErrorTypeTrailer, common::ErrorType(status));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status, const grpc::ClientContext& context) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kErrorTypeTrailer);
  // Errors raised by gRPC itself (unreachable, message too large…) carry no trailer: they
  // get the name their code implies, so every remote error has one.
  const std::string error_type = it != trailers.end()
                                     ? std::string(it->second.data(), it->second.size())
                                     : common::ErrorType(converted);
  return common::WithErrorType(std::move(converted), error_type);
}

}  // namespace eddy::proto
