#pragma once
// Request validation shared by every operation: each failure is an InvalidArgument or
// ValidationException whose message names the field and the rule it broke.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace eddy::broker {

inline constexpr int kMinRetentionHours = 24;
inline constexpr int kMaxRetentionHours = 8760;
inline constexpr int kDefaultRetentionHours = 24;
inline constexpr int kMinRecordSizeKib = 1024;
inline constexpr int kMaxRecordSizeKib = 10240;
inline constexpr int kMaxPartitionKeyChars = 256;

// 1–128 characters of [a-zA-Z0-9_.-]; `field` names it in the error ("streamName").
absl::Status ValidateResourceName(absl::string_view field, absl::string_view name);
inline absl::Status ValidateStreamName(absl::string_view name) {
  return ValidateResourceName("streamName", name);
}

// Well-formed UTF-8: no overlong forms, surrogates or values past U+10FFFF.
bool IsValidUtf8(absl::string_view text);

// Valid UTF-8 of 1–256 Unicode characters.
absl::Status ValidatePartitionKey(absl::string_view key);

absl::Status ValidateRetentionHours(int hours);

// A start timestamp (`field`, epoch millis) where one is required: InvalidArgument when
// absent (0 — the gRPC API cannot tell it from the epoch itself) or before the epoch.
absl::Status ValidateRequiredTimestamp(absl::string_view field, absl::string_view required_with,
                                       int64_t millis);

// `value` within [min, max], else a ValidationException naming `field`.
absl::Status ValidateRange(absl::string_view field, int64_t value, int64_t min, int64_t max);

}  // namespace eddy::broker
