#pragma once
// The stored form of a Lease (docs/coordination.md): a version byte, then every field in
// order — varint integers, varint-length-prefixed strings, 16-byte big-endian hash keys.

#include <string>

#include "absl/status/statusor.h"
#include "lease/lease.h"

namespace eddy::lease {

std::string EncodeLease(const Lease& lease);

// InternalFailure if `bytes` is not a lease this code wrote.
absl::StatusOr<Lease> DecodeLease(absl::string_view bytes);

}  // namespace eddy::lease
