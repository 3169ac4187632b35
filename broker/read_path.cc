// StreamBroker: GetShardIterator and GetRecords.
//
// A shard iterator seals (stream id, shard index, next counter to read, issue time); see
// docs/storage-format.md. Reading never passes the shard's committed counter, never
// returns records older than the retention period, and stops at a closed shard's end.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "broker/sequence_number.h"
#include "broker/stream_broker.h"
#include "broker/validation.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

constexpr char kIteratorToken = 'I';
constexpr size_t kIteratorPayloadBytes = 8 + 4 + 8 + 8;

struct IteratorPosition {
  uint64_t stream_id = 0;
  uint32_t shard_index = 0;
  uint64_t next_counter = 0;
  int64_t issued_millis = 0;
};

std::string EncodeIterator(const IteratorPosition& position) {
  std::string payload;
  AppendBigEndian64(&payload, position.stream_id);
  AppendBigEndian32(&payload, position.shard_index);
  AppendBigEndian64(&payload, position.next_counter);
  AppendBigEndian64(&payload, static_cast<uint64_t>(position.issued_millis));
  return payload;
}

IteratorPosition DecodeIterator(absl::string_view payload) {
  IteratorPosition position;
  position.stream_id = ReadBigEndian64(payload);
  position.shard_index = ReadBigEndian32(payload.substr(8));
  position.next_counter = ReadBigEndian64(payload.substr(12));
  position.issued_millis = static_cast<int64_t>(ReadBigEndian64(payload.substr(20)));
  return position;
}

absl::Status ShardNotFound(absl::string_view shard_id, const StreamState& stream) {
  return common::ResourceNotFound(absl::StrCat("Shard ", shard_id, " in stream ", stream.name,
                                               " under account 000000000000 does not exist"));
}

}  // namespace

absl::StatusOr<uint64_t> StreamBroker::ResolveStartingCounter(
    const StreamState& stream, const ShardState& shard, IteratorType type,
    const std::string& starting_sequence_number, int64_t timestamp_millis) const {
  const bool by_sequence =
      type == IteratorType::kAtSequenceNumber || type == IteratorType::kAfterSequenceNumber;
  if (!by_sequence && !starting_sequence_number.empty()) {
    return common::InvalidArgument(
        "StartingSequenceNumber is only valid with AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER.");
  }
  if (type != IteratorType::kAtTimestamp && timestamp_millis != 0) {
    return common::InvalidArgument("Timestamp is only valid with AT_TIMESTAMP.");
  }

  const uint64_t committed = shard.committed.load();
  const uint64_t ending = shard.ending_counter.load();
  uint64_t next_counter = 0;
  switch (type) {
    case IteratorType::kTrimHorizon:
      next_counter = 0;  // reads start at the oldest unexpired record
      break;
    case IteratorType::kLatest:
      next_counter = (ending != 0 ? ending : committed) + 1;
      break;
    case IteratorType::kAtTimestamp:
      if (absl::Status s = ValidateRequiredTimestamp("Timestamp", "AT_TIMESTAMP", timestamp_millis);
          !s.ok()) {
        return s;
      }
      if (timestamp_millis > clock_.NowMillis()) {
        return common::InvalidArgument(absl::StrCat("The timestamp ", timestamp_millis,
                                                    " ms is in the future (now ",
                                                    clock_.NowMillis(), " ms)."));
      }
      next_counter = CounterAtMillis(timestamp_millis);
      break;
    case IteratorType::kAtSequenceNumber:
    case IteratorType::kAfterSequenceNumber: {
      if (starting_sequence_number.empty()) {
        return common::InvalidArgument(
            "StartingSequenceNumber is required with AT_SEQUENCE_NUMBER and "
            "AFTER_SEQUENCE_NUMBER.");
      }
      absl::StatusOr<SequenceNumber> number =
          ParseSequenceNumber(starting_sequence_number, "StartingSequenceNumber");
      if (!number.ok()) return number.status();
      if (number->stream_tag != StreamTagOf(stream.id)) {
        return common::InvalidArgument(absl::StrCat(
            "StartingSequenceNumber ", starting_sequence_number, " used on shard ", shard.shard_id,
            " in stream ", stream.name,
            " under account 000000000000 is invalid because it did not come from this stream."));
      }
      if (number->shard_index != shard.index) {
        return common::InvalidArgument(
            absl::StrCat("Invalid StartingSequenceNumber. Sequence number ",
                         starting_sequence_number, " encodes ", FormatShardId(number->shard_index),
                         ", while it was used in a call to a shard with ", shard.shard_id, "."));
      }
      const uint64_t limit = ending != 0 ? ending : committed;
      if (number->counter > limit || number->counter < shard.starting_counter) {
        return common::InvalidArgument(absl::StrCat("StartingSequenceNumber ",
                                                    starting_sequence_number, " is outside shard ",
                                                    shard.shard_id, "'s sequence number range."));
      }
      next_counter = number->counter + (type == IteratorType::kAfterSequenceNumber ? 1 : 0);
      break;
    }
    default:
      return common::InvalidArgument(
          "ShardIteratorType must be one of AT_SEQUENCE_NUMBER, "
          "AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP.");
  }
  return next_counter;
}

