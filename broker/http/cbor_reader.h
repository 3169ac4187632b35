#pragma once
// A CBOR decoder into a Document, for request bodies. nlohmann's reader refuses the
// one-byte tags (0xc0–0xd7) — among them tag 1, which the Java SDK puts before every
// timestamp — so Eddy reads CBOR itself: every major type, definite and indefinite
// lengths (Jackson writes maps indefinite), tags skipped, half/single/double floats.
// Hostile input is bounded: nesting at most 64 deep, at most kMaxBodyValues values,
// lengths checked against the input.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/http/document.h"

namespace eddy::broker::http {

// The single CBOR value that is the whole of `bytes`; InvalidArgument naming the offset
// of the first problem otherwise (including trailing bytes); ResourceExhausted past
// kMaxBodyValues values.
absl::StatusOr<Document> ReadCbor(absl::string_view bytes);

}  // namespace eddy::broker::http
