#include "kcl/internal/records_publisher.h"

#include <algorithm>
#include <thread>

#include "common/errors.h"
#include "common/logging.h"
#include "kcl/internal/deaggregation.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

// The wire starting position for resuming after `position`.
void SetStart(const ExtendedSequenceNumber& position, int64_t timestamp_millis,
              v1::ShardIteratorType* type, std::string* sequence, int64_t* timestamp) {
  sequence->clear();
  *timestamp = 0;
  switch (position.kind()) {
    case ExtendedSequenceNumber::Kind::kTrimHorizon:
      *type = v1::TRIM_HORIZON;
      break;
    case ExtendedSequenceNumber::Kind::kLatest:
      *type = v1::LATEST;
      break;
    case ExtendedSequenceNumber::Kind::kAtTimestamp:
      *type = v1::AT_TIMESTAMP_ITERATOR;
      *timestamp = timestamp_millis;
      break;
    default:
      // AT the checkpoint, dropping what is ≤ it (sub-records of an aggregate may follow).
      *type = v1::AT_SEQUENCE_NUMBER;
      *sequence = position.sequence();
  }
}

std::vector<ChildShardInfo> ChildShards(
    const google::protobuf::RepeatedPtrField<v1::ChildShard>& wire) {
  std::vector<ChildShardInfo> out;
  for (const v1::ChildShard& child : wire) {
    ChildShardInfo info;
    info.id = child.shard_id();
    info.parent_ids.assign(child.parent_shards().begin(), child.parent_shards().end());
    common::ParseDecimalUint128(child.hash_key_range().starting_hash_key(), &info.hash_range.start);
    common::ParseDecimalUint128(child.hash_key_range().ending_hash_key(), &info.hash_range.end);
    out.push_back(std::move(info));
  }
  return out;
}

// Drops records at or before `after` (the last position already handed out).
void DropDelivered(const ExtendedSequenceNumber& after, std::vector<KinesisClientRecord>* records) {
  if (after.is_sentinel()) return;
  records->erase(
      std::remove_if(records->begin(), records->end(),
                     [&](const KinesisClientRecord& r) { return r.position() <= after; }),
      records->end());
}

class FanOutPublisher final : public RecordsPublisher {
 public:
  FanOutPublisher(client::StreamClient& client, std::string consumer_arn, ShardInfo shard,
                  StartPosition start)
      : client_(client),
        consumer_arn_(std::move(consumer_arn)),
        shard_(std::move(shard)),
        last_(start.checkpoint),
        timestamp_millis_(start.timestamp_millis) {}

  absl::StatusOr<Batch> Next(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    while (!stopped_.HasBeenNotified()) {
      if (reader_ == nullptr) Subscribe();
      v1::SubscribeToShardEvent event;
      if (reader_->Next(&event)) {
        backoff_ = absl::Milliseconds(50);
        Batch batch;
        for (const v1::Record& r : event.records()) {
          AppendUserRecords(r, shard_.id, shard_.hash_range, &batch.records);
        }
        DropDelivered(last_, &batch.records);
        if (!batch.records.empty()) last_ = batch.records.back().position();
        batch.millis_behind_latest = event.millis_behind_latest();
        batch.child_shards = ChildShards(event.child_shards());
        batch.shard_ended = event.child_shards_size() > 0;
        return batch;
      }
      absl::Status status = reader_->Finish();
      {
        absl::MutexLock lock(&mu_);
        current_ = nullptr;  // Stop() must never reach a reader that is gone
      }
      reader_.reset();
      if (stopped_.HasBeenNotified()) break;
      if (status.ok()) continue;  // the session ended: resubscribe after the last record
      if (common::ErrorType(status) == common::kResourceNotFound &&
          status.message().find("deleted") != absl::string_view::npos) {
        return status;
      }
      common::Logger("eddy.kcl")
          ->warn("shard={} subscription failed, resubscribing: {}", shard_.id, status.ToString());
      if (stopped_.WaitForNotificationWithTimeout(backoff_)) break;
      backoff_ = std::min(backoff_ * 2, absl::Seconds(2));
      if (absl::Now() > deadline) return Batch{};
    }
    return Batch{};
  }

  void Stop() override {
    absl::MutexLock lock(&mu_);
    if (!stopped_.HasBeenNotified()) stopped_.Notify();
    if (current_ != nullptr) current_->Cancel();
  }

