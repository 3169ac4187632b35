#include "checkpoint/extended_sequence_number.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace eddy::checkpoint {
namespace {

bool IsDecimal(absl::string_view text) {
  if (text.empty() || text.size() > 128 || (text.size() > 1 && text[0] == '0')) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ExtendedSequenceNumber> ExtendedSequenceNumber::Of(absl::string_view sequence,
                                                                  uint64_t sub_sequence) {
  if (!IsDecimal(sequence)) {
    return common::InvalidArgument(absl::StrCat("Invalid sequence number '",
                                                sequence.substr(0, 140),
                                                "': expected a decimal number."));
  }
  ExtendedSequenceNumber number(Kind::kSequence);
  number.sequence_ = std::string(sequence);
  number.sub_sequence_ = sub_sequence;
  return number;
}

absl::StatusOr<ExtendedSequenceNumber> ExtendedSequenceNumber::Parse(absl::string_view text) {
  if (text == "TRIM_HORIZON") return TrimHorizon();
  if (text == "LATEST") return Latest();
  if (text == "AT_TIMESTAMP") return AtTimestamp();
  if (text == "SHARD_END") return ShardEnd();
  const size_t colon = text.find(':');
  uint64_t sub = 0;
  if (colon != absl::string_view::npos &&
      !absl::SimpleAtoi(text.substr(colon + 1), &sub)) {
    return common::InvalidArgument(
        absl::StrCat("Invalid sub-sequence number in '", text.substr(0, 160), "'."));
  }
  return Of(text.substr(0, colon), sub);
}

std::string ExtendedSequenceNumber::ToString() const {
  switch (kind_) {
    case Kind::kAtTimestamp:
      return "AT_TIMESTAMP";
    case Kind::kTrimHorizon:
      return "TRIM_HORIZON";
    case Kind::kLatest:
      return "LATEST";
    case Kind::kShardEnd:
      return "SHARD_END";
    case Kind::kSequence:
      break;
  }
  return sub_sequence_ == 0 ? sequence_ : absl::StrCat(sequence_, ":", sub_sequence_);
}

int ExtendedSequenceNumber::Compare(const ExtendedSequenceNumber& other) const {
  if (kind_ != other.kind_) return static_cast<int>(kind_) < static_cast<int>(other.kind_) ? -1 : 1;
  if (kind_ != Kind::kSequence) return 0;
  // Decimals without leading zeros: the longer is larger; equal lengths compare as text.
  if (sequence_.size() != other.sequence_.size()) {
    return sequence_.size() < other.sequence_.size() ? -1 : 1;
  }
  if (const int c = sequence_.compare(other.sequence_); c != 0) return c < 0 ? -1 : 1;
  if (sub_sequence_ != other.sub_sequence_) return sub_sequence_ < other.sub_sequence_ ? -1 : 1;
  return 0;
}

}  // namespace eddy::checkpoint
