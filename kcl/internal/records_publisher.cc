#include "kcl/internal/records_publisher.h"

#include <algorithm>
#include <thread>

#include "client/backoff.h"
#include "common/errors.h"
#include "common/logging.h"
#include "kcl/internal/deaggregation.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

// How often a subscription that has sent nothing at all (not even a heartbeat: the broker
// sends one every 5 s) is given up and replaced.
constexpr absl::Duration kResubscribeAfterSilence = absl::Seconds(20);

using Position = client::StartingPosition;

// Where a publisher resumes: after the last record it handed out (`last`), or after the
// continuation the stream reported; before either, at the start position — with LATEST
// resolved once (`latest_asked_millis`: when it was first asked for, 0 before).
Position ResumePosition(const ExtendedSequenceNumber& last, const std::string& continuation,
                        int64_t start_timestamp_millis, int64_t latest_asked_millis) {
  Position position;
  if (!continuation.empty()) {
    position.type = Position::Type::kAfterSequenceNumber;
    position.sequence_number = continuation;
    return position;
  }
  switch (last.kind()) {
    case ExtendedSequenceNumber::Kind::kTrimHorizon:
      position.type = Position::Type::kTrimHorizon;
      break;
    case ExtendedSequenceNumber::Kind::kLatest:
      if (latest_asked_millis == 0) {
        position.type = Position::Type::kLatest;
      } else {
        // "Latest" was asked for before and never answered with a position: everything
        // that arrived since then is after it.
        position.type = Position::Type::kAtTimestamp;
        position.timestamp_millis = latest_asked_millis;
      }
      break;
    case ExtendedSequenceNumber::Kind::kAtTimestamp:
      position.type = Position::Type::kAtTimestamp;
      position.timestamp_millis = start_timestamp_millis;
      break;
    default:
      // AT the last record, dropping what is ≤ it (sub-records of an aggregate may follow).
      position.type = Position::Type::kAtSequenceNumber;
      position.sequence_number = last.sequence();
  }
  return position;
}

int64_t NowMillis() { return absl::ToUnixMillis(absl::Now()); }

// GetRecords' limit: as many as Kinesis gives in one call.
constexpr int kMaxRecords = 10'000;

std::vector<ChildShardInfo> ChildShards(std::vector<client::ChildShard>&& children) {
  std::vector<ChildShardInfo> out;
  for (client::ChildShard& child : children) {
    out.push_back(ChildShardInfo{std::move(child.shard_id), std::move(child.parent_shard_ids),
                                 child.hash_range});
  }
  return out;
}

// Appends the user records of `records` to `out`, counting those outside the shard's range.
void Unpack(std::vector<client::StreamRecord>&& records, const ShardInfo& shard,
            std::vector<KinesisClientRecord>* out) {
  for (client::StreamRecord& r : records) {
    const int outside =
        AppendUserRecords(std::move(r), shard.id, shard.hash_range, shard.out_of_range, out);
    if (outside > 0 && shard.out_of_range_count != nullptr) *shard.out_of_range_count += outside;
  }
}

// Drops records at or before `after` (the last position already handed out).
void DropDelivered(const ExtendedSequenceNumber& after, std::vector<KinesisClientRecord>* records) {
  if (after.is_sentinel()) return;
  records->erase(
      std::remove_if(records->begin(), records->end(),
                     [&](const KinesisClientRecord& r) { return r.position() <= after; }),
      records->end());
}

// The children of `shard_id` as ListShards names them — only if it also shows the shard
// closed and with at least one child. An answer that merely lacks a next iterator (or names
// no children) must not end a shard: its unread records would be lost for good.
std::optional<std::vector<ChildShardInfo>> ListedChildrenOfClosed(client::StreamConnection& streams,
                                                                  const client::StreamRef& stream,
                                                                  const std::string& shard_id) {
  absl::StatusOr<std::vector<client::ShardDescription>> shards =
      streams.ListShards(stream, client::ShardFilter{});
  if (!shards.ok()) return std::nullopt;
  bool closed = false;
  std::vector<ChildShardInfo> children;
  for (const client::ShardDescription& s : *shards) {
    if (s.shard_id == shard_id) closed = s.closed();
    if (s.parent_shard_id != shard_id && s.adjacent_parent_shard_id != shard_id) continue;
    ChildShardInfo child{s.shard_id, {s.parent_shard_id}, s.hash_range};
    if (!s.adjacent_parent_shard_id.empty()) child.parent_ids.push_back(s.adjacent_parent_shard_id);
    children.push_back(std::move(child));
  }
  if (!closed || children.empty()) return std::nullopt;
  return children;
}

