#pragma once
// A JSON (RFC 8259) decoder into a Document, for request bodies. nlohmann's parser reads a
// string one character at a time through a token buffer — a third of the broker's time on
// a PutRecords of 500 (700 KB, nearly all base64 strings). This one scans strings in runs
// and copies each once, ASCII checked eight bytes at a time. Same results as nlohmann's
// strict parse: integers as int64 / uint64 (others as double), duplicate keys keep the
// last value, strings must be valid UTF-8 (escapes and surrogate pairs decoded), nothing
// but whitespace after the value. Hostile input is bounded: nesting at most 64 deep, at most
// kMaxBodyValues values.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/http/document.h"

namespace eddy::broker::http {

// The single JSON value that is the whole of `text`; InvalidArgument naming the offset of
// the first problem otherwise; ResourceExhausted past kMaxBodyValues values.
absl::StatusOr<Document> ReadJson(absl::string_view text);

}  // namespace eddy::broker::http
