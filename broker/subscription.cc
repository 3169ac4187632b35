#include "broker/subscription.h"

#include <algorithm>

#include "broker/sequence_number.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {
// Storage reads that may fail in a row before the session ends with the error.
constexpr int kMaxReadFailures = 10;
}  // namespace

Subscription::Subscription(Context context, uint64_t next_counter)
    : context_(std::move(context)),
      expires_millis_(context_.clock->NowMillis() + context_.options.session_millis),
      next_counter_(next_counter) {}

bool Subscription::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

void Subscription::Attach(EventSink* sink) {
  absl::Status early_end;
  {
    absl::MutexLock lock(&mu_);
    sink_ = sink;
    if (end_requested_) {  // ended before it was attached
      finished_ = true;
      early_end = end_status_;
    }
  }
  if (!early_end.ok()) return FinishSink(sink, early_end);
  Schedule();
}

void Subscription::Wake() { Schedule(); }

void Subscription::Schedule() {
  {
    absl::MutexLock lock(&mu_);
    dirty_ = true;
    if (sink_ == nullptr || scheduled_ || write_in_flight_ || finished_) return;
    scheduled_ = true;
  }
  std::weak_ptr<Subscription> weak = weak_from_this();
  context_.runner->Run([weak] {
    if (auto self = weak.lock()) self->RunPump();
  });
}

void Subscription::End(const absl::Status& status) {
  EventSink* sink = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || end_requested_) return;
    end_requested_ = true;
    end_status_ = status;
    // With an event in flight, OnSent finishes; before Attach, Attach does.
    if (write_in_flight_ || sink_ == nullptr) return;
    finished_ = true;
    sink = sink_;
  }
  FinishSink(sink, status);
}

void Subscription::OnSent(bool ok) {
  EventSink* sink = nullptr;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok || end_requested_ || last_event_sent_) {
      finished_ = true;
      sink = sink_;
      if (!ok) {
        status = absl::CancelledError("the subscriber went away");
      } else if (end_requested_) {
        status = end_status_;
      }  // else OK: a closed shard was delivered to its end
    }
  }
  if (sink != nullptr) return FinishSink(sink, status);
  Schedule();
}

void Subscription::FinishSink(EventSink* sink, const absl::Status& status) {
  auto self = shared_from_this();  // the hub may drop its reference in on_finished
  sink->Finish(status);
  if (context_.on_finished) context_.on_finished(this);
}

void Subscription::ArmTimer(int64_t millis) {
  const int64_t due = context_.clock->NowMillis() + millis;
  {
    absl::MutexLock lock(&mu_);
    if (timer_due_millis_ != 0 && timer_due_millis_ <= due) return;  // an earlier one is set
    timer_due_millis_ = due;
  }
  std::weak_ptr<Subscription> weak = weak_from_this();
  context_.runner->RunAfter(absl::Milliseconds(std::max<int64_t>(millis, 1)), [weak] {
    if (auto self = weak.lock()) {
      {
        absl::MutexLock lock(&self->mu_);
        self->timer_due_millis_ = 0;
      }
      self->Wake();
    }
  });
}

void Subscription::RunPump() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      dirty_ = false;
      if (finished_ || end_requested_) {
        scheduled_ = false;
        return;
      }
    }
    const int64_t now = context_.clock->NowMillis();
    Decision decision = Decide(now);
    EventSink* sink = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || end_requested_) {
        scheduled_ = false;
        return;  // End() ran meanwhile and finished (or will)
      }
      switch (decision.action) {
        case Action::kSend:
        case Action::kSendLast:
          write_in_flight_ = true;
          last_event_sent_ = decision.action == Action::kSendLast;
          last_event_millis_ = now;
          break;
        case Action::kFinish:
          finished_ = true;
          break;
        case Action::kIdle:
          if (dirty_) continue;  // woken while deciding: look again
          break;
        case Action::kWait:
          break;
      }
      scheduled_ = false;
      sink = sink_;
    }
    switch (decision.action) {
      case Action::kSend:
      case Action::kSendLast:
        sink->Send(std::move(decision.event));
        return;
      case Action::kFinish:
        return FinishSink(sink, decision.status);
      case Action::kIdle:
      case Action::kWait:
        ArmTimer(decision.wake_after_millis);
        return;
    }
  }
}

