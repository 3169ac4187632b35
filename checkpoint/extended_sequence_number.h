#pragma once
// ExtendedSequenceNumber: a position in a shard as a checkpoint records it — a real
// sequence number (with a sub-sequence number for records inside a KPL aggregate) or one
// of the sentinels. Ordered as the Java KCL orders them:
//
//   AT_TIMESTAMP < TRIM_HORIZON < LATEST < every real sequence number < SHARD_END
//
// and real ones by sequence number, then sub-sequence number. Immutable value type.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::checkpoint {

class ExtendedSequenceNumber {
 public:
  enum class Kind { kAtTimestamp = 0, kTrimHorizon = 1, kLatest = 2, kSequence = 3, kShardEnd = 4 };

  // TRIM_HORIZON.
  ExtendedSequenceNumber() = default;

  static ExtendedSequenceNumber AtTimestamp() { return ExtendedSequenceNumber(Kind::kAtTimestamp); }
  static ExtendedSequenceNumber TrimHorizon() { return ExtendedSequenceNumber(Kind::kTrimHorizon); }
  static ExtendedSequenceNumber Latest() { return ExtendedSequenceNumber(Kind::kLatest); }
  static ExtendedSequenceNumber ShardEnd() { return ExtendedSequenceNumber(Kind::kShardEnd); }

  // A real position: `sequence` a decimal without leading zeros (up to 128 digits).
  // InvalidArgument otherwise.
  static absl::StatusOr<ExtendedSequenceNumber> Of(absl::string_view sequence,
                                                   uint64_t sub_sequence = 0);

  // Parses what ToString() writes: a sentinel name, "<sequence>" or "<sequence>:<sub>".
  static absl::StatusOr<ExtendedSequenceNumber> Parse(absl::string_view text);

  Kind kind() const { return kind_; }
  bool is_sentinel() const { return kind_ != Kind::kSequence; }
  // The decimal sequence number; empty for sentinels.
  const std::string& sequence() const { return sequence_; }
  uint64_t sub_sequence() const { return sub_sequence_; }

  // "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END", "<seq>" or "<seq>:<sub>" (sub > 0).
  std::string ToString() const;

  // <0, 0, >0 in the KCL's order.
  int Compare(const ExtendedSequenceNumber& other) const;
  friend bool operator==(const ExtendedSequenceNumber& a, const ExtendedSequenceNumber& b) {
    return a.Compare(b) == 0;
  }
  friend bool operator!=(const ExtendedSequenceNumber& a, const ExtendedSequenceNumber& b) {
    return a.Compare(b) != 0;
  }
  friend bool operator<(const ExtendedSequenceNumber& a, const ExtendedSequenceNumber& b) {
    return a.Compare(b) < 0;
  }
  friend bool operator<=(const ExtendedSequenceNumber& a, const ExtendedSequenceNumber& b) {
    return a.Compare(b) <= 0;
  }

 private:
  explicit ExtendedSequenceNumber(Kind kind) : kind_(kind) {}
  Kind kind_ = Kind::kTrimHorizon;
  std::string sequence_;
  uint64_t sub_sequence_ = 0;
};

}  // namespace eddy::checkpoint