class FanOutPublisher final : public RecordsPublisher {
 public:
  FanOutPublisher(client::StreamConnection& streams, client::StreamRef stream,
                  std::string consumer_arn, ShardInfo shard, StartPosition start,
                  absl::Duration probe_interval)
      : streams_(streams),
        stream_(std::move(stream)),
        consumer_arn_(std::move(consumer_arn)),
        shard_(std::move(shard)),
        last_(start.checkpoint),
        timestamp_millis_(start.timestamp_millis),
        probe_interval_(probe_interval),
        next_probe_(absl::Now() + probe_interval) {}

  absl::StatusOr<Batch> Next(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    while (!stopped_.HasBeenNotified()) {
      if (reader_ == nullptr) {
        // A backoff cut short by an earlier call's deadline goes on here.
        if (const absl::Duration wait = resubscribe_at_ - absl::Now();
            wait > absl::ZeroDuration()) {
          if (absl::Now() >= deadline) return Batch{};
          if (stopped_.WaitForNotificationWithTimeout(std::min(wait, deadline - absl::Now()))) {
            break;
          }
          continue;
        }
        Subscribe();
      }
      client::SubscriptionEvent event;
      const absl::Duration silence_left = last_event_ + kResubscribeAfterSilence - absl::Now();
      const auto result = reader_->Next(
          &event, std::max(absl::ZeroDuration(), std::min(deadline - absl::Now(), silence_left)));
      if (result == client::Subscription::Result::kEvent) {
        last_event_ = absl::Now();
        session_delivered_ = true;
        transient_failures_ = 0;
        backoff_.Reset();
        return ToBatch(std::move(event));
      }
      if (result == client::Subscription::Result::kTimedOut) {
        if (absl::Now() < last_event_ + kResubscribeAfterSilence) return Batch{};  // our deadline
        common::Logger("eddy.kcl")
            ->warn("shard={} subscription silent for {}: resubscribing", shard_.id,
                   absl::FormatDuration(kResubscribeAfterSilence));
        reader_->Cancel();
      }
      const bool delivered = session_delivered_;
      absl::Status status = EndReader();
      if (stopped_.HasBeenNotified()) break;
      // The session ended: resubscribe after the last record (at once, if it carried events).
      if (status.ok() && delivered) continue;
      if (common::ErrorType(status) == common::kResourceNotFound && StreamIsGone()) {
        return status;
      }
      // An endpoint may refuse (or end at once) sessions on a shard read to its end, never
      // naming its children: ask, as at an idle event, or it is resubscribed forever. Not
      // after one transient failure (unavailable, internal): the probe's calls would most
      // likely fail the same way and hold up this call. Only when they keep coming: an
      // endpoint may answer sessions on such a shard with an InternalFailure every time.
      transient_failures_ = common::IsRetryable(status)
                                ? std::min(transient_failures_ + 1, kTransientFailuresBeforeProbe)
                                : 0;
      if (transient_failures_ == 0 || transient_failures_ >= kTransientFailuresBeforeProbe) {
        if (std::optional<Batch> ended = ProbeAfterRefusal()) return std::move(*ended);
      }
      common::Logger("eddy.kcl")
          ->warn("shard={} subscription {}, resubscribing: {}", shard_.id,
                 status.ok() ? "ended before its first event" : "failed", status.ToString());
      resubscribe_at_ = absl::Now() + backoff_.Next();
    }
    return Batch{};
  }

  void Stop() override {
    absl::MutexLock lock(&mu_);
    if (!stopped_.HasBeenNotified()) stopped_.Notify();
    if (current_ != nullptr) current_->Cancel();
  }

 private:
  // A ResourceNotFound says the consumer, the shard or the stream is gone; only the last
  // ends the shard's reading (the others may be a consumer re-registered, a listing ahead
  // of this endpoint). Asked, not read from the message: AWS words it as it likes.
  bool StreamIsGone() {
    absl::StatusOr<client::StreamSummary> summary = streams_.DescribeStreamSummary(stream_);
    return !summary.ok() && common::ErrorType(summary.status()) == common::kResourceNotFound;
  }

