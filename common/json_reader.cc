#include "common/json_reader.h"

#include <charconv>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include "absl/strings/charconv.h"
#include "absl/strings/str_cat.h"

namespace eddy::common {
namespace {

using Document = nlohmann::json;

constexpr int kMaxDepth = 64;

class Reader {
 public:
  Reader(absl::string_view text, size_t max_values) : text_(text), max_values_(max_values) {}
  Reader(absl::string_view text, size_t max_values, absl::string_view array_name,
         JsonElementVisitor visit)
      : text_(text), max_values_(max_values), array_name_(array_name), visit_(visit) {}

  absl::StatusOr<Document> ReadAll() {
    // A UTF-8 byte order mark is skipped, as nlohmann::json (and AWS) accept it.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") at_ = 3;
    Document out;
    if (absl::Status s = Value(0, &out); !s.ok()) return s;
    SkipSpace();
    if (at_ != text_.size()) return Error("trailing characters after the value");
    return out;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("JSON at byte ", at_, ": ", what));
  }

  void SkipSpace() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      ++at_;
    }
  }

  absl::Status Value(int depth, Document* out) {
    if (depth > kMaxDepth) return Error("nested too deep");
    if (++values_ > max_values_) return TooMany();
    SkipSpace();
    if (at_ >= text_.size()) return Error("a value was expected");
    switch (text_[at_]) {
      case '{':
        return Object(depth, out);
      case '[':
        return Array(depth, out);
      case '"': {
        std::string s;
        if (absl::Status status = String(&s); !status.ok()) return status;
        *out = std::move(s);
        return absl::OkStatus();
      }
      case 't':
        return Literal("true", Document(true), out);
      case 'f':
        return Literal("false", Document(false), out);
      case 'n':
        return Literal("null", Document(nullptr), out);
      default:
        return Number(out);
    }
  }

  absl::Status Literal(absl::string_view word, Document value, Document* out) {
    if (text_.substr(at_, word.size()) != word) return Error("invalid literal");
    at_ += word.size();
    *out = std::move(value);
    return absl::OkStatus();
  }

  // The members of an object or the elements of an array, from its opening bracket to its
  // closing one: `each` reads one, then a ',' or the closing bracket must follow.
  template <typename Each>
  absl::Status Sequence(char close, absl::string_view what, Each each) {
    ++at_;  // the opening bracket
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == close) {
      ++at_;
      return absl::OkStatus();
    }
    for (;;) {
      SkipSpace();
      if (absl::Status s = each(); !s.ok()) return s;
      SkipSpace();
      if (at_ >= text_.size()) return Error(absl::StrCat("unterminated ", what));
      if (text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (text_[at_] == close) {
        ++at_;
        return absl::OkStatus();
      }
      return Error(absl::StrCat("',' or '", std::string(1, close), "' was expected"));
    }
  }

  // A member's name, read by `read_name`, and the ':' after it; then the start of its value.
  template <typename ReadName>
  absl::Status MemberName(ReadName read_name) {
    if (at_ >= text_.size() || text_[at_] != '"') return Error("a member name was expected");
    if (absl::Status s = read_name(); !s.ok()) return s;
    SkipSpace();
    if (at_ >= text_.size() || text_[at_] != ':') return Error("':' was expected");
    ++at_;
    SkipSpace();
    return absl::OkStatus();
  }

  absl::Status Object(int depth, Document* out) {
    *out = Document::object();
    return Sequence('}', "object", [&]() -> absl::Status {
      std::string key;
      if (absl::Status s = MemberName([&] { return String(&key); }); !s.ok()) return s;
      if (depth == 0 && visit_.has_value() && key == array_name_ && at_ < text_.size() &&
          text_[at_] == '[') {
        if (visited_) return Error(absl::StrCat("member \"", key, "\" appears twice"));
        visited_ = true;
        return VisitArray(depth + 1);
      }
      Document value;
      if (absl::Status s = Value(depth + 1, &value); !s.ok()) return s;
      (*out)[key] = std::move(value);  // a repeated name keeps the last value
      return absl::OkStatus();
    });
  }

  absl::Status Array(int depth, Document* out) {
    *out = Document::array();
    return Sequence(']', "array", [&]() -> absl::Status {
      Document element;
      if (absl::Status s = Value(depth + 1, &element); !s.ok()) return s;
      out->push_back(std::move(element));
      return absl::OkStatus();
    });
  }

  // The visited array: each element's members to the visitor, no document built.
  absl::Status VisitArray(int depth) {
    if (depth > kMaxDepth) return Error("nested too deep");
    if (++values_ > max_values_) return TooMany();
    return Sequence(']', "array", [&]() -> absl::Status {
      fields_.clear();
      scratch_.clear();
      if (at_ < text_.size() && text_[at_] == '{') {
        if (absl::Status s = FlatObject(depth + 1); !s.ok()) return s;
      } else {
        Document ignored;  // not an object: visited as one without members
        if (absl::Status s = Value(depth + 1, &ignored); !s.ok()) return s;
      }
      return (*visit_)(fields_);
    });
  }

  // An element of the visited array, its members into fields_.
  absl::Status FlatObject(int depth) {
    if (depth > kMaxDepth) return Error("nested too deep");
    if (++values_ > max_values_) return TooMany();
    return Sequence('}', "object", [&]() -> absl::Status {
      JsonField field;
      if (absl::Status s = MemberName([&] { return StringView(&field.name); }); !s.ok()) {
        return s;
      }
      if (at_ < text_.size() && text_[at_] == '"') {
        if (++values_ > max_values_) return TooMany();
        field.kind = JsonField::Kind::kString;
        if (absl::Status s = StringView(&field.string); !s.ok()) return s;
      } else {
        Document value;
        if (absl::Status s = Value(depth + 1, &value); !s.ok()) return s;
        if (value.is_number()) {
          field.kind = JsonField::Kind::kNumber;
          field.number = value.get<double>();
        }
      }
      fields_.push_back(field);
      return absl::OkStatus();
    });
  }

  // A string as a view: of the text when it has no escape or non-ASCII byte (the common
  // case, no copy), else of its decoded copy in scratch_.
  absl::Status StringView(absl::string_view* out) {
    const size_t start = at_ + 1;
    const size_t run = PlainRun(start);
    if (start + run < text_.size() && text_[start + run] == '"') {
      *out = text_.substr(start, run);
      at_ = start + run + 1;
      return absl::OkStatus();
    }
    std::string& copy = scratch_.emplace_back();
    if (absl::Status s = String(&copy); !s.ok()) return s;
    *out = copy;
    return absl::OkStatus();
  }

  absl::Status TooMany() const {
    return absl::ResourceExhaustedError(absl::StrCat("more than ", max_values_, " values"));
  }

  // The run of plain ASCII (no '"', '\\', control or high-bit byte) starting at `from`.
  size_t PlainRun(size_t from) const {
    const char* p = text_.data() + from;
    const char* end = text_.data() + text_.size();
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      // Any byte ≥ 0x80, < 0x20, '"' (0x22) or '\\' (0x5c) ends the fast scan.
      const uint64_t high = word & 0x8080808080808080ULL;
      const uint64_t control = (word - 0x2020202020202020ULL) & ~word & 0x8080808080808080ULL;
      const uint64_t quote = word ^ 0x2222222222222222ULL;
      const uint64_t has_quote = (quote - 0x0101010101010101ULL) & ~quote & 0x8080808080808080ULL;
      const uint64_t slash = word ^ 0x5c5c5c5c5c5c5c5cULL;
      const uint64_t has_slash = (slash - 0x0101010101010101ULL) & ~slash & 0x8080808080808080ULL;
      if ((high | control | has_quote | has_slash) != 0) break;
      p += 8;
    }
    while (p < end) {
      const unsigned char c = static_cast<unsigned char>(*p);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++p;
    }
    return static_cast<size_t>(p - (text_.data() + from));
  }

  absl::Status String(std::string* out) {
    ++at_;  // '"'
    for (;;) {
      const size_t run = PlainRun(at_);
      out->append(text_.data() + at_, run);
      at_ += run;
      if (at_ >= text_.size()) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return absl::OkStatus();
      }
      if (c == '\\') {
        if (absl::Status s = Escape(out); !s.ok()) return s;
      } else if (c < 0x20) {
        return Error("control character in a string");
      } else if (absl::Status s = Utf8Sequence(out); !s.ok()) {
        return s;
      }
    }
  }

  // One multi-byte UTF-8 sequence, validated (no overlongs, surrogates or > U+10FFFF).
  absl::Status Utf8Sequence(std::string* out) {
    const unsigned char lead = static_cast<unsigned char>(text_[at_]);
    int length = 0;
    unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      return Error("invalid UTF-8 in a string");
    }
    if (text_.size() - at_ < static_cast<size_t>(length)) return Error("invalid UTF-8 in a string");
    for (int i = 1; i < length; ++i) {
      const unsigned char c = static_cast<unsigned char>(text_[at_ + static_cast<size_t>(i)]);
      const unsigned char min = i == 1 ? low : 0x80, max = i == 1 ? high : 0xbf;
      if (c < min || c > max) return Error("invalid UTF-8 in a string");
    }
    out->append(text_.data() + at_, static_cast<size_t>(length));
    at_ += static_cast<size_t>(length);
    return absl::OkStatus();
  }

  absl::Status Escape(std::string* out) {
    if (text_.size() - at_ < 2) return Error("unterminated escape");
    const char e = text_[at_ + 1];
    at_ += 2;
    switch (e) {
      case '"': out->push_back('"'); return absl::OkStatus();
      case '\\': out->push_back('\\'); return absl::OkStatus();
      case '/': out->push_back('/'); return absl::OkStatus();
      case 'b': out->push_back('\b'); return absl::OkStatus();
      case 'f': out->push_back('\f'); return absl::OkStatus();
      case 'n': out->push_back('\n'); return absl::OkStatus();
      case 'r': out->push_back('\r'); return absl::OkStatus();
      case 't': out->push_back('\t'); return absl::OkStatus();
      case 'u': break;
      default: return Error("invalid escape");
    }
    uint32_t code = 0;
    if (!Hex4(&code)) return Error("invalid \\u escape");
    if (code >= 0xdc00 && code <= 0xdfff) return Error("unpaired surrogate");
    if (code >= 0xd800 && code <= 0xdbff) {
      uint32_t second = 0;
      if (text_.substr(at_, 2) != "\\u") return Error("unpaired surrogate");
      at_ += 2;
      if (!Hex4(&second) || second < 0xdc00 || second > 0xdfff) {
        return Error("unpaired surrogate");
      }
      code = 0x10000 + ((code - 0xd800) << 10) + (second - 0xdc00);
    }
    AppendUtf8(code, out);
    return absl::OkStatus();
  }

  bool Hex4(uint32_t* code) {
    if (text_.size() - at_ < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[at_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *code = v;
    return true;
  }

  static void AppendUtf8(uint32_t code, std::string* out) {
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (code >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  absl::Status Number(Document* out) {
    const size_t start = at_;
    auto digits = [&] {
      const size_t from = at_;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
      return at_ - from;
    };
    const bool negative = at_ < text_.size() && text_[at_] == '-';
    if (negative) ++at_;
    if (at_ >= text_.size() || text_[at_] < '0' || text_[at_] > '9') {
      return Error("invalid value");
    }
    if (text_[at_] == '0') {
      ++at_;
    } else {
      digits();
    }
    bool integral = true;
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      integral = false;
      if (digits() == 0) return Error("invalid number");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      integral = false;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (digits() == 0) return Error("invalid number");
    }
    // The grammar is checked above; from_chars reads the literal whole, without the locale
    // strtod consults (where "," is the decimal point, strtod reads "1.5" as 1).
    const char* first = text_.data() + start;
    const char* last = text_.data() + at_;
    if (integral) {
      if (negative) {
        int64_t v = 0;
        if (auto [ptr, ec] = std::from_chars(first, last, v); ec == std::errc() && ptr == last) {
          *out = v;
          return absl::OkStatus();
        }
      } else {
        uint64_t v = 0;
        if (auto [ptr, ec] = std::from_chars(first, last, v); ec == std::errc() && ptr == last) {
          if (v <= static_cast<uint64_t>(INT64_MAX)) {
            *out = static_cast<int64_t>(v);
          } else {
            *out = v;
          }
          return absl::OkStatus();
        }
      }
    }
    // On a range error absl's from_chars (not libstdc++'s) gives ±0 for an underflow, read
    // as strtod and nlohmann read it, and ±DBL_MAX for an overflow, refused.
    double v = 0;
    auto [ptr, ec] = absl::from_chars(first, last, v);
    if ((ec != std::errc() && ec != std::errc::result_out_of_range) || ptr != last) {
      return Error("invalid number");
    }
    if (ec == std::errc::result_out_of_range && v != 0) return Error("number out of range");
    *out = v;
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t at_ = 0;
  const size_t max_values_;
  size_t values_ = 0;  // read so far, nested ones included
  const absl::string_view array_name_;
  const std::optional<JsonElementVisitor> visit_;
  bool visited_ = false;
  std::vector<JsonField> fields_;   // the visited element's members
  std::deque<std::string> scratch_;  // its strings that had escapes (stable addresses)
};

}  // namespace

absl::StatusOr<Document> ReadJson(absl::string_view text, size_t max_values) {
  return Reader(text, max_values).ReadAll();
}

absl::StatusOr<Document> ReadJsonVisitingArray(absl::string_view text, size_t max_values,
                                               absl::string_view array_name,
                                               JsonElementVisitor visit) {
  return Reader(text, max_values, array_name, visit).ReadAll();
}

}  // namespace eddy::common
