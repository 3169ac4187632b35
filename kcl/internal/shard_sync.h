#pragma once
// Shard sync: makes sure every shard of the stream has a lease in the application's table.
// A shard whose parent is still listed starts at TRIM_HORIZON (it follows its parent); a
// root shard starts at the configured initial position. Idempotent (create-if-absent).

#include <string>

#include "absl/status/status.h"
#include "client/stream_client.h"
#include "kcl/config.h"
#include "lease/lease_table.h"

namespace eddy::kcl::internal {

// Returns how many leases it created.
absl::StatusOr<int> SyncShards(client::StreamClient& client, const Config& config,
                               lease::LeaseTable& leases);

}  // namespace eddy::kcl::internal
