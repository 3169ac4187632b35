#pragma once
// StreamCatalog: the control plane — which streams exist, their settings and shards —
// kept in memory and persisted in the RecordStore's metadata.
//
// Lifecycle: Open() loads every stream and restores each shard's counters from its
// high-water mark. Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "broker/limits.h"
#include "broker/record_store.h"
#include "broker/stream_state.h"
#include "common/clock.h"

namespace eddy::broker {

// A stream named by name or ARN (either or both; both must agree).
struct StreamRef {
  std::string name;
  std::string arn;
};

struct CreateStreamParams {
  std::string name;
  // Absent: 4 for ON_DEMAND, 1 for PROVISIONED. Present, it must be 1 … the shard limit
  // (0 is refused, not taken for the default).
  std::optional<int> shard_count;
  StreamMode mode = StreamMode::kProvisioned;
  int max_record_size_kib = 1024;
  int retention_hours = 24;
};

class StreamCatalog {
 public:
  static absl::StatusOr<std::unique_ptr<StreamCatalog>> Open(RecordStore& store,
                                                             const BrokerLimits& limits,
                                                             const common::Clock& clock);

  // ResourceInUse if the name exists; LimitExceeded past the broker's shard limit.
  absl::Status Create(const CreateStreamParams& params);

  // Removes the stream from the catalog and returns it (its data is the caller's to
  // delete). ResourceNotFound if absent.
  absl::StatusOr<std::shared_ptr<StreamState>> Remove(const StreamRef& ref);

  // The stream, or ResourceNotFound / InvalidArgument for a malformed reference.
  absl::StatusOr<std::shared_ptr<StreamState>> Find(const StreamRef& ref) const;
  std::shared_ptr<StreamState> FindById(uint64_t id) const;

  // All streams, in name order.
  std::vector<std::shared_ptr<StreamState>> List() const;

  // Moves retention up (`increase`) or down; InvalidArgument if it would move the other
  // way or leave 24…8760 h.
  absl::Status ChangeRetention(const StreamRef& ref, int hours, bool increase);

  // Changes a stream's settings: `change` edits a copy of the current ones (or fails, and
  // nothing changes); the result is stored first and applied only once stored. Returns
  // the settings before the change.
  absl::StatusOr<StreamSettings> UpdateSettings(
      const StreamRef& ref, const std::function<absl::Status(StreamSettings&)>& change);

  // Writes the stream's current settings and shards to storage.
  absl::Status Persist(const StreamState& stream);

  // Closes `closing` (parent, ending counter) and adds `created`: written to storage first,
  // made visible in memory only once stored, so that no reader ever sees a reshard that
  // storage then refused (a parent ended, children that never existed). Nothing changes
  // when the write fails.
  absl::Status CommitReshard(
      StreamState& stream,
      const std::vector<std::pair<std::shared_ptr<ShardState>, uint64_t>>& closing,
      const std::vector<std::shared_ptr<ShardState>>& created);

  // Open shards across all streams.
  int OpenShardCount() const;

  const BrokerLimits& limits() const { return limits_; }

 private:
  // What a write makes of a stream before memory has it (nothing: the stream as it is).
  struct PendingChange {
    std::vector<std::pair<std::shared_ptr<ShardState>, uint64_t>> closing;
    std::vector<std::shared_ptr<ShardState>> created;
    std::optional<int> retention_hours;
    std::optional<uint64_t> trim_floor_counter;
    std::optional<StreamSettings> settings;
  };
  // Writes `stream` with `change` applied; NotFound once the stream was deleted.
  absl::Status WriteLocked(const StreamState& stream, const PendingChange& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Serializes metadata writes (and deletes), each with its snapshot of the stream, so that
  // the last one written is never older than the last change made in memory. Order: mu_,
  // then write_mu_.
  absl::Mutex write_mu_;

  StreamCatalog(RecordStore& store, const BrokerLimits& limits, const common::Clock& clock);
  int OpenShardCountLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  RecordStore& store_;
  const BrokerLimits limits_;
  const common::Clock& clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<StreamState>> by_name_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::shared_ptr<StreamState>> by_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::broker