  Batch ToBatch(client::SubscriptionEvent&& event) {
    Batch batch;
    const bool shard_ended = !event.child_shards.empty();
    Unpack(std::move(event.records), shard_, &batch.records);
    DropDelivered(last_, &batch.records);
    if (!batch.records.empty()) last_ = batch.records.back().position();
    if (!event.continuation_sequence_number.empty()) {
      continuation_ = std::move(event.continuation_sequence_number);
      absl::StatusOr<ExtendedSequenceNumber> resume = ExtendedSequenceNumber::Of(continuation_);
      if (resume.ok()) batch.resume_after = *resume;
    }
    batch.millis_behind_latest = event.millis_behind_latest;
    batch.child_shards = ChildShards(std::move(event.child_shards));
    batch.shard_ended = shard_ended;
    if (!shard_ended && batch.records.empty() && event.millis_behind_latest == 0 &&
        absl::Now() >= next_probe_) {
      next_probe_ = absl::Now() + probe_interval_;
      if (std::optional<std::vector<ChildShardInfo>> children = ProbeShardEnd()) {
        common::Logger("eddy.kcl")
            ->info("shard={} read to its end (asked: the endpoint sent no child shards)",
                   shard_.id);
        batch.shard_ended = true;
        batch.child_shards = std::move(*children);
      }
    }
    return batch;
  }

  // After a session that failed or brought nothing: the shard's end, if the probe is due
  // and finds it.
  std::optional<Batch> ProbeAfterRefusal() {
    if (absl::Now() < next_probe_) return std::nullopt;
    next_probe_ = absl::Now() + probe_interval_;
    std::optional<std::vector<ChildShardInfo>> children = ProbeShardEnd();
    if (!children) return std::nullopt;
    common::Logger("eddy.kcl")
        ->info("shard={} read to its end (asked: the endpoint refused sessions on it)", shard_.id);
    Batch batch;
    batch.shard_ended = true;
    batch.child_shards = std::move(*children);
    return batch;
  }

  // Whether the shard was read to its end, asked by polling from where a resubscription
  // would start: its children if so (from the answer, else from ListShards).
  std::optional<std::vector<ChildShardInfo>> ProbeShardEnd() {
    const Position start =
        ResumePosition(last_, continuation_, timestamp_millis_, latest_asked_millis_);
    if (start.type == Position::Type::kLatest) return std::nullopt;  // not asked yet
    absl::StatusOr<client::ShardIterator> iterator =
        streams_.GetShardIterator(stream_, shard_.id, start);
    if (!iterator.ok() || iterator->iterator.empty()) return std::nullopt;
    std::string next = iterator->iterator;
    // AT the last record answers it again first: read on past what was handed out.
    for (int page = 0; page < 3 && !next.empty(); ++page) {
      absl::StatusOr<client::RecordsPage> records = streams_.GetRecords(next, 100);
      if (!records.ok()) return std::nullopt;
      std::vector<KinesisClientRecord> unpacked;
      Unpack(std::move(records->records), ShardInfo{shard_.id, shard_.hash_range}, &unpacked);
      DropDelivered(last_, &unpacked);
      if (!unpacked.empty()) return std::nullopt;  // more to come over the subscription
      next = std::move(records->next_shard_iterator);
      if (next.empty() && !records->child_shards.empty()) {
        return ChildShards(std::move(records->child_shards));
      }
    }
    if (!next.empty()) return std::nullopt;
    return ListedChildrenOfClosed(streams_, stream_, shard_.id);
  }

  absl::Status EndReader() {
    absl::Status status = reader_->Finish();
    {
      absl::MutexLock lock(&mu_);
      current_ = nullptr;  // Stop() must never reach a reader that is gone
    }
    reader_.reset();
    return status;
  }

  void Subscribe() {
    const bool asking_latest = continuation_.empty() && last_ == ExtendedSequenceNumber::Latest() &&
                               latest_asked_millis_ == 0;
    const int64_t asked_at = NowMillis();
    const Position start =
        ResumePosition(last_, continuation_, timestamp_millis_, latest_asked_millis_);
    if (asking_latest) latest_asked_millis_ = asked_at;
    reader_ = streams_.SubscribeToShard(consumer_arn_, shard_.id, start);
    last_event_ = absl::Now();
    session_delivered_ = false;
    absl::MutexLock lock(&mu_);
    current_ = reader_.get();
    if (stopped_.HasBeenNotified()) current_->Cancel();
  }

