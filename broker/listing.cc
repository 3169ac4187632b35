// StreamBroker: ListStreams and ListShards, with their pagination tokens and shard filters.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/sequence_number.h"
#include "broker/stream_broker.h"
#include "broker/validation.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

constexpr char kListStreamsToken = 'S';
constexpr char kListShardsToken = 'L';

// When each closed shard of `shards` was closed: its children's creation (a split or merge
// starts them then). Its ending counter is its last record's, which may be much earlier: a
// shard idle for an hour before a split was still open during that hour.
std::map<std::string, int64_t> ClosingMillis(
    const std::vector<std::shared_ptr<ShardState>>& shards) {
  std::map<std::string, int64_t> out;
  for (const auto& shard : shards) {
    for (const std::string* parent : {&shard->parent_shard_id, &shard->adjacent_parent_shard_id}) {
      if (parent->empty()) continue;
      const int64_t opened = MillisOfCounter(shard->starting_counter);
      auto [it, inserted] = out.emplace(*parent, opened);
      if (!inserted) it->second = std::min(it->second, opened);
    }
  }
  return out;
}

// Whether `shard` belongs in a ListShards answer under `filter`. Times are the shard's
// creation and (once closed) closing instants: its starting counter's, and its children's
// creation (`closing_millis`; its last record's time if no child is known).
bool PassesFilter(const ShardState& shard, ShardFilterType filter, int64_t filter_millis,
                  uint32_t after_index, int64_t trim_horizon_millis,
                  const std::map<std::string, int64_t>& closing_millis) {
  const int64_t opened = MillisOfCounter(shard.starting_counter);
  const uint64_t ending = shard.ending_counter.load();
  const bool open = ending == 0;
  int64_t closed = INT64_MAX;
  if (!open) {
    auto it = closing_millis.find(shard.shard_id);
    closed = it != closing_millis.end() ? std::max(it->second, MillisOfCounter(ending))
                                        : MillisOfCounter(ending);
  }
  auto open_at = [&](int64_t t) { return opened <= t && t < closed; };
  switch (filter) {
    case ShardFilterType::kNone:
    case ShardFilterType::kFromTrimHorizon:
      return closed >= trim_horizon_millis;
    case ShardFilterType::kAfterShardId:
      return shard.index > after_index;
    case ShardFilterType::kAtTrimHorizon:
      // Shards created at or before the horizon that were still open then; a stream
      // younger than its retention has its first shards there.
      return open_at(trim_horizon_millis) ||
             (shard.parent_shard_id.empty() && opened > trim_horizon_millis &&
              closed >= trim_horizon_millis);
    case ShardFilterType::kAtLatest:
      return open;
    case ShardFilterType::kAtTimestamp:
      return open_at(filter_millis) || (shard.parent_shard_id.empty() && opened > filter_millis);
    case ShardFilterType::kFromTimestamp:
      return closed > filter_millis;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> StreamBroker::OpenListToken(char kind, const std::string& token,
                                                        size_t min_bytes) const {
  absl::StatusOr<std::string> payload = tokens_.Open(kind, token, "NextToken");
  if (!payload.ok()) return payload.status();
  if (payload->size() < std::max<size_t>(min_bytes, 8)) {
    return common::InvalidArgument("Invalid NextToken.");
  }
  if (clock_.NowMillis() - static_cast<int64_t>(ReadBigEndian64(*payload)) >
      options_.iterator_ttl_millis) {
    return common::ExpiredNextToken("The NextToken has expired; list again from the start.");
  }
  return payload;
}

absl::Status StreamBroker::CheckCreationTimestamp(const StreamState& stream,
                                                  int64_t creation_millis) {
  if (creation_millis == 0 || creation_millis == stream.creation_millis) return absl::OkStatus();
  return common::ResourceNotFound(absl::StrCat(
      "Stream ", stream.name, " was not created at the given StreamCreationTimestamp."));
}

absl::StatusOr<ListStreamsResult> StreamBroker::ListStreams(const ListStreamsParams& params) const {
  if (absl::Status s = ValidateRange("limit", params.limit, 1, 10000); !s.ok()) return s;
  std::string start_after = params.exclusive_start_stream_name;
  if (!params.next_token.empty()) {
    if (!params.exclusive_start_stream_name.empty()) {
      return common::InvalidArgument(
          "NextToken and ExclusiveStartStreamName cannot be provided together.");
    }
    absl::StatusOr<std::string> payload = OpenListToken(kListStreamsToken, params.next_token, 8);
    if (!payload.ok()) return payload.status();
    start_after = payload->substr(8);
  }
  ListStreamsResult result;
  for (const auto& stream : catalog_->List()) {
    if (!start_after.empty() && stream->name <= start_after) continue;
    if (static_cast<int>(result.streams.size()) == params.limit) {
      result.has_more_streams = true;
      break;
    }
    StreamInfo info;
    info.name = stream->name;
    info.arn = stream->arn;
    info.mode = stream->mode();
    info.creation_millis = stream->creation_millis;
    result.streams.push_back(std::move(info));
  }
  if (result.has_more_streams) {
    std::string payload;
    AppendBigEndian64(&payload, static_cast<uint64_t>(clock_.NowMillis()));
    payload.append(result.streams.back().name);
    result.next_token = tokens_.Seal(kListStreamsToken, payload);
  }
  return result;
}

absl::StatusOr<ListShardsResult> StreamBroker::ListShards(const ListShardsParams& params) const {
  if (absl::Status s = ValidateRange("maxResults", params.max_results, 1, 10000); !s.ok()) {
    return s;
  }
  std::shared_ptr<StreamState> stream;
  ShardFilterType filter = params.filter;
  int64_t filter_millis = params.filter_timestamp_millis;
  uint32_t filter_index = 0;
  bool has_start = false;
  uint32_t start_after = 0;

  if (!params.next_token.empty()) {
    if (!params.stream.name.empty() || !params.stream.arn.empty() ||
        !params.exclusive_start_shard_id.empty() || params.filter != ShardFilterType::kNone) {
      return common::InvalidArgument(
          "NextToken cannot be combined with StreamName, StreamARN, ExclusiveStartShardId or "
          "ShardFilter.");
    }
    absl::StatusOr<std::string> payload =
        OpenListToken(kListShardsToken, params.next_token, 8 + 8 + 1 + 8 + 4 + 4);
    if (!payload.ok()) return payload.status();
    const absl::string_view p = *payload;
    stream = catalog_->FindById(ReadBigEndian64(p.substr(8)));
    if (stream == nullptr) {
      return common::ResourceNotFound("The stream of this NextToken no longer exists.");
    }
    filter = static_cast<ShardFilterType>(p[16]);
    filter_millis = static_cast<int64_t>(ReadBigEndian64(p.substr(17)));
    filter_index = ReadBigEndian32(p.substr(25));
    start_after = ReadBigEndian32(p.substr(29));
    has_start = true;
  } else {
    absl::StatusOr<std::shared_ptr<StreamState>> found = catalog_->Find(params.stream);
    if (!found.ok()) return found.status();
    stream = *found;
    if (absl::Status s = CheckCreationTimestamp(*stream, params.stream_creation_timestamp_millis);
        !s.ok()) {
      return s;
    }
    if (!params.exclusive_start_shard_id.empty()) {
      absl::StatusOr<uint32_t> index = ParseShardId(params.exclusive_start_shard_id);
      if (!index.ok()) return index.status();
      has_start = true;
      start_after = *index;
    }
    if (static_cast<int>(filter) < 0 ||
        static_cast<int>(filter) > static_cast<int>(ShardFilterType::kFromTimestamp)) {
      return common::InvalidArgument(
          "ShardFilter.Type must be one of AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, "
          "AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP.");
    }
    const bool wants_id = filter == ShardFilterType::kAfterShardId;
    const bool wants_time =
        filter == ShardFilterType::kAtTimestamp || filter == ShardFilterType::kFromTimestamp;
    if (wants_id) {
      absl::StatusOr<uint32_t> index = ParseShardId(params.filter_shard_id);
      if (!index.ok()) return index.status();
      filter_index = *index;
    } else if (!params.filter_shard_id.empty()) {
      return common::InvalidArgument("ShardFilter.ShardId is only valid with AFTER_SHARD_ID.");
    }
    if (wants_time) {
      if (absl::Status s = ValidateRequiredTimestamp(
              "ShardFilter.Timestamp", "AT_TIMESTAMP and FROM_TIMESTAMP", filter_millis);
          !s.ok()) {
        return s;
      }
    }
    if (!wants_time && filter_millis != 0) {
      return common::InvalidArgument(
          "ShardFilter.Timestamp is only valid with AT_TIMESTAMP or FROM_TIMESTAMP.");
    }
  }

  const int64_t horizon_millis = MillisOfCounter(TrimHorizonCounter(*stream));
  const std::vector<std::shared_ptr<ShardState>> shards = stream->Shards();
  const std::map<std::string, int64_t> closing_millis = ClosingMillis(shards);
  ListShardsResult result;
  bool more = false;
  for (const auto& shard : shards) {
    if (has_start && shard->index <= start_after) continue;
    if (!PassesFilter(*shard, filter, filter_millis, filter_index, horizon_millis,
                      closing_millis)) {
      continue;
    }
    if (static_cast<int>(result.shards.size()) == params.max_results) {
      more = true;
      break;
    }
    result.shards.push_back(DescribeShard(*stream, *shard));
  }
  if (more) {
    absl::StatusOr<uint32_t> last = ParseShardId(result.shards.back().shard_id);
    std::string payload;
    AppendBigEndian64(&payload, static_cast<uint64_t>(clock_.NowMillis()));
    AppendBigEndian64(&payload, stream->id);
    payload.push_back(static_cast<char>(filter));
    AppendBigEndian64(&payload, static_cast<uint64_t>(filter_millis));
    AppendBigEndian32(&payload, filter_index);
    AppendBigEndian32(&payload, last.ok() ? *last : 0);
    result.next_token = tokens_.Seal(kListShardsToken, payload);
  }
  return result;
}

}  // namespace eddy::broker
