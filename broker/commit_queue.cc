#include "broker/commit_queue.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "broker/sequence_number.h"
#include "common/errors.h"

namespace eddy::broker {
namespace {
// A group stops growing past this many bytes so one sync never carries unbounded data.
constexpr int64_t kMaxGroupBytes = 64 << 20;
}  // namespace

CommitQueue::CommitQueue(RecordStore& store, const common::Clock& clock)
    : store_(store), clock_(clock) {}

CommitQueue::~CommitQueue() { Stop(); }

void CommitQueue::SetCommitListener(CommitListener listener) { listener_ = std::move(listener); }

void CommitQueue::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void CommitQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CommitQueue::Submit(std::vector<Entry> entries, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(Request{std::move(entries), std::move(done), nullptr});
      return;
    }
  }
  done(absl::UnavailableError("the broker is shutting down"));
}

void CommitQueue::RunOrdered(std::function<void()> task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(Request{{}, nullptr, std::move(task)});
      return;
    }
  }
  task();
}

absl::Status CommitQueue::RunOrderedAndWait(std::function<absl::Status()> task) {
  absl::Notification done;
  absl::Status status;
  RunOrdered([&] {
    status = task();
    done.Notify();
  });
  done.WaitForNotification();
  return status;
}

void CommitQueue::Loop() {
  while (true) {
    std::vector<Request> group;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitQueue* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and everything submitted is done
      int64_t bytes = 0;
      while (!queue_.empty() && bytes < kMaxGroupBytes) {
        // An ordered task ends a group: it must see every earlier write committed.
        if (queue_.front().task && !group.empty()) break;
        for (const Entry& entry : queue_.front().entries) {
          bytes += static_cast<int64_t>(entry.data.size() + entry.partition_key.size());
        }
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
        if (group.back().task) break;
      }
    }
    if (group.size() == 1 && group.front().task) {
      group.front().task();
      continue;
    }
    CommitGroup(group);
  }
}

void CommitQueue::CommitGroup(std::vector<Request>& group) {
  const uint64_t now_counter = CounterAtMillis(clock_.NowMillis());
  std::vector<RecordToWrite> writes;
  std::vector<std::vector<Assignment>> counters(group.size());
  std::unordered_map<ShardState*, std::vector<SharedRecord>> touched;
  std::vector<std::shared_ptr<ShardState>> keep_alive;
  std::vector<bool> refused(group.size(), false);
  for (size_t i = 0; i < group.size(); ++i) {
    // A put that raced DeleteStream must not land after the stream's data was deleted.
    for (const Entry& entry : group[i].entries) refused[i] = refused[i] || entry.shard->deleted;
    if (refused[i]) continue;
    for (const Entry& entry : group[i].entries) {
      ShardState* target = entry.shard.get();
      if (!target->IsOpen() && entry.stream != nullptr) {
        // Resharded since it was routed: commit order is what readers see, so the record
        // goes after the parent's end, into the child that owns its key.
        if (std::shared_ptr<ShardState> child = entry.stream->RouteHashKey(entry.hash_key)) {
          target = child.get();
          keep_alive.push_back(std::move(child));
        }
      }
      ShardState& shard = *target;
      const uint64_t counter = std::max(shard.last_assigned + 1, now_counter);
      shard.last_assigned = counter;
      counters[i].push_back(Assignment{&shard, counter});
      shard.RecordIngress(static_cast<int64_t>(entry.data.size() + entry.partition_key.size()),
                          entry.hash_key);
      writes.push_back(
          RecordToWrite{shard.stream_id, shard.index, counter, entry.partition_key, entry.data});
      // The tail keeps its own copy: the caller's buffers live only until `done`.
      touched[&shard].push_back(std::make_shared<const StoredRecord>(
          StoredRecord{counter, std::string(entry.partition_key), std::string(entry.data)}));
    }
  }
  absl::Status status = writes.empty() ? absl::OkStatus() : store_.Append(writes);
  if (status.ok()) {
    for (auto& [shard, records] : touched) {
      const uint64_t last = records.back()->counter;
      shard->tail().Append(std::move(records));
      shard->committed.store(last);
      if (listener_) listener_(*shard);
    }
  }
  for (size_t i = 0; i < group.size(); ++i) {
    if (refused[i]) {
      group[i].done(common::ResourceNotFound("The stream was deleted while the put was queued."));
    } else if (status.ok()) {
      group[i].done(std::move(counters[i]));
    } else {
      group[i].done(status);
    }
  }
}

}  // namespace eddy::broker
