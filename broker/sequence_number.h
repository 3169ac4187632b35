#pragma once
// Sequence numbers: how a record's position in its shard is written for clients.
//
// A sequence number is a decimal string of a 128-bit value laid out as
//
//   bits 120..127  format version (1)
//   bits  96..119  stream tag (low 24 bits of the stream's internal id)
//   bits  64..95   shard index (the 12 digits of shardId-NNNNNNNNNNNN)
//   bits   0..63   counter: (arrival milliseconds << 22) | n, strictly increasing per shard
//
// so that numbers increase within a shard, a child shard's (higher index) exceed its
// parents', and a number names the shard it came from. docs/storage-format.md has more.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::broker {

inline constexpr int kCounterTimeShift = 22;

// The counter of the first record that may arrive at `millis`.
inline uint64_t CounterAtMillis(int64_t millis) {
  return millis <= 0 ? 0 : static_cast<uint64_t>(millis) << kCounterTimeShift;
}
// The arrival time encoded in a counter.
inline int64_t MillisOfCounter(uint64_t counter) {
  return static_cast<int64_t>(counter >> kCounterTimeShift);
}

struct SequenceNumber {
  uint32_t stream_tag = 0;
  uint32_t shard_index = 0;
  uint64_t counter = 0;
};

uint32_t StreamTagOf(uint64_t stream_id);

std::string FormatSequenceNumber(const SequenceNumber& number);

// Parses a sequence number, failing with InvalidArgument naming `field` when it is not
// one Eddy could have issued.
absl::StatusOr<SequenceNumber> ParseSequenceNumber(absl::string_view text, absl::string_view field);

// "shardId-000000000007" for 7.
std::string FormatShardId(uint32_t index);

// The index of a shard id; InvalidArgument unless it is "shardId-" and 12 digits.
absl::StatusOr<uint32_t> ParseShardId(absl::string_view shard_id);

}  // namespace eddy::broker