  client::StreamConnection& streams_;
  const client::StreamRef stream_;
  const std::string consumer_arn_;
  const ShardInfo shard_;
  ExtendedSequenceNumber last_;  // the last record handed out (or the start)
  std::string continuation_;     // the stream's last continuation ("" before any)
  const int64_t timestamp_millis_;
  int64_t latest_asked_millis_ = 0;
  const absl::Duration probe_interval_;
  absl::Time next_probe_;
  bool session_delivered_ = false;  // the current session has handed out an event
  std::unique_ptr<client::Subscription> reader_;
  absl::Time last_event_;
  client::Backoff backoff_{{absl::Milliseconds(50), absl::Seconds(2)}};
  absl::Time resubscribe_at_ = absl::InfinitePast();  // no session before (a backoff's end)
  // Sessions in a row that failed transiently; the probe waits for this many.
  static constexpr int kTransientFailuresBeforeProbe = 3;
  int transient_failures_ = 0;
  absl::Notification stopped_;
  absl::Mutex mu_;
  client::Subscription* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

class PollingPublisher final : public RecordsPublisher {
 public:
  PollingPublisher(client::StreamConnection& streams, client::StreamRef stream, ShardInfo shard,
                   StartPosition start, absl::Duration idle, int max_calls_per_second)
      : streams_(streams),
        stream_(std::move(stream)),
        shard_(std::move(shard)),
        last_(start.checkpoint),
        timestamp_millis_(start.timestamp_millis),
        idle_(idle),
        call_spacing_(max_calls_per_second > 0 ? absl::Seconds(1) / max_calls_per_second
                                               : absl::ZeroDuration()) {}

  absl::StatusOr<Batch> Next(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    // Every pause ends by the deadline: the caller checks its lease and shutdown between
    // calls, and a pause of the idle time or a backoff must not hold that up. A pause cut
    // short is not forgotten: not_before_ carries it into the next call. True if stopped.
    auto pause = [&](absl::Duration wait) {
      return stopped_.WaitForNotificationWithTimeout(std::min(wait, deadline - absl::Now()));
    };
    auto hold_off = [&](absl::Duration wait) { not_before_ = absl::Now() + wait; };
    while (!stopped_.HasBeenNotified() && absl::Now() < deadline) {
      if (const absl::Duration wait = not_before_ - absl::Now(); wait > absl::ZeroDuration()) {
        if (pause(wait)) break;
        continue;  // the deadline may have come first
      }
      if (iterator_.empty()) {
        absl::Status status = FetchIterator();
        if (!status.ok()) {
          if (!common::IsRetryable(status) &&
              common::ErrorType(status) == common::kResourceNotFound) {
            return status;
          }
          common::Logger("eddy.kcl")
              ->warn("shard={} GetShardIterator failed, retrying: {}", shard_.id,
                     status.ToString());
          hold_off(failure_backoff_.Next());
          continue;
        }
        if (announce_) {
          // Where LATEST stands, before any record: the consumer records it at once.
          Batch batch;
          batch.resume_after = announce_;
          announce_.reset();
          return batch;
        }
      }
      // The shard's call budget: no call sooner than call_spacing_ after the last one.
      if (const absl::Duration wait = last_call_ + call_spacing_ - absl::Now();
          wait > absl::ZeroDuration()) {
        if (pause(wait)) break;
        continue;  // the deadline may have come first
      }
      last_call_ = absl::Now();
      absl::StatusOr<client::RecordsPage> response = streams_.GetRecords(iterator_, kMaxRecords);
      if (!response.ok()) {
        // Throttled or unavailable: the iterator is still good, retry with it. Expired or
        // refused: a fresh one from where we are (never from a new LATEST).
        if (!common::IsRetryable(response.status()) ||
            common::ErrorType(response.status()) == common::kExpiredIterator) {
          iterator_.clear();
        }
        common::Logger("eddy.kcl")
            ->warn("shard={} GetRecords failed, retrying{}: {}", shard_.id,
                   iterator_.empty() ? " with a new iterator" : "", response.status().ToString());
        hold_off(failure_backoff_.Next());
        continue;
      }
      failure_backoff_.Reset();
      Batch batch;
      Unpack(std::move(response->records), shard_, &batch.records);
      DropDelivered(last_, &batch.records);
      if (!batch.records.empty()) last_ = batch.records.back().position();
      batch.millis_behind_latest = response->millis_behind_latest;
      iterator_ = std::move(response->next_shard_iterator);
      if (iterator_.empty()) {
        // No next iterator: the shard was read to its end — if the answer names the children,
        // or ListShards shows it closed (endpoints that never set ChildShards). Otherwise a
        // bad answer: read on from a fresh iterator after what was handed out.
        std::optional<std::vector<ChildShardInfo>> children;
        if (!response->child_shards.empty()) {
          children = ChildShards(std::move(response->child_shards));
        } else {
          children = ListedChildrenOfClosed(streams_, stream_, shard_.id);
        }
        if (children) {
          batch.shard_ended = true;
          batch.child_shards = std::move(*children);
          return batch;
        }
        common::Logger("eddy.kcl")
            ->warn(
                "shard={} GetRecords answered no next iterator for a shard that is not "
                "closed: asking for a new one",
                shard_.id);
        if (!batch.records.empty()) return batch;
        hold_off(failure_backoff_.Next());
        continue;
      }
      if (!batch.records.empty()) return batch;
      hold_off(idle_);
    }
    return Batch{};
  }

