#pragma once
// Subscription: one SubscribeToShard session — a consumer receiving one shard's records,
// pushed as they are committed, within its budget.
//
// The session does no work on a thread of its own. A "pump" runs on the shared TaskRunner
// whenever there may be something to do — new records (the commit thread calls Wake), the
// previous event written (OnSent), a timer (heartbeat, budget, session end) — and either
// sends one event, finishes, or goes idle. At most one pump runs and at most one event is
// in flight per session, so a slow client stalls only its own session and holds at most
// one event in memory.
//
//           Attach ──► pump ──► Send ──► (OnSent) ──► pump ─┐
//                       │  ▲                                │
//                       │  └─────── Wake / timer ◄── idle ◄─┘
//                       └──► Finish (expired, shard ended, stream deleted, End(status))
//
// The first event is sent at once and carries no records, only the continuation (the
// position just before the first record the session will send), so that a subscriber at
// LATEST knows where it stands before anything arrives.
//
// Thread-safe. The EventSink (the gRPC reactor) is called by one thread at a time, never
// after Finish, and never with the session's lock held.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "broker/record_store.h"
#include "broker/shard_tail.h"
#include "broker/stream_state.h"
#include "broker/task_runner.h"
#include "common/clock.h"
#include "common/token_bucket.h"

namespace eddy::broker {

struct FanOutOptions {
  // A session ends (OK) after this long; the client resubscribes from its continuation.
  int64_t session_millis = 300'000;
  // An idle session sends an empty event at least this often.
  int64_t heartbeat_millis = 5'000;
  // A second subscription of the same consumer and shard within this long of the first is
  // refused (ResourceInUse); later, it takes over.
  int64_t takeover_millis = 5'000;
  // A new consumer is CREATING for this long, then ACTIVE.
  int64_t consumer_activation_millis = 500;
  // Caps of one event.
  int max_event_records = 10'000;
  int64_t max_event_bytes = 1 << 20;
  // Threads that run every subscription's pumps.
  int threads = 2;
};

// One event as the core produces it; the reactor turns it into the wire message.
struct SubscriptionEvent {
  std::vector<SharedRecord> records;
  uint32_t stream_tag = 0;
  uint32_t shard_index = 0;
  // Counter to resume after; 0 in the last event of a closed shard (no continuation).
  uint64_t continuation_counter = 0;
  int64_t millis_behind_latest = 0;
  std::vector<ChildShardInfo> child_shards;
};

// Where a session's events go (implemented by the gRPC reactor).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Writes one event; the session calls nothing else until OnSent.
  virtual void Send(SubscriptionEvent event) = 0;
  // Ends the stream with `status`. Called once; the sink is never used again.
  virtual void Finish(const absl::Status& status) = 0;
};

class Subscription : public std::enable_shared_from_this<Subscription> {
 public:
  struct Context {
    std::shared_ptr<StreamState> stream;
    std::shared_ptr<ShardState> shard;
    std::string consumer_arn;
    std::shared_ptr<common::TokenBucket> budget;  // null: unlimited
    const RecordStore* store = nullptr;
    const common::Clock* clock = nullptr;
    TaskRunner* runner = nullptr;
    FanOutOptions options;
    // Called once the session has finished (the hub forgets it).
    std::function<void(Subscription*)> on_finished;
  };

  // `next_counter`: the first counter to deliver.
  Subscription(Context context, uint64_t next_counter);

  // Connects the sink and starts pumping. Once only.
  void Attach(EventSink* sink);
  // There may be new records (or a timer fired): pump soon.
  void Wake();
  // The event handed to the sink was written (`ok`) or the client is gone.
  void OnSent(bool ok);
  // Ends the session with `status` (after the event in flight, if any). Idempotent.
  void End(const absl::Status& status);

  bool finished() const;
  const std::string& consumer_arn() const { return context_.consumer_arn; }
  const ShardState& shard() const { return *context_.shard; }

 private:
  enum class Action { kSend, kSendLast, kFinish, kIdle, kWait };
  struct Decision {
    Action action = Action::kIdle;
    SubscriptionEvent event;
    absl::Status status;
    int64_t wake_after_millis = 0;
  };

  void Schedule();
  void RunPump();
  Decision Decide(int64_t now);
  // Records from `from` (a read error is returned, never taken for an empty range).
  absl::StatusOr<std::vector<SharedRecord>> ReadFrom(uint64_t from, uint64_t last_readable,
                                                     bool* exhausted);
  void ArmTimer(int64_t millis);
  void FinishSink(EventSink* sink, const absl::Status& status);

  const Context context_;
  const int64_t expires_millis_;
  uint64_t next_counter_;          // pump only (pumps never overlap)
  bool first_event_sent_ = false;  // likewise
  int read_failures_ = 0;          // likewise: storage reads failed in a row

  mutable absl::Mutex mu_;
  EventSink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool scheduled_ ABSL_GUARDED_BY(mu_) = false;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool last_event_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool end_requested_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);
  int64_t last_event_millis_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t timer_due_millis_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace eddy::broker
