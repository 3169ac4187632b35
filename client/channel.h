#pragma once
// How every Eddy client reaches the broker: one channel per client object (its own TCP
// connection), large messages allowed, and one helper for unary calls with a deadline.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "proto/grpc_status.h"

namespace eddy::client {

// "host:port"; "http://" / "grpc://" / "dns:///" prefixes are dropped.
std::string NormalizeEndpoint(std::string endpoint);

// A channel of its own to `endpoint` (gRPC would otherwise share one connection among all
// channels to the same target).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& endpoint);

// One unary call on `stub` with a deadline; the status carries the broker's error name.
template <typename Stub, typename Method, typename Request, typename Response>
absl::StatusOr<Response> UnaryCall(Stub& stub, Method method, const Request& request,
                                   std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return proto::FromGrpcStatus(status, context);
  return response;
}

}  // namespace eddy::client