absl::StatusOr<std::vector<SharedRecord>> Subscription::ReadFrom(uint64_t from,
                                                                 uint64_t last_readable,
                                                                 bool* exhausted) {
  const FanOutOptions& options = context_.options;
  ShardState& shard = *context_.shard;
  // An event never carries more than the budget holds now (but always one record), so the
  // budget bounds the rate from the first event on.
  int64_t max_bytes = options.max_event_bytes;
  if (context_.budget != nullptr) {
    max_bytes = std::min<int64_t>(max_bytes, static_cast<int64_t>(context_.budget->Available()));
  }
  ShardTail::ReadResult tail = shard.tail().Read(from, options.max_event_records, max_bytes);
  std::vector<SharedRecord> records = std::move(tail.records);
  uint64_t searched_to = last_readable;
  if (tail.covered) {
    // The tail may run ahead of `committed` for an instant: never send past it.
    while (!records.empty() && records.back()->counter > last_readable) records.pop_back();
  } else {
    // Behind the tail: catch up from storage, up to where the tail takes over (any record
    // between the floor seen here and a later one is still in storage: evicted ≠ deleted).
    const uint64_t floor = shard.tail().floor();
    searched_to = std::min(last_readable, floor - 1);
    const int64_t now = context_.clock->NowMillis();
    records = shard.catch_up().Get(from, searched_to, options.max_event_records, max_bytes, now);
    if (records.empty()) {
      ReadRange range{shard.stream_id,           shard.index, from, searched_to,
                      options.max_event_records, max_bytes};
      absl::StatusOr<std::vector<StoredRecord>> stored = context_.store->Read(range);
      // A failed read says nothing about the range: never skip past it.
      if (!stored.ok()) return stored.status();
      for (StoredRecord& record : *stored) {
        records.push_back(std::make_shared<const StoredRecord>(std::move(record)));
      }
      shard.catch_up().Put(records, now);
    }
  }
  // Nothing in [from, searched_to]: the caller may skip past it.
  *exhausted = records.empty();
  if (records.empty()) next_counter_ = std::max(next_counter_, searched_to + 1);
  return records;
}

Subscription::Decision Subscription::Decide(int64_t now) {
  Decision decision;
  const FanOutOptions& options = context_.options;
  const StreamState& stream = *context_.stream;
  ShardState& shard = *context_.shard;
  if (shard.deleted.load()) {
    decision.action = Action::kFinish;
    decision.status = common::ResourceNotFound("The stream of this subscription was deleted.");
    return decision;
  }
  if (now >= expires_millis_) {
    decision.action = Action::kFinish;  // OK: the client resubscribes from its continuation
    return decision;
  }
  if (context_.budget != nullptr && !context_.budget->HasTokens()) {
    decision.action = Action::kWait;
    decision.wake_after_millis = context_.budget->NanosUntil(1) / 1'000'000 + 1;
    return decision;
  }
  decision.event.stream_tag = StreamTagOf(stream.id);
  decision.event.shard_index = shard.index;

  const uint64_t committed = shard.committed.load();
  const uint64_t ending = shard.ending_counter.load();
  const uint64_t last_readable = ending != 0 ? std::min(committed, ending) : committed;
  next_counter_ = std::max(next_counter_, stream.TrimHorizonCounter(now));
  if (!first_event_sent_) {
    // The first event carries no records, only where the session starts: a subscriber at
    // LATEST learns (and can keep) its position before any record arrives.
    first_event_sent_ = true;
    decision.action = Action::kSend;
    decision.event.continuation_counter = shard.ResumeAfterCounter(next_counter_, last_readable);
    return decision;
  }
  for (int attempts = 0; next_counter_ <= last_readable && attempts < 64; ++attempts) {
    bool exhausted = false;
    absl::StatusOr<std::vector<SharedRecord>> read =
        ReadFrom(next_counter_, last_readable, &exhausted);
    if (!read.ok()) {
      // Storage failed: try again shortly; after a run of failures end the session with
      // the error (retryable), and the subscriber resubscribes from its continuation.
      if (++read_failures_ >= kMaxReadFailures) {
        decision.action = Action::kFinish;
        decision.status = read.status();
        return decision;
      }
      decision.action = Action::kWait;
      decision.wake_after_millis = 100;
      return decision;
    }
    read_failures_ = 0;
    if (exhausted) continue;
    std::vector<SharedRecord> records = std::move(*read);
    int64_t bytes = 0;
    for (const SharedRecord& record : records) bytes += RecordBytes(*record);
    const uint64_t last = records.back()->counter;
    next_counter_ = last + 1;
    if (context_.budget != nullptr) context_.budget->TakeAllowingDebt(static_cast<double>(bytes));
    decision.action = Action::kSend;
    decision.event.records = std::move(records);
    decision.event.continuation_counter = last;
    decision.event.millis_behind_latest =
        last >= shard.committed.load() ? 0 : std::max<int64_t>(0, now - MillisOfCounter(last));
    return decision;
  }
  if (next_counter_ <= last_readable) {  // gave up skipping empty ranges for now
    decision.action = Action::kWait;
    decision.wake_after_millis = 1;
    return decision;
  }
  if (ending != 0 && next_counter_ > ending) {
    decision.action = Action::kSendLast;
    decision.event.continuation_counter = 0;
    decision.event.child_shards = stream.ChildrenOf(shard);
    return decision;
  }
  int64_t last_event = 0;
  {
    absl::MutexLock lock(&mu_);
    last_event = last_event_millis_;
  }
  decision.event.continuation_counter = shard.ResumeAfterCounter(next_counter_, last_readable);
  if (now - last_event >= options.heartbeat_millis) {
    decision.action = Action::kSend;  // an empty event: "alive, nothing new"
    return decision;
  }
  decision.action = Action::kIdle;
  decision.wake_after_millis =
      std::min(last_event + options.heartbeat_millis, expires_millis_) - now;
  return decision;
}

}  // namespace eddy::broker