  void Stop() override {
    if (!stop_requested_.exchange(true)) stopped_.Notify();
  }

 private:
  absl::Status FetchIterator() {
    const bool asking_latest =
        last_ == ExtendedSequenceNumber::Latest() && latest_asked_millis_ == 0;
    const int64_t asked_at = NowMillis();
    // Before any record, a LATEST already resolved continues from where it stood.
    const std::string resolved = last_ == ExtendedSequenceNumber::Latest() ? resolved_ : "";
    const Position start = ResumePosition(last_, resolved, timestamp_millis_, latest_asked_millis_);
    if (asking_latest) latest_asked_millis_ = asked_at;
    absl::StatusOr<client::ShardIterator> response =
        streams_.GetShardIterator(stream_, shard_.id, start);
    if (!response.ok()) return response.status();
    iterator_ = response->iterator;
    if (asking_latest) {
      common::Logger("eddy.kcl")
          ->info("shard={} polling from LATEST (later iterators continue from here)", shard_.id);
      // Eddy says where that is (other endpoints do not: then the first batch tells).
      absl::StatusOr<ExtendedSequenceNumber> at =
          ExtendedSequenceNumber::Of(response->starts_after_sequence_number);
      if (at.ok()) {
        resolved_ = response->starts_after_sequence_number;
        announce_ = *at;
      }
    }
    return absl::OkStatus();
  }

  client::StreamConnection& streams_;
  const client::StreamRef stream_;
  const ShardInfo shard_;
  ExtendedSequenceNumber last_;
  const int64_t timestamp_millis_;
  const absl::Duration idle_;
  const absl::Duration call_spacing_;
  absl::Time last_call_ = absl::InfinitePast();
  absl::Time not_before_ = absl::InfinitePast();  // a backoff or the idle time ends here
  client::Backoff failure_backoff_{{absl::Milliseconds(100), absl::Seconds(5)}};
  int64_t latest_asked_millis_ = 0;
  std::string resolved_;  // where LATEST stood when first asked ("" if not told)
  std::optional<ExtendedSequenceNumber> announce_;  // to hand the consumer once
  std::string iterator_;
  std::atomic<bool> stop_requested_{false};
  absl::Notification stopped_;  // notified once
};

}  // namespace

std::unique_ptr<RecordsPublisher> MakeFanOutPublisher(client::StreamConnection& streams,
                                                      client::StreamRef stream,
                                                      std::string consumer_arn, ShardInfo shard,
                                                      StartPosition start,
                                                      absl::Duration shard_end_probe_interval) {
  return std::make_unique<FanOutPublisher>(streams, std::move(stream), std::move(consumer_arn),
                                           std::move(shard), start, shard_end_probe_interval);
}

std::unique_ptr<RecordsPublisher> MakePollingPublisher(client::StreamConnection& streams,
                                                       client::StreamRef stream, ShardInfo shard,
                                                       StartPosition start, absl::Duration idle,
                                                       int max_calls_per_second) {
  return std::make_unique<PollingPublisher>(streams, std::move(stream), std::move(shard), start,
                                            idle, max_calls_per_second);
}

}  // namespace eddy::kcl::internal
