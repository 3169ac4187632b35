#include "broker/validation.h"

#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

// Number of code points in `text`, or -1 if it is not valid UTF-8.
int64_t CountUtf8CodePoints(absl::string_view text) {
  int64_t count = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code = 0;
    if (lead < 0x80) {
      length = 1;
      code = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
    } else {
      return -1;
    }
    if (i + length > text.size()) return -1;
    for (size_t j = 1; j < length; ++j) {
      const unsigned char next = static_cast<unsigned char>(text[i + j]);
      if ((next & 0xC0) != 0x80) return -1;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinForLength[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return -1;
    }
    i += length;
    ++count;
  }
  return count;
}

}  // namespace

absl::Status ValidateResourceName(absl::string_view field, absl::string_view name) {
  if (name.empty() || name.size() > 128) {
    return common::ValidationError(
        absl::StrCat("1 validation error detected: Value '", name.substr(0, 160), "' at '", field,
                     "' failed to satisfy constraint: Member must have length "
                     "between 1 and 128"));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      return common::ValidationError(
          absl::StrCat("1 validation error detected: Value '", name, "' at '", field,
                       "' failed to satisfy constraint: Member must satisfy "
                       "regular expression pattern: [a-zA-Z0-9_.-]+"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRequiredTimestamp(absl::string_view field, absl::string_view required_with,
                                       int64_t millis) {
  if (millis < 0) {
    return common::InvalidArgument(
        absl::StrCat(field, " ", millis, " ms lies before 1970-01-01T00:00:00Z."));
  }
  if (millis == 0) {
    return common::InvalidArgument(absl::StrCat(field, " is required with ", required_with, "."));
  }
  return absl::OkStatus();
}

bool IsValidUtf8(absl::string_view text) { return CountUtf8CodePoints(text) >= 0; }

absl::Status ValidatePartitionKey(absl::string_view key) {
  const int64_t chars = CountUtf8CodePoints(key);
  if (chars < 0) {
    return common::ValidationError(
        "1 validation error detected: Value at 'partitionKey' failed to satisfy constraint: "
        "Member must be valid UTF-8");
  }
  if (chars < 1 || chars > kMaxPartitionKeyChars) {
    return common::ValidationError(
        absl::StrCat("1 validation error detected: Value at 'partitionKey' failed to satisfy "
                     "constraint: Member must have length between 1 and 256 (got ",
                     chars, " characters)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRetentionHours(int hours) {
  if (hours < kMinRetentionHours || hours > kMaxRetentionHours) {
    return common::InvalidArgument(absl::StrCat("RetentionPeriodHours ", hours,
                                                " is outside the allowed range ",
                                                kMinRetentionHours, "…", kMaxRetentionHours, "."));
  }
  return absl::OkStatus();
}

absl::Status ValidateRange(absl::string_view field, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '", value, "' at '", field,
        "' failed to satisfy constraint: Member must have value between ", min, " and ", max));
  }
  return absl::OkStatus();
}

}  // namespace eddy::broker
