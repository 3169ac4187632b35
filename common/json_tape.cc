#include "common/json_tape.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace eddy::common {

namespace {
constexpr int kMaxDepth = 64;
}  // namespace

// Recursive descent over the text, appending nodes in document order.
class JsonTapeParser {
 public:
  JsonTapeParser(absl::string_view text, JsonTape* tape) : text_(text), tape_(tape) {}

  absl::Status Run() {
    SkipSpace();
    if (absl::Status s = Value(0); !s.ok()) return s;
    SkipSpace();
    if (at_ != text_.size()) return Error("text after the JSON value");
    return absl::OkStatus();
  }

 private:
  using Type = JsonRef::Type;

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("JSON: ", what, " at offset ", at_));
  }

  void SkipSpace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t')) {
      ++at_;
    }
  }

  uint32_t Add(Type type, absl::string_view text = {}, bool escaped = false) {
    tape_->nodes_.push_back(JsonTape::Node{type, escaped, 0, text});
    return static_cast<uint32_t>(tape_->nodes_.size() - 1);
  }
  void Close(uint32_t node) {
    tape_->nodes_[node].end = static_cast<uint32_t>(tape_->nodes_.size());
  }

  bool Literal(absl::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  absl::Status Value(int depth) {
    if (depth > kMaxDepth) return Error("nested too deeply");
    if (at_ >= text_.size()) return Error("a value expected");
    switch (text_[at_]) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String();
      case 't':
        if (!Literal("true")) return Error("not a value");
        Close(Add(Type::kTrue));
        return absl::OkStatus();
      case 'f':
        if (!Literal("false")) return Error("not a value");
        Close(Add(Type::kFalse));
        return absl::OkStatus();
      case 'n':
        if (!Literal("null")) return Error("not a value");
        Close(Add(Type::kNull));
        return absl::OkStatus();
      default:
        return Number();
    }
  }

  absl::Status Object(int depth) {
    const uint32_t node = Add(Type::kObject);
    ++at_;  // {
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == '}') {
      ++at_;
      Close(node);
      return absl::OkStatus();
    }
    while (true) {
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != '"') return Error("a member name expected");
      if (absl::Status s = String(); !s.ok()) return s;
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != ':') return Error("':' expected");
      ++at_;
      SkipSpace();
      if (absl::Status s = Value(depth + 1); !s.ok()) return s;
      SkipSpace();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == '}') {
        ++at_;
        Close(node);
        return absl::OkStatus();
      }
      return Error("',' or '}' expected");
    }
  }

  absl::Status Array(int depth) {
    const uint32_t node = Add(Type::kArray);
    ++at_;  // [
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == ']') {
      ++at_;
      Close(node);
      return absl::OkStatus();
    }
    while (true) {
      SkipSpace();
      if (absl::Status s = Value(depth + 1); !s.ok()) return s;
      SkipSpace();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == ']') {
        ++at_;
        Close(node);
        return absl::OkStatus();
      }
      return Error("',' or ']' expected");
    }
  }

  // A string: its raw contents are kept; escapes are checked here, decoded when read.
  absl::Status String() {
    ++at_;  // "
    const size_t start = at_;
    bool escaped = false;
    while (true) {
      // Up to the next quote at memchr speed (base64 is a long run of plain characters),
      // checking for control characters and stopping at a backslash.
      const void* quote = std::memchr(text_.data() + at_, '"', text_.size() - at_);
      const size_t quote_at =
          quote == nullptr ? text_.size() : static_cast<const char*>(quote) - text_.data();
      for (; at_ < quote_at; ++at_) {
        const unsigned char c = static_cast<unsigned char>(text_[at_]);
        if (c < 0x20) return Error("a control character in a string");
        if (c == '\\') break;
        if (c >= 0x80) {
          const size_t length = Utf8Length(text_.substr(at_));
          if (length == 0) return Error("a string that is not UTF-8");
          at_ += length - 1;
        }
      }
      if (at_ < quote_at) {  // an escape (maybe \" : then the quote found was not the end)
        escaped = true;
        if (absl::Status s = Escape(); !s.ok()) return s;
        continue;
      }
      if (quote_at >= text_.size()) return Error("an unterminated string");
      break;
    }
    Close(Add(Type::kString, text_.substr(start, at_ - start), escaped));
    ++at_;  // "
    return absl::OkStatus();
  }

  // The length of the well-formed UTF-8 sequence `bytes` starts with (RFC 3629: no
  // overlong forms, no surrogates, nothing past U+10FFFF), 0 if it is not one.
  static size_t Utf8Length(absl::string_view bytes) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
    auto in = [&](size_t i, unsigned lo, unsigned hi) {
      return i < bytes.size() && byte(i) >= lo && byte(i) <= hi;
    };
    const unsigned lead = byte(0);
    if (lead >= 0xC2 && lead <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
      const unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
      const unsigned hi = lead == 0xED ? 0x9F : 0xBF;
      return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
      const unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
      const unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
      return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
  }

  // Checks the escape at at_ (a backslash) and moves past it.
  absl::Status Escape() {
    if (at_ + 1 >= text_.size()) return Error("an unterminated escape");
    const char c = text_[at_ + 1];
    if (std::strchr("\"\\/bfnrt", c) != nullptr) {
      at_ += 2;
      return absl::OkStatus();
    }
    if (c != 'u' || at_ + 6 > text_.size()) return Error("an invalid escape");
    for (size_t i = at_ + 2; i < at_ + 6; ++i) {
      if (!std::isxdigit(static_cast<unsigned char>(text_[i]))) return Error("an invalid \\u escape");
    }
    at_ += 6;
    return absl::OkStatus();
  }

  absl::Status Number() {
    const size_t start = at_;
    auto digits = [&] {
      const size_t from = at_;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
      return at_ - from;
    };
    if (at_ < text_.size() && text_[at_] == '-') ++at_;
    if (at_ < text_.size() && text_[at_] == '0') {
      ++at_;
    } else if (digits() == 0) {
      return Error("not a value");
    }
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      if (digits() == 0) return Error("digits expected after '.'");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (digits() == 0) return Error("digits expected in the exponent");
    }
    Close(Add(Type::kNumber, text_.substr(start, at_ - start)));
    return absl::OkStatus();
  }

  const absl::string_view text_;
  JsonTape* const tape_;
  size_t at_ = 0;
};

