#pragma once
// A JSON (RFC 8259) decoder into an nlohmann::json, for the Kinesis API's bodies: the
// broker's requests and the Kinesis transport's answers. nlohmann's parser reads a
// string one character at a time through a token buffer — a third of the broker's time on
// a PutRecords of 500 (700 KB, nearly all base64 strings). This one scans strings in runs
// and copies each once, ASCII checked eight bytes at a time. Same results as nlohmann's
// strict parse: integers as int64 / uint64 (others as double), duplicate keys keep the
// last value, strings must be valid UTF-8 (escapes and surrogate pairs decoded), nothing
// but whitespace after the value. Hostile input is bounded: nesting at most 64 deep, at most
// `max_values` values.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace eddy::common {

// The single JSON value that is the whole of `text`; InvalidArgument naming the offset of
// the first problem otherwise; ResourceExhausted past `max_values` values.
absl::StatusOr<nlohmann::json> ReadJson(absl::string_view text, size_t max_values);

}  // namespace eddy::common
