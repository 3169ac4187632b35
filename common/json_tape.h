#pragma once
// JsonTape: a read-only JSON parser for the hot answers of the Kinesis API
// (SubscribeToShardEvent, GetRecords), where nlohmann::json spent half a worker's CPU
// building a string a character at a time for every base64 record. One pass over the text
// into a flat tape of nodes that point into it; strings are unescaped only when read, and
// only if they hold an escape. Hostile input gets an error, never a crash: every read is
// bounds-checked, nesting is limited, and RFC 8259's grammar is checked in full.
//
//   absl::StatusOr<JsonTape> tape = JsonTape::Parse(text);   // `text` must outlive it
//   for (JsonRef record : tape->root().Member("Records").Elements()) {
//     std::string data = record.Member("Data").String();
//   }
//
// Reads are lenient like the members of an answer should be: a member that is absent, or of
// another type than asked, reads as null / "" / nullopt.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::common {

class JsonTape;

class JsonRef {
 public:
  enum class Type { kNull, kTrue, kFalse, kNumber, kString, kArray, kObject };

  JsonRef() = default;  // null

  Type type() const;
  bool is_null() const { return type() == Type::kNull; }
  bool is_object() const { return type() == Type::kObject; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_string() const { return type() == Type::kString; }
  bool is_number() const { return type() == Type::kNumber; }

  // An object's member (the first of that name), or null.
  JsonRef Member(absl::string_view key) const;
  // A string's value, unescaped ("" for anything else).
  std::string String() const;
  // A number's value; nullopt for anything else or an integer out of range.
  std::optional<int64_t> Int64() const;
  std::optional<double> Double() const;

  // An array's elements (none for anything else), in order.
  class Elements;
  Elements elements() const;

 private:
  friend class JsonTape;
  JsonRef(const JsonTape* tape, uint32_t node) : tape_(tape), node_(node) {}
  const JsonTape* tape_ = nullptr;
  uint32_t node_ = 0;
};

class JsonTape {
 public:
  // Parses `text` (which must outlive the tape and every JsonRef from it).
  static absl::StatusOr<JsonTape> Parse(absl::string_view text);

  JsonRef root() const { return JsonRef(this, 0); }

 private:
  friend class JsonRef;
  friend class JsonTapeParser;
  struct Node {
    JsonRef::Type type;
    bool escaped = false;  // a string with a backslash in it
    uint32_t end = 0;      // the index of the node after this one's subtree
    absl::string_view text;  // a string's raw contents (no quotes) or a number's digits
  };
  std::vector<Node> nodes_;
};

class JsonRef::Elements {
 public:
  class Iterator {
   public:
    JsonRef operator*() const { return JsonRef(tape_, node_); }
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return node_ != other.node_; }

   private:
    friend class Elements;
    Iterator(const JsonTape* tape, uint32_t node) : tape_(tape), node_(node) {}
    const JsonTape* tape_;
    uint32_t node_;
  };
  Iterator begin() const { return Iterator(tape_, first_); }
  Iterator end() const { return Iterator(tape_, end_); }

 private:
  friend class JsonRef;
  Elements(const JsonTape* tape, uint32_t first, uint32_t end)
      : tape_(tape), first_(first), end_(end) {}
  const JsonTape* tape_;
  uint32_t first_;
  uint32_t end_;
};

inline JsonRef::Elements JsonRef::elements() const {
  if (!is_array()) return Elements(tape_, 0, 0);
  return Elements(tape_, node_ + 1, tape_->nodes_[node_].end);
}

}  // namespace eddy::common
