#pragma once
// Hash keys: the 128-bit space [0, 2^128-1] that routes records to shards.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eddy::common {

using HashKey = absl::uint128;

inline constexpr HashKey kMaxHashKey = absl::Uint128Max();

// An inclusive range of hash keys owned by one shard.
struct HashKeyRange {
  HashKey start = 0;
  HashKey end = kMaxHashKey;

  bool Contains(HashKey key) const { return start <= key && key <= end; }
  friend bool operator==(const HashKeyRange& a, const HashKeyRange& b) {
    return a.start == b.start && a.end == b.end;
  }
};

// MD5 of the UTF-8 partition key, read as an unsigned 128-bit big-endian integer: the hash
// key Kinesis gives a record without an explicit hash key.
HashKey HashKeyOfPartitionKey(absl::string_view partition_key);

// Parses a decimal hash key, "0" or [1-9][0-9]{0,38}, no larger than 2^128-1.
// Fails with InvalidArgument naming `field` on anything else.
absl::StatusOr<HashKey> ParseHashKey(absl::string_view text, absl::string_view field);

// Parses an unsigned decimal of at most 39 digits that fits 128 bits (leading zeros
// refused). Returns false when `text` is not one.
bool ParseDecimalUint128(absl::string_view text, absl::uint128* value);

// Decimal text of a 128-bit value.
std::string FormatUint128(absl::uint128 value);

// Splits the whole key space into `count` (≥ 1) adjacent ranges the way Kinesis does for a
// new stream: each floor(2^128 / count) wide, the last taking the remainder.
std::vector<HashKeyRange> EvenHashKeyRanges(int count);

}  // namespace eddy::common
