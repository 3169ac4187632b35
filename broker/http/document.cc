#include "broker/http/document.h"

#include <cmath>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/http/cbor_reader.h"
#include "common/base64.h"
#include "common/errors.h"
#include "common/json_reader.h"

namespace eddy::broker::http {
namespace {

// A timestamp inside a CBOR-bound document: a binary value of this subtype holding the
// 8 big-endian bytes of its epoch milliseconds (the CBOR writer turns it into tag 1).
constexpr uint64_t kTimestampSubtype = 1;
constexpr absl::string_view kSerialization = "SerializationException";

void PutHead(std::string* out, uint8_t major, uint64_t value) {
  const uint8_t m = static_cast<uint8_t>(major << 5);
  if (value < 24) {
    out->push_back(static_cast<char>(m | value));
    return;
  }
  int bytes = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffffULL ? 4 : 8;
  out->push_back(static_cast<char>(m | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27)));
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void PutInteger(std::string* out, int64_t value) {
  if (value >= 0) {
    PutHead(out, 0, static_cast<uint64_t>(value));
  } else {
    PutHead(out, 1, static_cast<uint64_t>(-(value + 1)));
  }
}

// CBOR as the Java SDK writes and reads it; nlohmann's writer cannot tag a number.
void WriteCbor(const Document& value, std::string* out) {
  switch (value.type()) {
    case Document::value_t::null:
    case Document::value_t::discarded:
      out->push_back(static_cast<char>(0xf6));
      return;
    case Document::value_t::boolean:
      out->push_back(static_cast<char>(value.get<bool>() ? 0xf5 : 0xf4));
      return;
    case Document::value_t::number_integer:
      PutInteger(out, value.get<int64_t>());
      return;
    case Document::value_t::number_unsigned:
      PutHead(out, 0, value.get<uint64_t>());
      return;
    case Document::value_t::number_float: {
      const double d = value.get<double>();
      uint64_t bits;
      static_assert(sizeof(bits) == sizeof(d));
      std::memcpy(&bits, &d, sizeof(bits));
      out->push_back(static_cast<char>(0xfb));
      for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(bits >> (8 * i)));
      return;
    }
    case Document::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      PutHead(out, 3, s.size());
      out->append(s);
      return;
    }
    case Document::value_t::binary: {
      const auto& b = value.get_binary();
      if (b.has_subtype() && b.subtype() == kTimestampSubtype && b.size() == 8) {
        uint64_t millis = 0;
        for (uint8_t byte : b) millis = millis << 8 | byte;
        PutHead(out, 6, 1);
        PutInteger(out, static_cast<int64_t>(millis));
        return;
      }
      PutHead(out, 2, b.size());
      out->append(reinterpret_cast<const char*>(b.data()), b.size());
      return;
    }
    case Document::value_t::array:
      PutHead(out, 4, value.size());
      for (const Document& element : value) WriteCbor(element, out);
      return;
    case Document::value_t::object:
      PutHead(out, 5, value.size());
      for (auto it = value.begin(); it != value.end(); ++it) {
        PutHead(out, 3, it.key().size());
        out->append(it.key());
        WriteCbor(it.value(), out);
      }
      return;
  }
}

absl::Status TooManyValues() {
  return common::KinesisError(
      kSerialization, absl::StrCat("The request body has more than ", kMaxBodyValues, " values."));
}

}  // namespace

absl::Status WrongType(absl::string_view member, absl::string_view expected) {
  return common::KinesisError(kSerialization,
                              absl::StrCat("Member '", member, "' must be ", expected, "."));
}

std::optional<BodyEncoding> EncodingOfContentType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  media = absl::StripAsciiWhitespace(media);
  if (absl::EqualsIgnoreCase(media, kJsonContentType) ||
      absl::EqualsIgnoreCase(media, "application/x-amz-json-1.0") ||
      absl::EqualsIgnoreCase(media, "application/json")) {
    return BodyEncoding::kJson;
  }
  if (absl::EqualsIgnoreCase(media, kCborContentType)) return BodyEncoding::kCbor;
  return std::nullopt;
}

absl::string_view ContentTypeOf(BodyEncoding encoding) {
  return encoding == BodyEncoding::kCbor ? kCborContentType : kJsonContentType;
}

absl::StatusOr<Document> ParseBody(absl::string_view body, BodyEncoding encoding) {
  if (body.empty()) return Document::object();
  absl::StatusOr<Document> parsed =
      encoding == BodyEncoding::kJson ? common::ReadJson(body, kMaxBodyValues) : ReadCbor(body);
  if (parsed.status().code() == absl::StatusCode::kResourceExhausted) return TooManyValues();
  if (!parsed.ok()) {
    return common::KinesisError(kSerialization,
                                encoding == BodyEncoding::kJson
                                    ? "The request body is not valid JSON."
                                    : "The request body is not valid CBOR.");
  }
  if (!parsed->is_object()) {
    return common::KinesisError(kSerialization, "The request body must be an object.");
  }
  return parsed;
}

