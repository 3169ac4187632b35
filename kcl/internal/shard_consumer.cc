#include "kcl/internal/shard_consumer.h"

#include <algorithm>
#include <exception>

#include "absl/strings/str_cat.h"
#include "client/backoff.h"
#include "common/errors.h"
#include "common/logging.h"
#include "kcl/internal/lineage.h"

namespace eddy::kcl::internal {
namespace {

using checkpoint::ExtendedSequenceNumber;

// Processing has begun: the checkpoint moved past where a new lease starts (so the parents
// were finished, and may be cleaned up by now).
bool Started(const ExtendedSequenceNumber& checkpoint) {
  return !checkpoint.is_sentinel() || checkpoint == ExtendedSequenceNumber::ShardEnd();
}

// Between attempts of a processor call or a checkpoint-store write that failed.
const client::BackoffOptions kRetryBackoff{absl::Milliseconds(100), absl::Seconds(10)};

}  // namespace

const char* StateName(ShardConsumerState state) {
  switch (state) {
    case ShardConsumerState::kWaitingOnParents:
      return "WAITING_ON_PARENTS";
    case ShardConsumerState::kInitializing:
      return "INITIALIZING";
    case ShardConsumerState::kProcessing:
      return "PROCESSING";
    case ShardConsumerState::kShuttingDown:
      return "SHUTTING_DOWN";
    case ShardConsumerState::kDone:
      return "DONE";
  }
  return "?";
}

ShardConsumer::ShardConsumer(Context context) : context_(std::move(context)) {}

ShardConsumer::~ShardConsumer() {
  LeaseLost();
  Join();
}

void ShardConsumer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ShardConsumer::Join() {
  if (thread_.joinable()) thread_.join();
}

void ShardConsumer::NotifyStop() {
  // The scheduler and the consumer's own thread may both stop it at once: notify once.
  if (!stop_requested_.exchange(true)) stop_.Notify();
}

void ShardConsumer::LeaseLost() {
  if (state_.load() == ShardConsumerState::kDone) return;
  lease_lost_ = true;
  NotifyStop();
  absl::MutexLock lock(&publisher_mu_);
  if (checkpointer_ != nullptr) checkpointer_->MarkLeaseLost();
  if (publisher_ != nullptr) publisher_->Stop();
}

void ShardConsumer::RequestShutdown() {
  shutdown_requested_ = true;
  NotifyStop();
  absl::MutexLock lock(&publisher_mu_);
  if (publisher_ != nullptr) publisher_->Stop();
}

absl::Status ShardConsumer::Call(const char* what, const std::function<void()>& call) {
  try {
    call();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, " threw: ", e.what()));
  } catch (...) {
    return absl::InternalError(absl::StrCat(what, " threw a non-standard exception"));
  }
}

bool ShardConsumer::LeaseStillValid() {
  if (lease_lost_) return false;
  if (context_.lease_valid && !context_.lease_valid()) {
    common::Logger("eddy.kcl")
        ->warn("worker={} shard={} lease not renewed within the failover time: stopping",
               context_.config->worker_id, context_.shard_id);
    LeaseLost();
    return false;
  }
  return true;
}

void ShardConsumer::Run() {
  std::optional<checkpoint::CheckpointRecord> record = ReadCheckpoint();
  if (record.has_value() && (Started(record->checkpoint) || WaitForParents()) &&
      Initialize(*record)) {
    ShutDown(Process(*record));
  }
  state_ = ShardConsumerState::kDone;
}

std::optional<checkpoint::CheckpointRecord> ShardConsumer::ReadCheckpoint() {
  const std::string& shard = context_.shard_id;
  absl::StatusOr<checkpoint::CheckpointRecord> record = context_.checkpoints->Read(shard);
  while (!record.ok() && !stop_.HasBeenNotified()) {
    common::Logger("eddy.kcl")
        ->warn("worker={} shard={} reading the checkpoint failed: {}", context_.config->worker_id,
               shard, record.status().ToString());
    stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
    record = context_.checkpoints->Read(shard);
  }
  if (!record.ok()) return std::nullopt;
  return *record;
}

bool ShardConsumer::WaitForParents() {
  state_ = ShardConsumerState::kWaitingOnParents;
  while (true) {
    absl::StatusOr<bool> finished = ParentsFinished(*context_.leases, context_.shard_id,
                                                    context_.parent_shard_ids, context_.listed);
    if (finished.ok() && *finished) return true;
    if (stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500))) return false;
  }
}

