// Base64 as the Kinesis JSON API carries blobs: the standard alphabet, '=' padding. One
// pass each way, table-driven: with many consumers every record is encoded once per
// consumer, and a client reading GetRecords or SubscribeToShard decodes every record.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace eddy::common {

// Appends the padded base64 of `bytes` to `out`.
void AppendBase64(absl::string_view bytes, std::string* out);

// Base64 as AWS takes it: the standard alphabet, padding optional (but whole when present),
// nothing else — no whitespace, no URL-safe letters. Replaces `out`'s contents with the
// decoded bytes (reusing its capacity) and returns true, or returns false (`out` then holds
// unspecified bytes).
bool DecodeBase64Into(absl::string_view text, std::string* out);
// The same, into a new string; nullopt for text that is not base64.
std::optional<std::string> DecodeBase64(absl::string_view text);

}  // namespace eddy::common
