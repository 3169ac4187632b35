#include "kcl/internal/shard_consumer.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "common/logging.h"
#include "kcl/internal/lineage.h"

namespace eddy::kcl::internal {
namespace {
using checkpoint::ExtendedSequenceNumber;
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

void ShardConsumer::LeaseLost() {
  if (state_.load() == ShardConsumerState::kDone) return;
  lease_lost_ = true;
  if (!stop_.HasBeenNotified()) stop_.Notify();
  absl::MutexLock lock(&publisher_mu_);
  if (checkpointer_ != nullptr) checkpointer_->MarkLeaseLost();
  if (publisher_ != nullptr) publisher_->Stop();
}

void ShardConsumer::RequestShutdown() {
  shutdown_requested_ = true;
  if (!stop_.HasBeenNotified()) stop_.Notify();
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

bool ShardConsumer::ParentsDone() {
  absl::StatusOr<bool> finished = ParentsFinished(*context_.leases, context_.parent_shard_ids);
  return finished.ok() && *finished;
}

void ShardConsumer::FollowLineage(const std::vector<ChildShardInfo>& children) {
  auto log = common::Logger("eddy.kcl");
  const Config& config = *context_.config;
  for (const ChildShardInfo& child : children) {
    for (absl::Duration backoff = absl::Milliseconds(100); !lease_lost_;
         backoff = std::min(backoff * 2, absl::Seconds(5))) {
      absl::StatusOr<bool> has_lease = CreateChildLeaseIfParentsFinished(*context_.leases, child);
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
      stop_.WaitForNotificationWithTimeout(backoff);
    }
  }
}

void ShardConsumer::Run() {
  auto log = common::Logger("eddy.kcl");
  const Config& config = *context_.config;
  RecordProcessor& processor = *context_.processor;
  const std::string& shard = context_.shard_id;

  state_ = ShardConsumerState::kWaitingOnParents;
  while (!ParentsDone()) {
    if (stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500))) {
      state_ = ShardConsumerState::kDone;
      return;
    }
  }

  state_ = ShardConsumerState::kInitializing;
  absl::StatusOr<checkpoint::CheckpointRecord> record = context_.checkpoints->Read(shard);
  while (!record.ok() && !stop_.HasBeenNotified()) {
    log->warn("worker={} shard={} reading the checkpoint failed: {}", config.worker_id, shard,
              record.status().ToString());
    stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
    record = context_.checkpoints->Read(shard);
  }
  if (!record.ok()) {
    state_ = ShardConsumerState::kDone;
    return;
  }
  {
    absl::MutexLock lock(&publisher_mu_);
    checkpointer_ = std::make_unique<ShardCheckpointer>(*context_.checkpoints, shard,
                                                        context_.ownership, record->checkpoint);
    if (lease_lost_) checkpointer_->MarkLeaseLost();
  }
  if (absl::Status s = Call(
          "Initialize",
          [&] {
            processor.Initialize(InitializationInput{shard, record->checkpoint, record->pending});
          });
      !s.ok()) {
    log->error("worker={} shard={} {}", config.worker_id, shard, s.ToString());
  }
  const bool already_ended = record->checkpoint == ExtendedSequenceNumber::ShardEnd();
  {
    absl::MutexLock lock(&publisher_mu_);
    if (!already_ended) {
      publisher_ = context_.make_publisher(
          StartPosition{record->checkpoint, config.initial_timestamp_millis});
      if (stop_.HasBeenNotified()) publisher_->Stop();
    }
  }

  state_ = ShardConsumerState::kProcessing;
  bool shard_ended = already_ended;
  std::vector<ChildShardInfo> children;
  absl::Duration backoff = absl::Milliseconds(100);
  while (!shard_ended && !stop_.HasBeenNotified()) {
    absl::StatusOr<Batch> batch = publisher_->Next(absl::Seconds(1));
    if (!batch.ok()) {
      log->error("worker={} shard={} cannot be read: {}", config.worker_id, shard,
                 batch.status().ToString());
      stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
      continue;
    }
    if (!batch->records.empty()) {
      checkpointer_->SetLargestDelivered(batch->records.back().position());
      // Never skip a batch: retry it (default) or stop the shard.
      while (!lease_lost_) {
        absl::Status s = Call("ProcessRecords", [&] {
          processor.ProcessRecords(
              ProcessRecordsInput{batch->records, batch->millis_behind_latest, *checkpointer_});
        });
        if (s.ok()) break;
        log->error("worker={} shard={} {} (batch of {} from {}); {}", config.worker_id, shard,
                   s.ToString(), batch->records.size(), batch->records.front().sequence_number,
                   config.on_processor_error == ProcessorErrorPolicy::kRetry
                       ? "retrying the same batch"
                       : "stopping the shard");
        if (config.on_processor_error == ProcessorErrorPolicy::kStopShard) {
          shutdown_requested_ = true;
          if (!stop_.HasBeenNotified()) stop_.Notify();
          break;
        }
        stop_.WaitForNotificationWithTimeout(backoff);
        backoff = std::min(backoff * 2, absl::Seconds(10));
        if (shutdown_requested_) break;
      }
      backoff = absl::Milliseconds(100);
    }
    shard_ended = batch->shard_ended;
    if (shard_ended) children = batch->child_shards;
  }

  state_ = ShardConsumerState::kShuttingDown;
  if (lease_lost_) {
    Call("LeaseLost", [&] { processor.LeaseLost(); }).IgnoreError();
  } else if (shard_ended) {
    // Record the children on the lease first: it tells operators (and cleanup) where the
    // shard's keys went, even while the processor has not checkpointed yet.
    std::vector<std::string> child_ids;
    for (const ChildShardInfo& child : children) child_ids.push_back(child.id);
    if (!child_ids.empty()) {
      absl::StatusOr<bool> recorded =
          context_.leases->UpdateLineage(shard, context_.ownership.owner, child_ids);
      if (!recorded.ok() || !*recorded) {
        log->warn("worker={} shard={} recording child shards on the lease failed: {}",
                  config.worker_id, shard,
                  recorded.ok() ? "not the owner any more" : recorded.status().ToString());
      }
    }
    checkpointer_->SetShardEnded();
    // The processor must checkpoint SHARD_END, or the children never start.
    for (int attempt = 0; !lease_lost_; ++attempt) {
      absl::Status s = Call("ShardEnded", [&] { processor.ShardEnded(*checkpointer_); });
      if (s.ok() && checkpointer_->last_checkpoint() == ExtendedSequenceNumber::ShardEnd()) {
        FollowLineage(children);
        shard_finished_ = true;
        break;
      }
      log->error(
          "worker={} shard={} reached its end but the processor did not checkpoint SHARD_END "
          "in ShardEnded ({}); its children cannot start until it does — asking again",
          config.worker_id, shard, s.ok() ? "no checkpoint" : s.ToString());
      if (stop_.WaitForNotificationWithTimeout(absl::Seconds(std::min(attempt + 1, 10)))) break;
    }
  } else {
    Call("ShutdownRequested", [&] { processor.ShutdownRequested(*checkpointer_); }).IgnoreError();
  }
  state_ = ShardConsumerState::kDone;
}

}  // namespace eddy::kcl::internal