bool ShardConsumer::Initialize(const checkpoint::CheckpointRecord& record) {
  state_ = ShardConsumerState::kInitializing;
  const std::string& shard = context_.shard_id;
  {
    absl::MutexLock lock(&publisher_mu_);
    checkpointer_ = std::make_unique<ShardCheckpointer>(
        *context_.checkpoints, shard, context_.ownership, record.checkpoint, record.pending);
    if (lease_lost_) checkpointer_->MarkLeaseLost();
  }
  RecordProcessor& processor = *context_.processor;
  for (client::Backoff backoff(kRetryBackoff);;) {
    absl::Status s = Call("Initialize", [&] {
      processor.Initialize(InitializationInput{shard, record.checkpoint, record.pending});
    });
    if (s.ok()) return true;
    common::Logger("eddy.kcl")
        ->error("worker={} shard={} {}; calling Initialize again", context_.config->worker_id,
                shard, s.ToString());
    if (stop_.WaitForNotificationWithTimeout(backoff.Next())) return false;
  }
}

ShardConsumer::Outcome ShardConsumer::Process(const checkpoint::CheckpointRecord& record) {
  auto log = common::Logger("eddy.kcl");
  const Config& config = *context_.config;
  state_ = ShardConsumerState::kProcessing;
  if (record.checkpoint == ExtendedSequenceNumber::ShardEnd()) return Outcome::kShardEnded;
  {
    absl::MutexLock lock(&publisher_mu_);
    publisher_ =
        context_.make_publisher(StartPosition{record.checkpoint, config.initial_timestamp_millis});
    if (stop_.HasBeenNotified()) publisher_->Stop();
  }
  // At LATEST, where "latest" was is recorded once (ShardCheckpointer::ResolveLatest) —
  // before any record is delivered, whenever the stream says (Eddy does, in its first
  // event or iterator), so that no failure, hand-off or crash can make a later owner
  // start at a new "latest".
  bool latest_unresolved = record.checkpoint == ExtendedSequenceNumber::Latest();
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<Batch> batch = publisher_->Next(absl::Seconds(1));
    if (!batch.ok()) {
      log->error("worker={} shard={} cannot be read: {}", config.worker_id, context_.shard_id,
                 batch.status().ToString());
      stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
      continue;
    }
    if (latest_unresolved && batch->records.empty() && batch->resume_after.has_value()) {
      if (!RecordLatest(*batch->resume_after)) return Outcome::kStopped;
      latest_unresolved = false;
    }
    if (!batch->records.empty()) {
      if (!Deliver(*batch)) return Outcome::kStopped;
      // A stream that gave no position first: the first batch processed tells.
      if (latest_unresolved &&
          checkpointer_->ResolveLatest(batch->records.back().position()).ok()) {
        latest_unresolved = false;
      }
    }
    if (batch->shard_ended) {
      children_ = batch->child_shards;
      return Outcome::kShardEnded;
    }
  }
  return Outcome::kStopped;
}

bool ShardConsumer::RecordLatest(const ExtendedSequenceNumber& position) {
  for (client::Backoff backoff(kRetryBackoff);;) {
    if (!LeaseStillValid()) return false;
    absl::Status s = checkpointer_->ResolveLatest(position);
    if (s.ok()) return true;
    if (checkpointer_->lease_lost()) {
      LeaseLost();
      return false;
    }
    common::Logger("eddy.kcl")
        ->warn(
            "worker={} shard={} recording where LATEST was failed, retrying before any "
            "record is delivered: {}",
            context_.config->worker_id, context_.shard_id, s.ToString());
    if (stop_.WaitForNotificationWithTimeout(backoff.Next())) return false;
  }
}

bool ShardConsumer::Deliver(Batch& batch) {
  auto log = common::Logger("eddy.kcl");
  const Config& config = *context_.config;
  RecordProcessor& processor = *context_.processor;
  std::vector<KinesisClientRecord>& records = batch.records;
  const ExtendedSequenceNumber batch_end = records.back().position();
  for (client::Backoff backoff(kRetryBackoff);;) {
    if (!LeaseStillValid()) return false;
    // What the processor checkpointed explicitly inside an earlier, failed call is done.
    const ExtendedSequenceNumber done = checkpointer_->last_checkpoint();
    records.erase(
        std::remove_if(records.begin(), records.end(),
                       [&](const KinesisClientRecord& r) { return r.position() <= done; }),
        records.end());
    if (records.empty()) {
      checkpointer_->BeginBatch(batch_end);
      checkpointer_->EndBatch(true).IgnoreError();  // nothing deferred: no write
      return true;
    }
    checkpointer_->BeginBatch(records.back().position());
    absl::Status s = Call("ProcessRecords", [&] {
      processor.ProcessRecords(
          ProcessRecordsInput{records, batch.millis_behind_latest, *checkpointer_});
    });
    absl::Status deferred = checkpointer_->EndBatch(s.ok());
    if (context_.counters != nullptr) {
      if (s.ok()) {
        context_.counters->records_processed += static_cast<int64_t>(records.size());
      } else {
        ++context_.counters->process_records_failures;
      }
    }
    if (s.ok()) {
      if (!deferred.ok()) {
        log->warn("worker={} shard={} the checkpoint asked for in ProcessRecords failed: {}",
                  config.worker_id, context_.shard_id, deferred.ToString());
      }
      return true;
    }
    const bool stop_shard = config.on_processor_error == ProcessorErrorPolicy::kStopShard;
    log->error("worker={} shard={} {} (batch of {} from {}); {}", config.worker_id,
               context_.shard_id, s.ToString(), records.size(), records.front().sequence_number,
               stop_shard ? "stopping the shard" : "retrying the same batch");
    if (stop_shard) {
      shutdown_requested_ = true;
      NotifyStop();
      return false;
    }
    if (stop_.WaitForNotificationWithTimeout(backoff.Next())) return false;
  }
}

