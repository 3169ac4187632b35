#pragma once
// MD5, for what Kinesis defines with it: partition-key hashing and the KPL aggregate
// checksum. Not for security.

#include <string>

#include "absl/strings/string_view.h"

namespace eddy::common {

// The 16-byte digest.
std::string Md5(absl::string_view bytes);

}  // namespace eddy::common
