#pragma once
// FakeStreamConnection: one stream in memory behind the StreamConnection interface, for
// unit tests of the consumer framework's publishers and shard sync. Records have
// sequence numbers of equal width (so that text order is stream order); every call can be
// made to fail, and every request is recorded. Single-threaded, apart from Cancel().

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/stream_connection.h"
#include "common/errors.h"

namespace eddy::kcl::testing {

class FakeStreamConnection final : public client::StreamConnection {
 public:
  static constexpr const char* kStreamArn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";

  // Appends a record to `shard`: sequence numbers 1000, 1001, … in order of appending.
  void Append(const std::string& shard, const std::string& data, int64_t arrival_millis = 0) {
    records_[shard].push_back(
        client::StreamRecord{absl::StrCat(next_sequence_++), arrival_millis, data, "k"});
  }
  // Closes `shard` with these children: read to its end, it reports them.
  void Close(const std::string& shard, std::vector<client::ChildShard> children) {
    children_[shard] = std::move(children);
  }

  std::vector<client::ShardDescription> shards;  // what ListShards answers
  // What it answers to a ListShards with a filter, if set (else `shards`).
  std::optional<std::vector<client::ShardDescription>> filtered_shards;
  bool stream_exists = true;
  size_t page_size = 2;       // records per GetRecords answer
  size_t session_events = 2;  // events per subscription session before it ends (OK)
  size_t records_per_event = 2;
  // Whether a closed shard read to its end names its children: in the last GetRecords page,
  // and in the last subscription event (kinesis-mock never does the latter; then sessions
  // on it go on with empty events).
  bool pages_report_children = true;
  bool events_report_children = true;
  // Each session starts with an empty event (as a heartbeat at the tip would look) even
  // when records are still unread.
  bool empty_event_first = false;

  // The next calls answer these errors, in order, before answering normally again.
  std::deque<absl::Status> list_shards_errors;
  std::deque<absl::Status> get_records_errors;
  std::deque<absl::Status> get_iterator_errors;
  // When set: a session starting at the end of a closed shard gets no event and ends with
  // this (an endpoint refusing sessions on a shard read to its end; OK: ending them at once).
  std::optional<absl::Status> closed_shard_refusal;
  // Sessions end with these (after `events_before_failure` events each), in order.
  std::deque<absl::Status> session_failures;
  size_t events_before_failure = 0;

  // What was asked.
  std::vector<client::StartingPosition> iterator_requests;
  std::vector<client::StartingPosition> subscribe_requests;
  std::vector<client::ShardFilter> list_shards_filters;
  int get_records_calls = 0;
  int summary_calls = 0;

  absl::StatusOr<std::vector<client::ShardDescription>> ListShards(
      const client::StreamRef&, const client::ShardFilter& filter) override {
    list_shards_filters.push_back(filter);
    if (absl::Status s = Pop(list_shards_errors); !s.ok()) return s;
    if (!stream_exists) return common::ResourceNotFound("Stream s not found.");
    if (filtered_shards && filter.type != client::ShardFilter::Type::kNone) {
      return *filtered_shards;
    }
    return shards;
  }

  absl::StatusOr<client::ShardIterator> GetShardIterator(
      const client::StreamRef&, const std::string& shard_id,
      const client::StartingPosition& position) override {
    iterator_requests.push_back(position);
    if (absl::Status s = Pop(get_iterator_errors); !s.ok()) return s;
    if (!stream_exists) return common::ResourceNotFound("Stream s not found.");
    return client::ShardIterator{absl::StrCat(shard_id, "|", Resolve(shard_id, position)), ""};
  }