 private:
  void Subscribe() {
    v1::SubscribeToShardRequest request;
    request.set_consumer_arn(consumer_arn_);
    request.set_shard_id(shard_.id);
    v1::ShardIteratorType type;
    std::string sequence;
    int64_t timestamp = 0;
    SetStart(last_, timestamp_millis_, &type, &sequence, &timestamp);
    request.mutable_starting_position()->set_type(type);
    request.mutable_starting_position()->set_sequence_number(sequence);
    request.mutable_starting_position()->set_timestamp_millis(timestamp);
    reader_ = client_.SubscribeToShard(request);
    absl::MutexLock lock(&mu_);
    current_ = reader_.get();
    if (stopped_.HasBeenNotified()) current_->Cancel();
  }

  client::StreamClient& client_;
  const std::string consumer_arn_;
  const ShardInfo shard_;
  ExtendedSequenceNumber last_;  // the last record handed out (or the start)
  const int64_t timestamp_millis_;
  std::unique_ptr<client::ShardSubscriptionReader> reader_;
  absl::Duration backoff_ = absl::Milliseconds(50);
  absl::Notification stopped_;
  absl::Mutex mu_;
  client::ShardSubscriptionReader* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

class PollingPublisher final : public RecordsPublisher {
 public:
  PollingPublisher(client::StreamClient& client, std::string stream_name, ShardInfo shard,
                   StartPosition start, absl::Duration idle)
      : client_(client),
        stream_name_(std::move(stream_name)),
        shard_(std::move(shard)),
        last_(start.checkpoint),
        timestamp_millis_(start.timestamp_millis),
        idle_(idle) {}

  absl::StatusOr<Batch> Next(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    while (!stopped_.HasBeenNotified() && absl::Now() < deadline) {
      if (iterator_.empty()) {
        v1::GetShardIteratorRequest request;
        request.mutable_stream()->set_stream_name(stream_name_);
        request.set_shard_id(shard_.id);
        v1::ShardIteratorType type;
        std::string sequence;
        int64_t timestamp = 0;
        SetStart(last_, timestamp_millis_, &type, &sequence, &timestamp);
        request.set_shard_iterator_type(type);
        request.set_starting_sequence_number(sequence);
        request.set_timestamp_millis(timestamp);
        auto response = client_.GetShardIterator(request);
        if (!response.ok()) {
          if (!common::IsRetryable(response.status()) &&
              common::ErrorType(response.status()) == common::kResourceNotFound) {
            return response.status();
          }
          stopped_.WaitForNotificationWithTimeout(idle_);
          continue;
        }
        iterator_ = response->shard_iterator();
      }
      v1::GetRecordsRequest get;
      get.set_shard_iterator(iterator_);
      auto response = client_.GetRecords(get);
      if (!response.ok()) {
        iterator_.clear();  // expired or throttled: get a fresh one after the last record
        stopped_.WaitForNotificationWithTimeout(idle_);
        continue;
      }
      Batch batch;
      for (const v1::Record& r : response->records()) {
        AppendUserRecords(r, shard_.id, shard_.hash_range, &batch.records);
      }
      DropDelivered(last_, &batch.records);
      if (!batch.records.empty()) last_ = batch.records.back().position();
      batch.millis_behind_latest = response->millis_behind_latest();
      iterator_ = response->next_shard_iterator();
      if (iterator_.empty()) {
        batch.shard_ended = true;
        batch.child_shards = ChildShards(response->child_shards());
        return batch;
      }
      if (!batch.records.empty()) return batch;
      stopped_.WaitForNotificationWithTimeout(idle_);
    }
    return Batch{};
  }

  void Stop() override {
    if (!stopped_.HasBeenNotified()) stopped_.Notify();
  }

 private:
  client::StreamClient& client_;
  const std::string stream_name_;
  const ShardInfo shard_;
  ExtendedSequenceNumber last_;
  const int64_t timestamp_millis_;
  const absl::Duration idle_;
  std::string iterator_;
  absl::Notification stopped_;
};

}  // namespace

std::unique_ptr<RecordsPublisher> MakeFanOutPublisher(client::StreamClient& client,
                                                      std::string consumer_arn, ShardInfo shard,
                                                      StartPosition start) {
  return std::make_unique<FanOutPublisher>(client, std::move(consumer_arn), std::move(shard),
                                           start);
}

std::unique_ptr<RecordsPublisher> MakePollingPublisher(client::StreamClient& client,
                                                       std::string stream_name, ShardInfo shard,
                                                       StartPosition start, absl::Duration idle) {
  return std::make_unique<PollingPublisher>(client, std::move(stream_name), std::move(shard), start,
                                            idle);
}

}  // namespace eddy::kcl::internal
