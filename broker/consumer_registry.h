#pragma once
// ConsumerRegistry: the registered (enhanced fan-out) consumers of every stream, kept in
// memory and persisted in the RecordStore's metadata.
//
// A consumer is CREATING for `activation_millis` after registration, then ACTIVE; only an
// ACTIVE consumer may subscribe. At most `limits.max_consumers_per_stream` per stream and
// five CREATING at once, as in Kinesis. Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
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

enum class ConsumerStatus { kCreating = 1, kDeleting = 2, kActive = 3 };

struct ConsumerInfo {
  uint64_t stream_id = 0;
  std::string stream_name;
  std::string stream_arn;
  std::string name;
  std::string arn;  // <stream ARN>/consumer/<name>:<creation epoch seconds>
  int64_t creation_millis = 0;
  ConsumerStatus status = ConsumerStatus::kCreating;
};

class ConsumerRegistry {
 public:
  // Loads the registered consumers of the streams in `streams` (others are dropped).
  static absl::StatusOr<std::unique_ptr<ConsumerRegistry>> Open(
      RecordStore& store, const BrokerLimits& limits, const common::Clock& clock,
      int64_t activation_millis, const std::vector<std::shared_ptr<StreamState>>& streams);

  // ResourceInUse if the name is taken on the stream; LimitExceeded past the limits.
  absl::StatusOr<ConsumerInfo> Register(const StreamState& stream, const std::string& name);

  // Removes the consumer; returns what it was. ResourceNotFound if absent.
  absl::StatusOr<ConsumerInfo> Deregister(const StreamState& stream, const std::string& name);

  absl::StatusOr<ConsumerInfo> Describe(const StreamState& stream, const std::string& name) const;

  // The consumer an ARN names; ResourceNotFound / InvalidArgument otherwise.
  absl::StatusOr<ConsumerInfo> FindByArn(const std::string& arn) const;

  // The stream's consumers, in name order.
  std::vector<ConsumerInfo> List(uint64_t stream_id) const;
  int Count(uint64_t stream_id) const;

  // Removes every consumer of a deleted stream; returns them.
  std::vector<ConsumerInfo> RemoveAll(uint64_t stream_id);

  // Splits a consumer ARN into stream name and consumer name; false if malformed.
  static bool ParseArn(const std::string& arn, std::string* stream_name,
                       std::string* consumer_name);

 private:
  struct Entry {
    std::string stream_name;
    int64_t creation_millis = 0;
  };
  using Key = std::pair<uint64_t, std::string>;  // (stream id, consumer name)

  ConsumerRegistry(RecordStore& store, const BrokerLimits& limits, const common::Clock& clock,
                   int64_t activation_millis);
  ConsumerInfo InfoLocked(const Key& key, const Entry& entry) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  RecordStore& store_;
  const BrokerLimits limits_;
  const common::Clock& clock_;
  const int64_t activation_millis_;
  mutable absl::Mutex mu_;
  std::map<Key, Entry> consumers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::broker
