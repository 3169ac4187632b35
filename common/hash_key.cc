#include "common/hash_key.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "common/md5.h"

namespace eddy::common {

HashKey HashKeyOfPartitionKey(absl::string_view partition_key) {
  const std::string digest = Md5(partition_key);
  uint64_t high = 0;
  uint64_t low = 0;
  for (int i = 0; i < 8; ++i) high = (high << 8) | static_cast<uint8_t>(digest[i]);
  for (int i = 8; i < 16; ++i) low = (low << 8) | static_cast<uint8_t>(digest[i]);
  return absl::MakeUint128(high, low);
}

bool ParseDecimalUint128(absl::string_view text, absl::uint128* value) {
  if (text.empty() || text.size() > 39) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  absl::uint128 result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const unsigned digit = static_cast<unsigned>(c - '0');
    // result * 10 + digit must not pass 2^128-1.
    if (result > (kMaxHashKey - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

absl::StatusOr<HashKey> ParseHashKey(absl::string_view text, absl::string_view field) {
  HashKey key = 0;
  if (!ParseDecimalUint128(text, &key)) {
    return InvalidArgument(absl::StrCat("Invalid ", field, " '", text.substr(0, 64),
                                        "': must be a decimal integer in [0, 2^128-1]."));
  }
  return key;
}

std::string FormatUint128(absl::uint128 value) {
  // Digits from the right in 64-bit chunks of 19: two 128-bit divisions at most instead
  // of one per digit (sequence numbers are formatted for every record delivered).
  constexpr uint64_t kTen19 = 10'000'000'000'000'000'000ULL;
  char buffer[40];
  char* end = buffer + sizeof(buffer);
  char* p = end;
  while (true) {
    uint64_t chunk = static_cast<uint64_t>(value % kTen19);
    value /= kTen19;
    if (value == 0) {
      do {
        *--p = static_cast<char>('0' + chunk % 10);
        chunk /= 10;
      } while (chunk != 0);
      break;
    }
    for (int i = 0; i < 19; ++i) {  // an inner chunk keeps its leading zeros
      *--p = static_cast<char>('0' + chunk % 10);
      chunk /= 10;
    }
  }
  return std::string(p, static_cast<size_t>(end - p));
}

std::vector<HashKeyRange> EvenHashKeyRanges(int count) {
  std::vector<HashKeyRange> ranges;
  if (count <= 1) {
    ranges.push_back(HashKeyRange{0, kMaxHashKey});
    return ranges;
  }
  const absl::uint128 n = static_cast<uint64_t>(count);
  // floor(2^128 / n) without 2^128: (2^128 - 1) = q*n + r, so 2^128 = q*n + r + 1.
  absl::uint128 width = kMaxHashKey / n;
  if (kMaxHashKey % n == n - 1) width += 1;
  for (int i = 0; i < count; ++i) {
    const absl::uint128 start = width * static_cast<uint64_t>(i);
    const absl::uint128 end =
        i == count - 1 ? kMaxHashKey : width * static_cast<uint64_t>(i + 1) - 1;
    ranges.push_back(HashKeyRange{start, end});
  }
  return ranges;
}

}  // namespace eddy::common
