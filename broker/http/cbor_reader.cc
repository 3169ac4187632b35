#include "broker/http/cbor_reader.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace eddy::broker::http {
namespace {

constexpr int kMaxDepth = 64;
constexpr uint8_t kBreak = 0xff;

class Reader {
 public:
  explicit Reader(absl::string_view bytes) : bytes_(bytes) {}

  absl::StatusOr<Document> ReadAll() {
    absl::StatusOr<Document> value = Value(0);
    if (!value.ok()) return value;
    if (at_ != bytes_.size()) return Error("trailing bytes after the value");
    return value;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("CBOR at byte ", at_, ": ", what));
  }

  bool Byte(uint8_t* out) {
    if (at_ >= bytes_.size()) return false;
    *out = static_cast<uint8_t>(bytes_[at_++]);
    return true;
  }

  // The argument of an initial byte with additional info `info`; `indefinite` for 31.
  absl::Status Argument(uint8_t info, uint64_t* value, bool* indefinite) {
    *indefinite = false;
    if (info < 24) {
      *value = info;
      return absl::OkStatus();
    }
    if (info == 31) {
      *indefinite = true;
      return absl::OkStatus();
    }
    if (info > 27) return Error("reserved additional information");
    const int length = 1 << (info - 24);
    if (bytes_.size() - at_ < static_cast<size_t>(length)) return Error("truncated");
    uint64_t v = 0;
    for (int i = 0; i < length; ++i) v = v << 8 | static_cast<uint8_t>(bytes_[at_++]);
    *value = v;
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Chunks(uint8_t major, uint64_t length, bool indefinite) {
    if (!indefinite) {
      if (length > bytes_.size() - at_) return Error("string longer than the input");
      std::string out(bytes_.substr(at_, length));
      at_ += length;
      return out;
    }
    std::string out;
    for (;;) {
      uint8_t head;
      if (!Byte(&head)) return Error("truncated");
      if (head == kBreak) return out;
      if ((head >> 5) != major) return Error("chunk of another type inside a string");
      uint64_t chunk = 0;
      bool nested;
      if (absl::Status s = Argument(head & 0x1f, &chunk, &nested); !s.ok()) return s;
      if (nested) return Error("nested indefinite string");
      if (chunk > bytes_.size() - at_) return Error("string longer than the input");
      out.append(bytes_.data() + at_, chunk);
      at_ += chunk;
    }
  }

  absl::StatusOr<Document> Value(int depth) {
    if (depth > kMaxDepth) return Error("nested too deep");
    if (++values_ > kMaxBodyValues) {
      return absl::ResourceExhaustedError(absl::StrCat("more than ", kMaxBodyValues, " values"));
    }
    uint8_t head;
    if (!Byte(&head)) return Error("truncated");
    const uint8_t major = head >> 5;
    const uint8_t info = head & 0x1f;
    if (major == 7) return Simple(info);
    uint64_t argument = 0;
    bool indefinite = false;
    if (absl::Status s = Argument(info, &argument, &indefinite); !s.ok()) return s;
    if (indefinite && major < 2) return Error("indefinite length on an integer");
    if (indefinite && major == 6) return Error("indefinite length on a tag");
    switch (major) {
      case 0:
        return Document(argument);
      case 1:
        if (argument > static_cast<uint64_t>(INT64_MAX)) return Error("negative integer too large");
        return Document(-1 - static_cast<int64_t>(argument));
      case 2: {
        absl::StatusOr<std::string> bytes = Chunks(2, argument, indefinite);
        if (!bytes.ok()) return bytes.status();
        return Document::binary(std::vector<uint8_t>(bytes->begin(), bytes->end()));
      }
      case 3: {
        absl::StatusOr<std::string> text = Chunks(3, argument, indefinite);
        if (!text.ok()) return text.status();
        return Document(std::move(*text));
      }
      case 4: {
        Document out = Document::array();
        for (uint64_t i = 0; indefinite || i < argument; ++i) {
          if (indefinite && Peek() == kBreak) {
            ++at_;
            break;
          }
          if (!indefinite && at_ >= bytes_.size()) return Error("truncated");
          absl::StatusOr<Document> element = Value(depth + 1);
          if (!element.ok()) return element;
          out.push_back(std::move(*element));
        }
        return out;
      }
      case 5: {
        Document out = Document::object();
        for (uint64_t i = 0; indefinite || i < argument; ++i) {
          if (indefinite && Peek() == kBreak) {
            ++at_;
            break;
          }
          if (!indefinite && at_ >= bytes_.size()) return Error("truncated");
          absl::StatusOr<Document> key = Value(depth + 1);
          if (!key.ok()) return key;
          if (!key->is_string()) return Error("map key is not a text string");
          absl::StatusOr<Document> value = Value(depth + 1);
          if (!value.ok()) return value;
          out[key->get<std::string>()] = std::move(*value);
        }
        return out;
      }
      default:  // 6: a tag — its meaning (tag 1: epoch time) is the member's to know
        return Value(depth + 1);
    }
  }

  int Peek() const { return at_ < bytes_.size() ? static_cast<uint8_t>(bytes_[at_]) : -1; }

  absl::StatusOr<Document> Simple(uint8_t info) {
    switch (info) {
      case 20: return Document(false);
      case 21: return Document(true);
      case 22:
      case 23: return Document(nullptr);
      case 25: {  // half float
        uint64_t bits = 0;
        bool unused;
        if (absl::Status s = Argument(info, &bits, &unused); !s.ok()) return s;
        const int exponent = (bits >> 10) & 0x1f;
        const int mantissa = bits & 0x3ff;
        double value = exponent == 0    ? std::ldexp(mantissa, -24)
                       : exponent != 31 ? std::ldexp(mantissa + 1024, exponent - 25)
                       : mantissa == 0  ? INFINITY
                                        : NAN;
        return Document((bits & 0x8000) ? -value : value);
      }
      case 26: {
        uint64_t bits = 0;
        bool unused;
        if (absl::Status s = Argument(info, &bits, &unused); !s.ok()) return s;
        const uint32_t b32 = static_cast<uint32_t>(bits);
        float f;
        std::memcpy(&f, &b32, sizeof(f));
        return Document(static_cast<double>(f));
      }
      case 27: {
        uint64_t bits = 0;
        bool unused;
        if (absl::Status s = Argument(info, &bits, &unused); !s.ok()) return s;
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        return Document(d);
      }
      default:
        return Error(info == 31 ? "unexpected break" : "unsupported simple value");
    }
  }

  absl::string_view bytes_;
  size_t at_ = 0;
  size_t values_ = 0;  // read so far, nested ones included
};

}  // namespace

absl::StatusOr<Document> ReadCbor(absl::string_view bytes) { return Reader(bytes).ReadAll(); }

}  // namespace eddy::broker::http
