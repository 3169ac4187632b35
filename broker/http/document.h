#pragma once
// Request and response bodies of the Kinesis HTTP API, in either encoding AWS uses:
// JSON 1.1 (`application/x-amz-json-1.1`: blobs base64 strings, timestamps epoch seconds
// with a fraction) or CBOR 1.1 (`application/x-amz-cbor-1.1`, the Java SDK's default:
// blobs CBOR byte strings, timestamps tag 1 + integer epoch milliseconds).
//
// A body is parsed into a Document (nlohmann::json; a CBOR byte string becomes a binary
// value, CBOR tags are dropped). Responses are built with the helpers below, which write
// blobs and timestamps as the encoding wants them, and serialized back in the request's
// encoding. Reading fields goes through FieldReader, which tells "absent" from "0" and
// turns a wrong type into AWS's SerializationException.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace eddy::broker::http {

using Document = nlohmann::json;
// Key/value pairs of a string map member (tags), in key order.
using StringPairs = std::vector<std::pair<std::string, std::string>>;

enum class BodyEncoding { kJson, kCbor };

inline constexpr absl::string_view kJsonContentType = "application/x-amz-json-1.1";
inline constexpr absl::string_view kCborContentType = "application/x-amz-cbor-1.1";

// The encoding a Content-Type names (parameters such as "; charset=utf-8" ignored), or
// nullopt for one the API does not speak.
std::optional<BodyEncoding> EncodingOfContentType(absl::string_view content_type);
absl::string_view ContentTypeOf(BodyEncoding encoding);

// A request body holds at most this many values (a PutRecords of 500 entries has about
// 2 000): a body of 16 MiB of empty arrays would otherwise become a parse tree of gigabytes.
inline constexpr size_t kMaxBodyValues = 100'000;

// Parses a request body; an empty body is an empty object (as AWS takes it). Anything
// but an object, bytes that do not parse, or more than kMaxBodyValues values is a
// SerializationException.
absl::StatusOr<Document> ParseBody(absl::string_view body, BodyEncoding encoding);
std::string SerializeBody(const Document& document, BodyEncoding encoding);

// Response values that differ between the encodings.
Document BlobValue(absl::string_view bytes, BodyEncoding encoding);
Document TimestampValue(int64_t epoch_millis, BodyEncoding encoding);

// Typed access to one request object's members. Each getter returns nullopt when the
// member is absent or JSON null, the value when it has the right type, and a
// SerializationException naming the member otherwise.
class FieldReader {
 public:
  FieldReader(const Document& object, BodyEncoding encoding)
      : object_(object), encoding_(encoding) {}

  absl::StatusOr<std::optional<std::string>> String(absl::string_view name) const;
  absl::StatusOr<std::optional<int64_t>> Integer(absl::string_view name) const;
  absl::StatusOr<std::optional<bool>> Boolean(absl::string_view name) const;
  // Base64 text (JSON) or a byte string (CBOR), decoded.
  absl::StatusOr<std::optional<std::string>> Blob(absl::string_view name) const;
  // Epoch seconds, fractions allowed (JSON), or epoch milliseconds (CBOR); as millis.
  absl::StatusOr<std::optional<int64_t>> TimestampMillis(absl::string_view name) const;
  // A nested object, or nullopt.
  absl::StatusOr<std::optional<FieldReader>> Object(absl::string_view name) const;
  // A list member's elements (empty when absent).
  absl::StatusOr<std::vector<const Document*>> List(absl::string_view name) const;
  absl::StatusOr<std::vector<std::string>> StringList(absl::string_view name) const;
  // A map of strings to strings (tags), as pairs in key order.
  absl::StatusOr<std::optional<StringPairs>> StringMap(absl::string_view name) const;

  // A reader of one element of List().
  FieldReader Element(const Document& element) const { return FieldReader(element, encoding_); }
  // Whether the member is present (and not null).
  bool Has(absl::string_view name) const { return Find(name) != nullptr; }
  BodyEncoding encoding() const { return encoding_; }

 private:
  const Document* Find(absl::string_view name) const;
  const Document& object_;
  BodyEncoding encoding_;
};

// A SerializationException naming `member` and what it should have been.
absl::Status WrongType(absl::string_view member, absl::string_view expected);

}  // namespace eddy::broker::http
