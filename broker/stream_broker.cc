#include "broker/stream_broker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/sequence_number.h"
#include "broker/validation.h"
#include "common/errors.h"
#include "common/logging.h"

namespace eddy::broker {

absl::StatusOr<std::unique_ptr<StreamBroker>> StreamBroker::Open(
    const StreamBrokerOptions& options) {
  if (options.data_dir.empty()) return common::InvalidArgument("data_dir is required");
  absl::StatusOr<std::unique_ptr<RecordStore>> store =
      RecordStore::Open(RecordStoreOptions{options.data_dir, options.sync, options.storage_faults});
  if (!store.ok()) return store.status();
  absl::StatusOr<std::string> secret = (*store)->LoadOrCreateSecret();
  if (!secret.ok()) return secret.status();
  absl::StatusOr<std::unique_ptr<StreamCatalog>> catalog =
      StreamCatalog::Open(**store, options.limits, *options.clock);
  if (!catalog.ok()) return catalog.status();
  absl::StatusOr<std::unique_ptr<ConsumerRegistry>> consumers =
      ConsumerRegistry::Open(**store, options.limits, *options.clock,
                             options.fanout.consumer_activation_millis, (*catalog)->List());
  if (!consumers.ok()) return consumers.status();
  return std::unique_ptr<StreamBroker>(new StreamBroker(
      options, std::move(*store), std::move(*catalog), std::move(*consumers), std::move(*secret)));
}

StreamBroker::StreamBroker(const StreamBrokerOptions& options, std::unique_ptr<RecordStore> store,
                           std::unique_ptr<StreamCatalog> catalog,
                           std::unique_ptr<ConsumerRegistry> consumers, std::string secret)
    : options_(options),
      clock_(*options.clock),
      store_(std::move(store)),
      catalog_(std::move(catalog)),
      consumers_(std::move(consumers)),
      fanout_(std::make_unique<FanOutHub>(*store_, clock_, options.fanout, options.limits)),
      coordinator_(lease::CoordinatorStore::OverDatabase(store_->db(), "c")),
      commit_queue_(*store_, clock_),
      tokens_(std::move(secret)) {
  commit_queue_.SetCommitListener([this](ShardState& shard) { fanout_->OnCommit(shard); });
  capacity_ = std::make_unique<CapacityManager>(
      *catalog_, clock_, options.on_demand,
      [this](const std::shared_ptr<StreamState>& stream, const std::string& shard,
             const std::string& key) { return SplitShardInternal(stream, shard, key); },
      [this](const std::shared_ptr<StreamState>& stream, const std::string& shard,
             const std::string& adjacent) { return MergeShardsInternal(stream, shard, adjacent); });
}

StreamBroker::~StreamBroker() { Stop(); }

void StreamBroker::Start() {
  maintenance_.Start();
  fanout_->Start();
  commit_queue_.Start();
  capacity_->Start();
  if (!trimmer_.joinable()) {
    trimmer_ = std::thread([this] {
      while (!stop_trimmer_.WaitForNotificationWithTimeout(
          absl::Milliseconds(options_.retention_check_interval_millis))) {
        TrimExpiredRecords();
      }
    });
  }
}

void StreamBroker::Stop() {
  if (!stop_trimmer_.HasBeenNotified()) stop_trimmer_.Notify();
  if (trimmer_.joinable()) trimmer_.join();
  capacity_->Stop();
  fanout_->Stop();
  commit_queue_.Stop();
  maintenance_.Stop();  // a compaction not started yet is left to RocksDB's own
}

void StreamBroker::TrimExpiredRecords() {
  for (const auto& stream : catalog_->List()) {
    const uint64_t horizon = TrimHorizonCounter(*stream);
    for (const auto& shard : stream->Shards()) {
      const uint64_t ending = shard->ending_counter.load();
      if (ending != 0 && ending < horizon) {
        // A closed shard whose every record has expired: it disappears from the stream.
        stream->RemoveShard(shard->index);
        absl::Status persisted = catalog_->Persist(*stream);
        if (!persisted.ok() && !stream->deleted.load()) {
          common::Logger("eddy.broker")
              ->warn("stream={} shard={} expiry not persisted: {}", stream->name, shard->shard_id,
                     persisted.ToString());
        }
      }
      absl::Status status = store_->TrimBefore(stream->id, shard->index, horizon);
      if (!status.ok()) {
        common::Logger("eddy.broker")
            ->warn("stream={} shard={} retention trim failed: {}", stream->name, shard->shard_id,
                   status.ToString());
      }
    }
  }
}

absl::Status StreamBroker::CreateStream(const CreateStreamParams& params) {
  absl::Status status = catalog_->Create(params);
  if (status.ok()) {
    common::Logger("eddy.broker")
        ->info("stream={} created: {} shards, retention {} h", params.name,
               params.shard_count ? absl::StrCat(*params.shard_count) : "default",
               params.retention_hours);
  }
  return status;
}

absl::Status StreamBroker::DeleteStream(const StreamRef& stream, bool enforce_consumer_deletion) {
  absl::StatusOr<std::shared_ptr<StreamState>> found = catalog_->Find(stream);
  if (!found.ok()) return found.status();
  const int consumers = consumers_->Count((*found)->id);
  if (consumers > 0 && !enforce_consumer_deletion) {
    return common::ResourceInUse(
        absl::StrCat("Stream ", (*found)->name, " has ", consumers,
                     " registered consumers; deregister them or pass EnforceConsumerDeletion."));
  }
  absl::StatusOr<std::shared_ptr<StreamState>> removed = catalog_->Remove(stream);
  if (!removed.ok()) return removed.status();
  consumers_->RemoveAll((*removed)->id);
  fanout_->EndStream((*removed)->id, common::ResourceNotFound(absl::StrCat(
                                         "Stream ", (*removed)->name, " was deleted.")));
  common::Logger("eddy.broker")->info("stream={} deleted", (*removed)->name);
  // Ordered after every write already queued, so no record lands after the deletion.
  commit_queue_.RunOrdered([this, id = (*removed)->id, name = (*removed)->name] {
    absl::Status status = store_->DeleteStreamData(id);
    if (!status.ok()) {
      common::Logger("eddy.broker")
          ->error("stream={} deleting data failed: {}", name, status.ToString());
      return;
    }
    // Reclaiming the space takes seconds for big streams: off the commit thread, which
    // would otherwise stall every write of every stream meanwhile.
    maintenance_.Run([this, id, name] {
      absl::Status reclaimed = store_->ReclaimStreamFiles(id);
      if (!reclaimed.ok()) {
        common::Logger("eddy.broker")
            ->warn("stream={} reclaiming space failed: {}", name, reclaimed.ToString());
      }
    });
  });
  return absl::OkStatus();
}

ShardInfo StreamBroker::DescribeShard(const StreamState& stream, const ShardState& shard) const {
  ShardInfo info;
  info.shard_id = shard.shard_id;
  info.parent_shard_id = shard.parent_shard_id;
  info.adjacent_parent_shard_id = shard.adjacent_parent_shard_id;
  info.hash_range = shard.hash_range;
  const uint32_t tag = StreamTagOf(stream.id);
  info.starting_sequence_number =
      FormatSequenceNumber(SequenceNumber{tag, shard.index, shard.starting_counter});
  if (const uint64_t ending = shard.ending_counter.load(); ending != 0) {
    info.ending_sequence_number = FormatSequenceNumber(SequenceNumber{tag, shard.index, ending});
  }
  return info;
}

absl::StatusOr<StreamInfo> StreamBroker::DescribeStreamSummary(const StreamRef& ref) const {
  absl::StatusOr<std::shared_ptr<StreamState>> stream = catalog_->Find(ref);
  if (!stream.ok()) return stream.status();
  const StreamState& s = **stream;
  StreamInfo info;
  info.name = s.name;
  info.arn = s.arn;
  info.mode = s.mode();
  info.settings = s.settings();
  info.retention_hours = s.retention_hours();
  info.creation_millis = s.creation_millis;
  info.max_record_size_kib = s.max_record_size_kib;
  for (const auto& shard : s.Shards()) info.open_shard_count += shard->IsOpen() ? 1 : 0;
  info.consumer_count = consumers_->Count(s.id);
  info.updating = s.updating();
  return info;
}

absl::StatusOr<StreamInfo> StreamBroker::DescribeStream(const DescribeStreamParams& params) const {
  if (absl::Status s = ValidateRange("limit", params.limit, 1, 10000); !s.ok()) return s;
  uint32_t start_after = 0;
  bool has_start = !params.exclusive_start_shard_id.empty();
  if (has_start) {
    absl::StatusOr<uint32_t> index = ParseShardId(params.exclusive_start_shard_id);
    if (!index.ok()) return index.status();
    start_after = *index;
  }
  absl::StatusOr<StreamInfo> info = DescribeStreamSummary(params.stream);
  if (!info.ok()) return info.status();
  absl::StatusOr<std::shared_ptr<StreamState>> stream = catalog_->Find(params.stream);
  if (!stream.ok()) return stream.status();
  for (const auto& shard : (*stream)->Shards()) {
    if (has_start && shard->index <= start_after) continue;
    if (static_cast<int>(info->shards.size()) == params.limit) {
      info->has_more_shards = true;
      break;
    }
    info->shards.push_back(DescribeShard(**stream, *shard));
  }
  return info;
}

absl::Status StreamBroker::ChangeRetention(const StreamRef& stream, int hours, bool increase) {
  return catalog_->ChangeRetention(stream, hours, increase);
}

}  // namespace eddy::broker
