#pragma once
// Lease records and checkpoint positions on the wire (coordinator.proto) and back: the one
// translation used by the broker's CoordinatorService and the remote clients.

#include "absl/status/statusor.h"
#include "eddy/v1/coordinator.pb.h"
#include "lease/lease.h"

namespace eddy::client {

v1::LeaseRecord LeaseToWire(const lease::Lease& lease);
// InvalidArgument for malformed positions or hash keys.
absl::StatusOr<lease::Lease> LeaseFromWire(const v1::LeaseRecord& record);

}  // namespace eddy::client