void ShardConsumer::ShutDown(Outcome outcome) {
  state_ = ShardConsumerState::kShuttingDown;
  RecordProcessor& processor = *context_.processor;
  if (lease_lost_) {
    absl::Status s = Call("LeaseLost", [&] { processor.LeaseLost(); });
    if (!s.ok()) {
      common::Logger("eddy.kcl")
          ->error("worker={} shard={} {}", context_.config->worker_id, context_.shard_id,
                  s.ToString());
    }
  } else if (outcome == Outcome::kShardEnded) {
    ShardEnded();
  } else {
    // Shutdown, hand-off or a stop by policy: what was processed may be checkpointed; a
    // batch that failed is not covered (ShardCheckpointer).
    absl::Status s =
        Call("ShutdownRequested", [&] { processor.ShutdownRequested(*checkpointer_); });
    if (!s.ok()) {
      common::Logger("eddy.kcl")
          ->error("worker={} shard={} {}", context_.config->worker_id, context_.shard_id,
                  s.ToString());
    }
  }
}

void ShardConsumer::ShardEnded() {
  auto log = common::Logger("eddy.kcl");
  const Config& config = *context_.config;
  const std::string& shard = context_.shard_id;
  // Record the children on the lease first: it tells operators (and cleanup) where the
  // shard's keys went, even while the processor has not checkpointed yet.
  std::vector<std::string> child_ids;
  for (const ChildShardInfo& child : children_) child_ids.push_back(child.id);
  if (!child_ids.empty()) {
    absl::StatusOr<bool> recorded =
        context_.leases->UpdateLineage(shard, context_.ownership.owner, child_ids);
    if (!recorded.ok() || !*recorded) {
      log->warn("worker={} shard={} recording child shards on the lease failed: {}",
                config.worker_id, shard,
                recorded.ok() ? "not the owner any more" : recorded.status().ToString());
    }
  }
  // Every record of the shard was processed (Process returns kShardEnded only then).
  checkpointer_->SetShardEnded();
  RecordProcessor& processor = *context_.processor;
  // The processor must checkpoint SHARD_END, or the children never start.
  for (int attempt = 0; LeaseStillValid(); ++attempt) {
    absl::Status s = Call("ShardEnded", [&] { processor.ShardEnded(*checkpointer_); });
    if (s.ok() && checkpointer_->last_checkpoint() == ExtendedSequenceNumber::ShardEnd()) {
      FollowLineage(children_);
      shard_finished_ = true;
      return;
    }
    log->error(
        "worker={} shard={} reached its end but the processor did not checkpoint SHARD_END "
        "in ShardEnded ({}); its children cannot start until it does — asking again",
        config.worker_id, shard, s.ok() ? "no checkpoint" : s.ToString());
    if (stop_.WaitForNotificationWithTimeout(absl::Seconds(std::min(attempt + 1, 10)))) return;
  }
  // The lease went while asking: the next owner finishes the shard.
  Call("LeaseLost", [&] { processor.LeaseLost(); }).IgnoreError();
}

void ShardConsumer::FollowLineage(const std::vector<ChildShardInfo>& children) {
  auto log = common::Logger("eddy.kcl");
  const Config& config = *context_.config;
  for (const ChildShardInfo& child : children) {
    for (client::Backoff backoff({absl::Milliseconds(100), absl::Seconds(5)}); !lease_lost_;) {
      absl::StatusOr<bool> has_lease =
          CreateChildLeaseIfParentsFinished(*context_.leases, child, context_.listed);
      if (has_lease.ok()) {
        log->info("worker={} shard={} child {} {}", config.worker_id, context_.shard_id, child.id,
                  *has_lease ? "has its lease" : "waits for its other parent to finish");
        break;
      }
      log->warn("worker={} shard={} creating the lease of child {} failed, retrying: {}",
                config.worker_id, context_.shard_id, child.id, has_lease.status().ToString());
      // Shutting down: the SHARD_END checkpoint is written, so shard sync on any worker
      // finishes the job.
      if (stop_.HasBeenNotified()) break;
      stop_.WaitForNotificationWithTimeout(backoff.Next());
    }
  }
}

}  // namespace eddy::kcl::internal