std::string SerializeBody(const Document& document, BodyEncoding encoding) {
  if (encoding == BodyEncoding::kJson) {
    return document.dump(-1, ' ', false, Document::error_handler_t::replace);
  }
  std::string out;
  WriteCbor(document, &out);
  return out;
}

Document BlobValue(absl::string_view bytes, BodyEncoding encoding) {
  if (encoding == BodyEncoding::kJson) {
    std::string text;
    common::AppendBase64(bytes, &text);
    return text;
  }
  return Document::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Document TimestampValue(int64_t epoch_millis, BodyEncoding encoding) {
  if (encoding == BodyEncoding::kJson) return static_cast<double>(epoch_millis) / 1000.0;
  std::vector<uint8_t> bytes(8);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(static_cast<uint64_t>(epoch_millis) >> (8 * (7 - i)));
  }
  return Document::binary(std::move(bytes), kTimestampSubtype);
}

const Document* FieldReader::Find(absl::string_view name) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(std::string(name));
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::optional<std::string>> FieldReader::String(absl::string_view name) const {
  const Document* value = Find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) return WrongType(name, "a string");
  return value->get<std::string>();
}

absl::StatusOr<std::optional<int64_t>> FieldReader::Integer(absl::string_view name) const {
  const Document* value = Find(name);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_integer()) {
    if (value->is_number_unsigned() && value->get<uint64_t>() > INT64_MAX) {
      return WrongType(name, "an integer within 64 bits");
    }
    return value->get<int64_t>();
  }
  if (value->is_number_float()) {
    const double d = value->get<double>();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e18) {
      return static_cast<int64_t>(d);
    }
  }
  return WrongType(name, "an integer");
}

absl::StatusOr<std::optional<bool>> FieldReader::Boolean(absl::string_view name) const {
  const Document* value = Find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) return WrongType(name, "a boolean");
  return value->get<bool>();
}

absl::StatusOr<std::optional<std::string>> FieldReader::Blob(absl::string_view name) const {
  const Document* value = Find(name);
  if (value == nullptr) return std::nullopt;
  if (value->is_binary()) {
    const auto& bytes = value->get_binary();
    return std::string(bytes.begin(), bytes.end());
  }
  if (!value->is_string()) {
    return WrongType(name, encoding_ == BodyEncoding::kJson ? "a base64 string" : "a byte string");
  }
  std::optional<std::string> decoded = common::DecodeBase64(value->get_ref<const std::string&>());
  if (!decoded) return WrongType(name, "valid base64");
  return decoded;
}

absl::StatusOr<std::optional<int64_t>> FieldReader::TimestampMillis(absl::string_view name) const {
  const Document* value = Find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) return WrongType(name, "a timestamp (a number)");
  const double number = value->get<double>();
  if (!std::isfinite(number) || std::fabs(number) > 1.0e16) {
    return WrongType(name, "a timestamp within range");
  }
  if (encoding_ == BodyEncoding::kCbor) {
    if (value->is_number_integer()) return value->get<int64_t>();
    return static_cast<int64_t>(std::llround(number));
  }
  return static_cast<int64_t>(std::llround(number * 1000.0));
}

absl::StatusOr<std::optional<FieldReader>> FieldReader::Object(absl::string_view name) const {
  const Document* value = Find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_object()) return WrongType(name, "an object");
  return FieldReader(*value, encoding_);
}

absl::StatusOr<std::vector<const Document*>> FieldReader::List(absl::string_view name) const {
  std::vector<const Document*> out;
  const Document* value = Find(name);
  if (value == nullptr) return out;
  if (!value->is_array()) return WrongType(name, "a list");
  out.reserve(value->size());
  for (const Document& element : *value) out.push_back(&element);
  return out;
}

absl::StatusOr<std::vector<std::string>> FieldReader::StringList(absl::string_view name) const {
  absl::StatusOr<std::vector<const Document*>> list = List(name);
  if (!list.ok()) return list.status();
  std::vector<std::string> out;
  for (const Document* element : *list) {
    if (!element->is_string()) return WrongType(name, "a list of strings");
    out.push_back(element->get<std::string>());
  }
  return out;
}

absl::StatusOr<std::optional<StringPairs>> FieldReader::StringMap(absl::string_view name) const {
  const Document* value = Find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_object()) return WrongType(name, "a map of strings");
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = value->begin(); it != value->end(); ++it) {
    if (!it.value().is_string()) return WrongType(name, "a map of strings");
    out.emplace_back(it.key(), it.value().get<std::string>());
  }
  return out;
}

}  // namespace eddy::broker::http
