#pragma once
// The StreamConnection a Config asks for: Eddy's gRPC API, or the Kinesis HTTP API with the
// AWS settings resolved as the SDKs do.

#include <memory>

#include "absl/status/statusor.h"
#include "client/stream_connection.h"
#include "kcl/config.h"

namespace eddy::kcl::internal {

// InvalidArgument when the Kinesis settings cannot be resolved (no region, no credentials,
// a malformed endpoint URL), naming what is missing.
absl::StatusOr<std::unique_ptr<client::StreamConnection>> OpenStreamConnection(
    const Config& config);

}  // namespace eddy::kcl::internal