absl::StatusOr<JsonTape> JsonTape::Parse(absl::string_view text) {
  if (text.size() > std::numeric_limits<uint32_t>::max() / 2) {
    return absl::InvalidArgumentError("JSON: the text is too large");
  }
  JsonTape tape;
  tape.nodes_.reserve(64);
  if (absl::Status s = JsonTapeParser(text, &tape).Run(); !s.ok()) return s;
  return tape;
}

JsonRef::Type JsonRef::type() const {
  return tape_ == nullptr ? Type::kNull : tape_->nodes_[node_].type;
}

JsonRef JsonRef::Member(absl::string_view key) const {
  if (!is_object()) return JsonRef();
  const auto& nodes = tape_->nodes_;
  const uint32_t end = nodes[node_].end;
  for (uint32_t at = node_ + 1; at < end;) {
    const JsonTape::Node& name = nodes[at];
    const uint32_t value = at + 1;
    const bool match = name.escaped ? JsonRef(tape_, at).String() == key : name.text == key;
    if (match) return JsonRef(tape_, value);
    at = nodes[value].end;
  }
  return JsonRef();
}

namespace {

void AppendUtf8(uint32_t code, std::string* out) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

uint32_t Hex4(absl::string_view text) {
  uint32_t value = 0;
  for (char c : text) {
    value = value * 16 + static_cast<uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return value;
}

}  // namespace

std::string JsonRef::String() const {
  if (!is_string()) return "";
  const JsonTape::Node& node = tape_->nodes_[node_];
  if (!node.escaped) return std::string(node.text);
  // The parser checked every escape: each is complete and well-formed here.
  const absl::string_view text = node.text;
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    const char c = text[++i];
    switch (c) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        uint32_t code = Hex4(text.substr(i + 1, 4));
        i += 4;
        // A surrogate pair is one code point; a lone surrogate becomes U+FFFD.
        if (code >= 0xD800 && code < 0xDC00 && i + 6 < text.size() && text[i + 1] == '\\' &&
            text[i + 2] == 'u') {
          const uint32_t low = Hex4(text.substr(i + 3, 4));
          if (low >= 0xDC00 && low < 0xE000) {
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            code = 0xFFFD;
          }
        } else if (code >= 0xD800 && code < 0xE000) {
          code = 0xFFFD;
        }
        AppendUtf8(code, &out);
        break;
      }
      default: out.push_back(c); break;  // " \ /
    }
  }
  return out;
}

std::optional<int64_t> JsonRef::Int64() const {
  if (!is_number()) return std::nullopt;
  const absl::string_view text = tape_->nodes_[node_].text;
  int64_t value = 0;
  if (absl::SimpleAtoi(text, &value)) return value;
  // 1.5e3 and the like: integral values written as floating point.
  std::optional<double> d = Double();
  if (!d || *d != static_cast<double>(static_cast<int64_t>(*d)) || *d > 9.2e18 || *d < -9.2e18) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*d);
}

std::optional<double> JsonRef::Double() const {
  if (!is_number()) return std::nullopt;
  double value = 0;
  if (!absl::SimpleAtod(tape_->nodes_[node_].text, &value)) return std::nullopt;
  return value;
}

JsonRef::Elements::Iterator& JsonRef::Elements::Iterator::operator++() {
  node_ = tape_->nodes_[node_].end;
  return *this;
}

}  // namespace eddy::common