  absl::StatusOr<client::RecordsPage> GetRecords(const std::string& shard_iterator, int) override {
    ++get_records_calls;
    if (absl::Status s = Pop(get_records_errors); !s.ok()) return s;
    const std::vector<std::string> parts = absl::StrSplit(shard_iterator, '|');
    size_t at = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &at)) {
      return common::InvalidArgument("not an iterator of this fake");
    }
    const std::vector<client::StreamRecord>& all = records_[parts[0]];
    client::RecordsPage page;
    const size_t end = std::min(all.size(), at + page_size);
    page.records.assign(all.begin() + static_cast<ptrdiff_t>(std::min(at, all.size())),
                        all.begin() + static_cast<ptrdiff_t>(end));
    if (end == all.size() && children_.count(parts[0]) != 0) {
      // Read to its end: no next iterator.
      if (pages_report_children) page.child_shards = children_[parts[0]];
    } else {
      page.next_shard_iterator = absl::StrCat(parts[0], "|", std::max(end, at));
    }
    return page;
  }

  absl::StatusOr<client::StreamSummary> DescribeStreamSummary(const client::StreamRef&) override {
    ++summary_calls;
    if (!stream_exists) return common::ResourceNotFound("Stream s not found.");
    return client::StreamSummary{"s", kStreamArn, client::StreamSummary::Status::kActive, 1};
  }

  absl::StatusOr<client::ConsumerDescription> DescribeStreamConsumer(const std::string&,
                                                                     const std::string&) override {
    return common::ResourceNotFound("no consumers in this fake");
  }
  absl::StatusOr<client::ConsumerDescription> RegisterStreamConsumer(const std::string&,
                                                                     const std::string&) override {
    return common::LimitExceeded("no consumers in this fake");
  }

  std::unique_ptr<client::Subscription> SubscribeToShard(
      const std::string&, const std::string& shard_id,
      const client::StartingPosition& position) override {
    subscribe_requests.push_back(position);
    auto session = std::make_unique<Session>();
    size_t at = Resolve(shard_id, position);
    const std::vector<client::StreamRecord>& all = records_[shard_id];
    if (closed_shard_refusal && at == all.size() && children_.count(shard_id) != 0) {
      session->end = *closed_shard_refusal;
      return session;
    }
    if (empty_event_first) session->events.push_back(client::SubscriptionEvent{});
    const bool failing = !session_failures.empty();
    const size_t events = failing ? events_before_failure : session_events;
    for (size_t e = 0; e < events; ++e) {
      client::SubscriptionEvent event;
      const size_t end = std::min(all.size(), at + records_per_event);
      event.records.assign(all.begin() + static_cast<ptrdiff_t>(at),
                           all.begin() + static_cast<ptrdiff_t>(end));
      at = end;
      // Where to resume: after the last record sent, or before the first not yet sent.
      event.continuation_sequence_number =
          at > 0 ? all[at - 1].sequence_number : absl::StrCat(first_sequence_ - 1);
      if (at == all.size() && children_.count(shard_id) != 0 && events_report_children) {
        event.child_shards = children_[shard_id];
        session->events.push_back(std::move(event));
        break;
      }
      session->events.push_back(std::move(event));
    }
    if (failing) {
      session->end = session_failures.front();
      session_failures.pop_front();
    }
    return session;
  }

 private:
  class Session final : public client::Subscription {
   public:
    Result Next(client::SubscriptionEvent* event, absl::Duration) override {
      if (cancelled_ || events.empty()) return Result::kEnded;
      *event = std::move(events.front());
      events.pop_front();
      return Result::kEvent;
    }
    absl::Status Finish() override { return cancelled_ ? absl::CancelledError("cancelled") : end; }
    void Cancel() override { cancelled_ = true; }

    std::deque<client::SubscriptionEvent> events;
    absl::Status end;  // how the session ends once its events are read

   private:
    std::atomic<bool> cancelled_{false};
  };

  static absl::Status Pop(std::deque<absl::Status>& errors) {
    if (errors.empty()) return absl::OkStatus();
    absl::Status s = errors.front();
    errors.pop_front();
    return s;
  }

  // The index of the first record at `position`.
  size_t Resolve(const std::string& shard, const client::StartingPosition& position) {
    const std::vector<client::StreamRecord>& all = records_[shard];
    using Type = client::StartingPosition::Type;
    auto first = [&](auto predicate) {
      return static_cast<size_t>(std::find_if(all.begin(), all.end(), predicate) - all.begin());
    };
    switch (position.type) {
      case Type::kTrimHorizon:
        return 0;
      case Type::kLatest:
        return all.size();
      case Type::kAtSequenceNumber:
        return first([&](const auto& r) { return r.sequence_number >= position.sequence_number; });
      case Type::kAfterSequenceNumber:
        return first([&](const auto& r) { return r.sequence_number > position.sequence_number; });
      case Type::kAtTimestamp:
        return first([&](const auto& r) {
          return r.approximate_arrival_millis >= position.timestamp_millis;
        });
    }
    return 0;
  }

  static constexpr int64_t first_sequence_ = 1000;
  int64_t next_sequence_ = first_sequence_;
  std::map<std::string, std::vector<client::StreamRecord>> records_;
  std::map<std::string, std::vector<client::ChildShard>> children_;
};

}  // namespace eddy::kcl::testing
