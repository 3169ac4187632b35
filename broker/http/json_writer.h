#pragma once
// Appends JSON text straight into a buffer, for the responses whose size is their records:
// SubscribeToShard events, GetRecords and PutRecords answers. Building a Document per record
// and dumping it (nlohmann escapes one character at a time) cost more than the rest of the
// call; this writes the same bytes SerializeBody would — same escapes, same number formats —
// in one pass.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace eddy::broker::http {

// `text` as a JSON string, quotes included, escaped as nlohmann escapes it (ensure_ascii off:
// UTF-8 passes through; \b \f \n \r \t \" \\ and \u00xx for other control characters).
// Text that is not valid UTF-8 (an error message quoting a path, say) is written as
// SerializeBody writes it, each ill-formed sequence replaced by U+FFFD.
void AppendJsonString(absl::string_view text, std::string* out);
// `bytes` as a JSON string of their base64 (standard alphabet, padded).
void AppendJsonBase64(absl::string_view bytes, std::string* out);
// Epoch milliseconds as JSON epoch seconds, as nlohmann prints the double millis / 1000:
// "1700000000.123", "1700000000.1", "1700000000.0".
void AppendJsonEpochSeconds(int64_t epoch_millis, std::string* out);

}  // namespace eddy::broker::http
