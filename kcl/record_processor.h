#pragma once
// RecordProcessor: what a user of the consumer framework writes — one instance per shard,
// created by a factory, called from one thread at a time.
//
// Lifecycle of a processor (the shard consumer's states):
//
//   WAITING_ON_PARENTS ─► INITIALIZING ─► PROCESSING ─┬─► SHUTTING_DOWN ─► DONE
//   (parents reach        Initialize()    ProcessRecords()│   ShardEnded()     (shard end)
//    SHARD_END)                            …              ├─► LeaseLost()      (lease gone)
//                                                         └─► ShutdownRequested() (graceful
//                                                             shutdown or hand-over)
//
// Delivery is at least once and in order within a shard: after a restart or a lease move,
// records after the last checkpoint are delivered again. A processor that throws from
// ProcessRecords does not lose records: the batch is delivered again after a backoff (less
// what it checkpointed explicitly before throwing), or the shard stops
// (Config::on_processor_error) — and no shutdown, hand-off or shard end ever records a
// failed batch as done. Initialize is called again until it returns normally; ShardEnded
// is asked again until it checkpoints SHARD_END; exceptions from LeaseLost and
// ShutdownRequested are logged.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/extended_sequence_number.h"
#include "kcl/checkpointer.h"
#include "kcl/record.h"

namespace eddy::kcl {

struct InitializationInput {
  std::string shard_id;
  // Where processing resumes: records after this are delivered.
  checkpoint::ExtendedSequenceNumber checkpoint;
  std::optional<checkpoint::ExtendedSequenceNumber> pending_checkpoint;
};

struct ProcessRecordsInput {
  const std::vector<KinesisClientRecord>& records;
  int64_t millis_behind_latest = 0;
  Checkpointer& checkpointer;
};

class RecordProcessor {
 public:
  virtual ~RecordProcessor() = default;
  virtual void Initialize(const InitializationInput& input) { (void)input; }
  virtual void ProcessRecords(const ProcessRecordsInput& input) = 0;
  // The lease is gone (taken by another worker, or this worker lost its coordinator):
  // stop; checkpointing is no longer possible.
  virtual void LeaseLost() {}
  // The shard was read to its end: call checkpointer.Checkpoint() so its children start.
  virtual void ShardEnded(Checkpointer& checkpointer) = 0;
  // The worker is shutting down or handing the lease over: checkpoint now if you like.
  virtual void ShutdownRequested(Checkpointer& checkpointer) { (void)checkpointer; }
};

// Creates the processor of a shard; called once per shard consumer.
using RecordProcessorFactory =
    std::function<std::unique_ptr<RecordProcessor>(const std::string& shard_id)>;

}  // namespace eddy::kcl
