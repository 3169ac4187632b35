#include "tests/integration/keyed_producer.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "aggregation/aggregate.h"
#include "common/errors.h"
#include "common/hash_key.h"

namespace eddy::testing {

KeyedProducer::KeyedProducer(const std::string& endpoint, std::string stream,
                             int records_per_aggregate)
    : stream_(std::move(stream)),
      records_per_aggregate_(records_per_aggregate),
      client_(std::make_unique<client::StreamClient>(
          client::StreamClientOptions{endpoint, std::chrono::seconds(10)})) {}

std::string KeyedProducer::EntryData(const std::string& key, int64_t counter) const {
  auto record = [&](int64_t c) { return absl::StrCat("eddy-produce|", key, "|", c, "|"); };
  if (records_per_aggregate_ <= 0) return record(counter);
  aggregation::AggregateBuilder builder;
  for (int i = 0; i < records_per_aggregate_; ++i) builder.Add({key, "", record(counter + i)});
  return builder.Build();
}

absl::Status KeyedProducer::Put(const std::vector<std::string>& keys, int per_key,
                                absl::Duration deadline) {
  const absl::Time give_up = absl::Now() + deadline;
  const int per_entry = std::max(records_per_aggregate_, 1);
  for (int round = 0; round < per_key; ++round) {
    std::vector<std::string> pending = keys;  // one entry each, this round
    absl::Duration backoff = absl::Milliseconds(20);
    while (!pending.empty()) {
      if (absl::Now() > give_up) {
        return absl::DeadlineExceededError(
            absl::StrCat("records still unacknowledged after ", absl::FormatDuration(deadline)));
      }
      v1::PutRecordsRequest request;
      request.mutable_stream()->set_stream_name(stream_);
      {
        absl::MutexLock lock(&mu_);
        for (const std::string& key : pending) {
          v1::PutRecordsRequestEntry* entry = request.add_records();
          entry->set_partition_key(key);
          entry->set_data(EntryData(key, next_[key]));
        }
      }
      absl::StatusOr<v1::PutRecordsResponse> response = client_->PutRecords(request);
      if (!response.ok()) {
        // Maybe written, maybe not (a broker killed mid-call): sent again, at least once.
        std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
        backoff = std::min(backoff * 2, absl::Milliseconds(500));
        continue;
      }
      std::vector<std::string> refused;
      {
        absl::MutexLock lock(&mu_);
        const int64_t now = absl::ToUnixMicros(absl::Now());
        for (int i = 0; i < response->records_size(); ++i) {
          const v1::PutRecordsResultEntry& result = response->records(i);
          const std::string& key = pending[static_cast<size_t>(i)];
          if (!result.error_code().empty()) {
            refused.push_back(key);
            continue;
          }
          for (int sub = 0; sub < per_entry; ++sub) {
            acked_.push_back(
                AckedRecord{key, next_[key]++, result.shard_id(), result.sequence_number(),
                            records_per_aggregate_ > 0 ? static_cast<uint64_t>(sub) : 0, now});
          }
        }
      }
      pending = std::move(refused);
      if (!pending.empty()) std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    }
  }
  return absl::OkStatus();
}

std::map<std::string, int64_t> KeyedProducer::Produced() const {
  absl::MutexLock lock(&mu_);
  return next_;
}

std::vector<AckedRecord> KeyedProducer::Acked() const {
  absl::MutexLock lock(&mu_);
  return acked_;
}

std::string HashKeyOf(const std::string& partition_key) {
  return common::FormatUint128(common::HashKeyOfPartitionKey(partition_key));
}

}  // namespace eddy::testing
