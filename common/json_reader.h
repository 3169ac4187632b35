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

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace eddy::common {

// The single JSON value that is the whole of `text`; InvalidArgument naming the offset of
// the first problem otherwise; ResourceExhausted past `max_values` values.
absl::StatusOr<nlohmann::json> ReadJson(absl::string_view text, size_t max_values);

// A member of an element visited by ReadJsonVisitingArray. `name` and `string` view the
// text (or, where the string had escapes, a decoded copy); both are valid only during the
// visitor's call.
struct JsonField {
  enum class Kind { kString, kNumber, kOther };  // kOther: an object, array, bool or null
  absl::string_view name;
  Kind kind = Kind::kOther;
  absl::string_view string;  // kString
  double number = 0;         // kNumber
};
using JsonElementVisitor = absl::FunctionRef<absl::Status(absl::Span<const JsonField>)>;

// ReadJson for an answer that is mostly one array of flat objects (GetRecords' and
// SubscribeToShard's `Records`): the top-level object's member `array_name`, when it is an
// array, is not built into the document; each element reaches `visit` as its members in
// text order (an element that is not an object as none), and the first error `visit`
// returns ends the read with that error. A document per record was most of a Kinesis
// worker's parse time. The member appearing twice is an error (its elements would be
// visited twice). Same checks and bounds as ReadJson otherwise.
absl::StatusOr<nlohmann::json> ReadJsonVisitingArray(absl::string_view text, size_t max_values,
                                                     absl::string_view array_name,
                                                     JsonElementVisitor visit);

}  // namespace eddy::common
