#pragma once
// The one place where absl::Status and grpc::Status are translated (STYLE.md §4, §6).
//
// On the wire an error is a gRPC status (code + message) plus the Kinesis exception name
// in the trailing metadata key "eddy-error-type".

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace eddy::proto {

inline constexpr char kErrorTypeTrailer[] = "eddy-error-type";

// Converts `status` for the wire and, when it is an error, attaches its exception name to
// the server context's trailing metadata. Call before finishing the RPC.
grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContextBase* context);

// Converts a status received by a client back, restoring the exception name from the
// trailing metadata of `context` (which must be the call's finished context).
absl::Status FromGrpcStatus(const grpc::Status& status, const grpc::ClientContext& context);

}  // namespace eddy::proto
