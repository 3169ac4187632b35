// StreamBroker: PutRecord and PutRecords — validation, routing, throttling, group commit.
#include <memory>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "broker/sequence_number.h"
#include "broker/stream_broker.h"
#include "broker/validation.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {

absl::Status Throttled(const StreamState& stream, const ShardState& shard) {
  return common::ThroughputExceeded(absl::StrCat("Rate exceeded for shard ", shard.shard_id,
                                                 " in stream ", stream.name,
                                                 " under account 000000000000."));
}

// Field names as Kinesis reports them: "data" for PutRecord, "records.3.member.data" for
// the fourth entry of PutRecords.
std::string FieldName(bool single, size_t index, absl::string_view field) {
  return single ? std::string(field) : absl::StrCat("records.", index + 1, ".member.", field);
}

// An explicit hash key that was sent: empty is refused as AWS refuses it (not "none").
absl::StatusOr<common::HashKey> ParseExplicitHashKey(absl::string_view text,
                                                     const std::string& field) {
  if (text.empty()) {
    return common::ValidationError(absl::StrCat(
        "1 validation error detected: Value '' at '", field,
        "' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "0|([1-9]\\d{0,38})"));
  }
  return common::ParseHashKey(text, field);
}

}  // namespace

void StreamBroker::PutRecords(const StreamRef& stream, std::vector<PutEntry> entries,
                              PutDone done) {
  PutInternal(stream, std::move(entries), /*single=*/false, std::move(done));
}

void StreamBroker::PutRecord(const StreamRef& stream, PutEntry entry,
                             absl::string_view sequence_number_for_ordering, PutDone done) {
  // Every new record's sequence number exceeds every earlier one of its shard, so a valid
  // SequenceNumberForOrdering is always honoured; it only has to be well formed.
  if (!sequence_number_for_ordering.empty()) {
    absl::StatusOr<SequenceNumber> parsed =
        ParseSequenceNumber(sequence_number_for_ordering, "SequenceNumberForOrdering");
    if (!parsed.ok()) {
      done(parsed.status());
      return;
    }
  }
  PutInternal(stream, {entry}, /*single=*/true, std::move(done));
}

void StreamBroker::PutInternal(const StreamRef& ref, std::vector<PutEntry> entries, bool single,
                               PutDone done) {
  absl::StatusOr<std::shared_ptr<StreamState>> found = catalog_->Find(ref);
  if (!found.ok()) return done(found.status());
  const std::shared_ptr<StreamState> stream = *found;
  const BrokerLimits& limits = options_.limits;

  if (!single) {
    if (absl::Status s = ValidateRange("records", static_cast<int64_t>(entries.size()), 1,
                                       limits.put_records_max_records);
        !s.ok()) {
      return done(s);
    }
  }
  // Larger records are allowed a larger request, as Kinesis does.
  const int64_t max_request_bytes = stream->max_record_size_kib > kMinRecordSizeKib
                                        ? 2 * limits.put_records_max_bytes
                                        : limits.put_records_max_bytes;
  int64_t request_bytes = 0;
  std::vector<std::shared_ptr<ShardState>> routed(entries.size());
  std::vector<common::HashKey> hash_keys(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const PutEntry& entry = entries[i];
    if (absl::Status s = ValidatePartitionKey(entry.partition_key); !s.ok()) {
      return done(common::ValidationError(
          absl::StrCat(FieldName(single, i, "partitionKey"), ": ", s.message())));
    }
    const int64_t size = static_cast<int64_t>(entry.data.size() + entry.partition_key.size());
    if (size > stream->MaxRecordBytes()) {
      return done(common::ValidationError(absl::StrCat(
          "1 validation error detected: Value at '", FieldName(single, i, "data"),
          "' failed to satisfy constraint: data and partition key together must be at most ",
          stream->MaxRecordBytes(), " bytes (got ", size, ")")));
    }
    request_bytes += size;
    common::HashKey key = 0;
    if (entry.explicit_hash_key.has_value()) {
      absl::StatusOr<common::HashKey> parsed =
          ParseExplicitHashKey(*entry.explicit_hash_key, FieldName(single, i, "explicitHashKey"));
      if (!parsed.ok()) return done(parsed.status());
      key = *parsed;
    } else {
      key = common::HashKeyOfPartitionKey(entry.partition_key);
    }
    hash_keys[i] = key;
    routed[i] = stream->RouteHashKey(key);
    if (routed[i] == nullptr) {
      return done(common::InternalFailure("no open shard covers the record's hash key"));
    }
  }
  if (!single && request_bytes > max_request_bytes) {
    return done(common::InvalidArgument(absl::StrCat("Records size exceeds ", max_request_bytes,
                                                     " bytes limit (got ", request_bytes, ").")));
  }

  // Throttling: once a record of a shard is refused, every later record of that shard in
  // this request is refused too, so a producer that retries failures in order keeps each
  // partition key's order.
  auto outcomes = std::make_shared<std::vector<PutOutcome>>(entries.size());
  std::vector<CommitQueue::Entry> to_commit;
  std::vector<size_t> committed_index;
  std::unordered_set<const ShardState*> throttled;
  for (size_t i = 0; i < entries.size(); ++i) {
    ShardState& shard = *routed[i];
    bool admitted = true;
    if (limits.throughput_enforced) {
      const double bytes =
          static_cast<double>(entries[i].data.size() + entries[i].partition_key.size());
      admitted = throttled.count(&shard) == 0 && shard.write_records.TryTake(1);
      if (admitted && !shard.write_bytes.TryTake(bytes)) {
        shard.write_records.TakeAllowingDebt(-1);  // give the record token back
        admitted = false;
      }
    }
    if (!admitted) {
      throttled.insert(&shard);
      (*outcomes)[i].status = Throttled(*stream, shard);
      continue;
    }
    (*outcomes)[i].shard_id = shard.shard_id;
    to_commit.push_back(CommitQueue::Entry{routed[i], stream, hash_keys[i],
                                           entries[i].partition_key, entries[i].data});
    committed_index.push_back(i);
  }
  if (single && !(*outcomes)[0].status.ok()) return done((*outcomes)[0].status);
  if (to_commit.empty()) return done(std::move(*outcomes));

  const uint32_t tag = StreamTagOf(stream->id);
  commit_queue_.Submit(
      std::move(to_commit),
      [outcomes, committed_index = std::move(committed_index), tag, single,
       done = std::move(done)](absl::StatusOr<std::vector<CommitQueue::Assignment>> counters) {
        if (!counters.ok() && single) return done(counters.status());
        for (size_t j = 0; j < committed_index.size(); ++j) {
          PutOutcome& outcome = (*outcomes)[committed_index[j]];
          if (!counters.ok()) {
            outcome.status = common::InternalFailure(counters.status().message());
            outcome.shard_id.clear();
            continue;
          }
          const CommitQueue::Assignment& assigned = (*counters)[j];
          outcome.shard_id = assigned.shard->shard_id;
          outcome.sequence_number =
              FormatSequenceNumber(SequenceNumber{tag, assigned.shard->index, assigned.counter});
        }
        done(std::move(*outcomes));
      });
}

}  // namespace eddy::broker