absl::StatusOr<ShardIteratorResult> StreamBroker::GetShardIterator(
    const GetShardIteratorParams& params) const {
  absl::StatusOr<std::shared_ptr<StreamState>> found = catalog_->Find(params.stream);
  if (!found.ok()) return found.status();
  const StreamState& stream = **found;
  absl::StatusOr<uint32_t> index = ParseShardId(params.shard_id);
  if (!index.ok()) return index.status();
  std::shared_ptr<ShardState> shard = stream.FindShard(*index);
  if (shard == nullptr) return ShardNotFound(params.shard_id, stream);

  absl::StatusOr<uint64_t> next = ResolveStartingCounter(
      stream, *shard, params.type, params.starting_sequence_number, params.timestamp_millis);
  if (!next.ok()) return next.status();
  const IteratorPosition position{stream.id, shard->index, *next, clock_.NowMillis()};
  ShardIteratorResult result;
  result.iterator = tokens_.Seal(kIteratorToken, EncodeIterator(position));
  const uint64_t before = shard->ResumeAfterCounter(*next, shard->LastReadableCounter());
  result.starts_after_sequence_number =
      FormatSequenceNumber(SequenceNumber{StreamTagOf(stream.id), shard->index, before});
  return result;
}

absl::StatusOr<GetRecordsResult> StreamBroker::GetRecords(absl::string_view shard_iterator,
                                                          int limit,
                                                          absl::string_view stream_arn) const {
  const BrokerLimits& limits = options_.limits;
  if (absl::Status s = ValidateRange("limit", limit, 1, limits.get_records_max_records); !s.ok()) {
    return s;
  }
  if (shard_iterator.empty()) return common::InvalidArgument("ShardIterator is required.");
  absl::StatusOr<std::string> payload =
      tokens_.Open(kIteratorToken, shard_iterator, "ShardIterator");
  if (!payload.ok()) return payload.status();
  if (payload->size() != kIteratorPayloadBytes) {
    return common::InvalidArgument("Invalid ShardIterator.");
  }
  const IteratorPosition position = DecodeIterator(*payload);
  const int64_t now = clock_.NowMillis();
  if (now - position.issued_millis > options_.iterator_ttl_millis) {
    return common::ExpiredIterator(
        absl::StrCat("Iterator expired. The iterator was created at time ", position.issued_millis,
                     " while right now it is ", now,
                     " which is further in the future than the tolerated "
                     "delay of ",
                     options_.iterator_ttl_millis, " milliseconds."));
  }
  std::shared_ptr<StreamState> stream = catalog_->FindById(position.stream_id);
  if (stream == nullptr) {
    return common::ResourceNotFound("The stream of this ShardIterator no longer exists.");
  }
  if (!stream_arn.empty() && stream_arn != stream->arn) {
    return common::InvalidArgument(
        absl::StrCat("StreamARN ", stream_arn, " is not the stream of this ShardIterator."));
  }
  std::shared_ptr<ShardState> shard = stream->FindShard(position.shard_index);
  if (shard == nullptr) return ShardNotFound(FormatShardId(position.shard_index), *stream);

  if (limits.throughput_enforced) {
    if (!shard->read_bytes.HasTokens() || !shard->read_calls.TryTake(1)) {
      return common::ThroughputExceeded(
          absl::StrCat("Rate exceeded for shard ", shard->shard_id, " in stream ", stream->name,
                       " under account 000000000000 (", limits.read_calls_per_second, " calls/s, ",
                       limits.read_bytes_per_second, " bytes/s)."));
    }
  }

  const uint64_t ending = shard->ending_counter.load();
  const uint64_t committed = shard->committed.load();
  const uint64_t last_readable = ending != 0 ? std::min(committed, ending) : committed;
  ReadRange range;
  range.stream_id = stream->id;
  range.shard_index = shard->index;
  range.from_counter = std::max(position.next_counter, TrimHorizonCounter(*stream));
  range.to_counter = last_readable;
  range.max_records = limit;
  range.max_bytes = limits.get_records_max_bytes;
  absl::StatusOr<std::vector<StoredRecord>> stored = store_->Read(range);
  if (!stored.ok()) return stored.status();

  GetRecordsResult result;
  int64_t bytes = 0;
  const uint32_t tag = StreamTagOf(stream->id);
  uint64_t next = range.from_counter;
  int64_t last_arrival = 0;
  for (StoredRecord& record : *stored) {
    bytes += static_cast<int64_t>(record.data.size() + record.partition_key.size());
    next = record.counter + 1;
    last_arrival = MillisOfCounter(record.counter);
    result.records.push_back(
        RecordOut{FormatSequenceNumber(SequenceNumber{tag, shard->index, record.counter}),
                  last_arrival, std::move(record.partition_key), std::move(record.data)});
  }
  // Nothing in [from, last readable]: continue past it (a closed shard then reports its end).
  if (result.records.empty()) next = std::max(next, last_readable + 1);
  if (limits.throughput_enforced) shard->read_bytes.TakeAllowingDebt(static_cast<double>(bytes));
  result.millis_behind_latest =
      next > last_readable || result.records.empty() ? 0 : std::max<int64_t>(0, now - last_arrival);
  if (ending != 0 && next > ending) {
    result.child_shards = stream->ChildrenOf(*shard);  // fully read: no next iterator
  } else {
    result.next_shard_iterator = tokens_.Seal(
        kIteratorToken, EncodeIterator(IteratorPosition{stream->id, shard->index, next, now}));
  }
  return result;
}

}  // namespace eddy::broker
