#pragma once
// CommitQueue: group commit for every write of the broker.
//
// Puts from any number of RPCs are queued; one commit thread takes everything queued,
// assigns each record its shard's next counter, writes the whole group to RocksDB in one
// synced batch, then publishes the new `committed` counters and completes the callers.
// Concurrent puts therefore share one WAL sync, and per-shard order is commit order, so a
// reader never sees a later record before an earlier one.
//
// Lifecycle: Start() once, Stop() once (pending work is completed first).
// Thread-safe. Callbacks run on the commit thread and must not block.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "broker/record_store.h"
#include "broker/stream_state.h"
#include "common/clock.h"

namespace eddy::broker {

class CommitQueue {
 public:
  struct Entry {
    std::shared_ptr<ShardState> shard;
    // The record's stream and hash key: if `shard` was closed by a split or merge after the
    // record was routed, it is re-routed here to the open child that owns its key.
    std::shared_ptr<StreamState> stream;
    common::HashKey hash_key = 0;
    absl::string_view partition_key;  // must stay valid until `done` runs
    absl::string_view data;           // likewise
  };
  // Where an entry landed.
  struct Assignment {
    ShardState* shard = nullptr;
    uint64_t counter = 0;
  };
  // Receives each entry's assignment, in order, or the failure of the group.
  using Done = std::function<void(absl::StatusOr<std::vector<Assignment>>)>;
  // Runs `task` on the commit thread between groups and returns its result (resharding:
  // closing a shard must not interleave with writes to it).
  absl::Status RunOrderedAndWait(std::function<absl::Status()> task);

  // Called on the commit thread after `shard`'s tail and committed counter advanced.
  // Must not block.
  using CommitListener = std::function<void(ShardState& shard)>;

  CommitQueue(RecordStore& store, const common::Clock& clock);
  ~CommitQueue();

  void Start();
  void Stop();

  void SetCommitListener(CommitListener listener);

  // Queues entries for the next group. After Stop(), `done` gets Unavailable at once.
  void Submit(std::vector<Entry> entries, Done done);

  // Runs `task` on the commit thread, ordered after everything submitted before it (used
  // to delete a stream's data without racing in-flight writes).
  void RunOrdered(std::function<void()> task);

 private:
  struct Request {
    std::vector<Entry> entries;
    Done done;
    std::function<void()> task;
  };
  void Loop();
  void CommitGroup(std::vector<Request>& group);

  RecordStore& store_;
  const common::Clock& clock_;
  CommitListener listener_;
  absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace eddy::broker
