#pragma once
// The StreamConnection of Eddy's own gRPC API (StreamClient underneath).

#include <memory>

#include "client/stream_client.h"
#include "client/stream_connection.h"

namespace eddy::client {

std::unique_ptr<StreamConnection> MakeGrpcStreamConnection(const StreamClientOptions& options);

}  // namespace eddy::client
