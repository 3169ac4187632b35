#include "broker/sequence_number.h"

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/errors.h"
#include "common/hash_key.h"

namespace eddy::broker {
namespace {

constexpr uint64_t kVersion = 1;
constexpr absl::string_view kShardIdPrefix = "shardId-";

}  // namespace

uint32_t StreamTagOf(uint64_t stream_id) { return static_cast<uint32_t>(stream_id & 0xFFFFFF); }

std::string FormatSequenceNumber(const SequenceNumber& number) {
  const uint64_t high = (kVersion << 56) |
                        (static_cast<uint64_t>(number.stream_tag & 0xFFFFFF) << 32) |
                        number.shard_index;
  return common::FormatUint128(absl::MakeUint128(high, number.counter));
}

absl::StatusOr<SequenceNumber> ParseSequenceNumber(absl::string_view text,
                                                   absl::string_view field) {
  absl::uint128 value = 0;
  if (!common::ParseDecimalUint128(text, &value) ||
      (absl::Uint128High64(value) >> 56) != kVersion) {
    return common::InvalidArgument(absl::StrCat("Invalid ", field, " '", text.substr(0, 64),
                                                "': not a sequence number issued by Eddy."));
  }
  const uint64_t high = absl::Uint128High64(value);
  SequenceNumber number;
  number.stream_tag = static_cast<uint32_t>((high >> 32) & 0xFFFFFF);
  number.shard_index = static_cast<uint32_t>(high & 0xFFFFFFFF);
  number.counter = absl::Uint128Low64(value);
  return number;
}

std::string FormatShardId(uint32_t index) { return absl::StrFormat("shardId-%012u", index); }

absl::StatusOr<uint32_t> ParseShardId(absl::string_view shard_id) {
  bool ok = shard_id.size() == kShardIdPrefix.size() + 12 &&
            shard_id.substr(0, kShardIdPrefix.size()) == kShardIdPrefix;
  uint64_t index = 0;
  for (size_t i = kShardIdPrefix.size(); ok && i < shard_id.size(); ++i) {
    const char c = shard_id[i];
    ok = c >= '0' && c <= '9';
    index = index * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || index > 0xFFFFFFFFull) {
    return common::InvalidArgument(absl::StrCat("Invalid ShardId '", shard_id.substr(0, 64),
                                                "': expected shardId- and 12 digits."));
  }
  return static_cast<uint32_t>(index);
}

}  // namespace eddy::broker
