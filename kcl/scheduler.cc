#include "kcl/scheduler.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "client/backoff.h"
#include "client/remote_coordinator.h"
#include "common/errors.h"
#include "common/logging.h"
#include "coordination/etcd_coordinator.h"
#include "kcl/internal/lease_coordinator.h"
#include "kcl/internal/shard_consumer.h"
#include "kcl/internal/shard_sync.h"
#include "kcl/internal/stream_transport.h"
#include "kcl/internal/worker_counters.h"
#include "lease/coordinator_store.h"

namespace eddy::kcl {
namespace {

using internal::ShardConsumer;

// How often an idle fan-out subscription over the Kinesis API asks whether its shard ended.
constexpr absl::Duration kShardEndProbeInterval = absl::Seconds(5);

std::string DefaultWorkerId() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::random_device random;
  return absl::StrCat(host, "-", getpid(), "-", random() % 100000);
}

class SchedulerImpl final : public Scheduler {
 public:
  SchedulerImpl(Config config, RecordProcessorFactory factory,
                std::unique_ptr<client::StreamConnection> streams)
      : config_(std::move(config)), factory_(std::move(factory)), streams_(std::move(streams)) {}

  const Config& config() const override { return config_; }
  WorkerMetrics metrics() const override { return counters_.Snapshot(); }

  void Shutdown() override {
    if (!shutdown_requested_.exchange(true)) shutdown_.Notify();
    Wake(false);
  }

  absl::Status Run() override {
    auto log = common::Logger("eddy.kcl");
    if (absl::Status s = Connect(); !s.ok()) return s;
    coordinator_ = std::make_unique<internal::LeaseCoordinator>(
        *leases_, *config_.clock,
        internal::LeaseCoordinatorOptions{config_.worker_id, config_.failover_millis,
                                          config_.max_leases_for_worker,
                                          config_.max_leases_to_steal});
    StartSession();
    log->info("worker={} application={} stream={} started ({} retrieval)", config_.worker_id,
              config_.application_name, config_.stream_name,
              config_.retrieval_mode == RetrievalMode::kFanOut ? "fan-out" : "polling");
    // Renew every failover / 3; look for leases to take at least every second, so leases
    // released by a worker that shut down are picked up at once.
    const int64_t renew_interval = std::max<int64_t>(config_.failover_millis / 3, 50);
    const int64_t take_interval = std::min<int64_t>(renew_interval, 1000);
    // Shard sync on a thread of its own: a slow stream endpoint must never hold up lease
    // renewals (which must happen every failover / 3).
    std::thread sync([this] { SyncLoop(); });
    int64_t next_renew = 0;
    int64_t next_take = 0;
    while (!shutdown_.HasBeenNotified()) {
      const int64_t now = config_.clock->NowMillis();
      if (SessionBreakPending()) {
        // The coordinator saw this worker's session break and freed its leases: stop
        // processing them at once (others may already hold them).
        for (const std::string& key : coordinator_->DropAll()) {
          log->warn("worker={} shard={} coordinator session lost: stopping", config_.worker_id,
                    key);
          auto it = consumers_.find(key);
          if (it != consumers_.end()) it->second->LeaseLost();
        }
        absl::MutexLock lock(&session_mu_);
        break_pending_ = false;  // the session thread may open a new session now
      }
      if (now >= next_renew) {
        for (const std::string& key : coordinator_->RenewAll()) {
          log->info("worker={} shard={} lease lost", config_.worker_id, key);
          auto it = consumers_.find(key);
          if (it != consumers_.end()) it->second->LeaseLost();
        }
        next_renew = now + renew_interval;
      }
      // With a remote coordinator, leases are taken only while this worker's session is
      // live: a crash then frees them at once, and a session that broke frees only what
      // was held before it broke (never leases taken again since).
      const bool may_take = !open_session_ || session_live_.load();
      if (now >= next_take && may_take) {
        absl::StatusOr<std::vector<std::string>> taken = coordinator_->TakeLeases();
        if (taken.ok()) {
          for (const std::string& key : *taken) {
            log->info("worker={} shard={} lease taken", config_.worker_id, key);
          }
        }
        // Another worker asked for a lease (balancing): let the processor checkpoint, then
        // release it (Reconcile does, once the consumer is done).
        for (const std::string& key : coordinator_->HandoffRequests()) {
          auto it = consumers_.find(key);
          if (it != consumers_.end() && handing_over_.insert(key).second) {
            log->info("worker={} shard={} handing the lease over", config_.worker_id, key);
            it->second->RequestShutdown();
          }
        }
        next_take = now + take_interval;
      }
      Reconcile();
      // Every 100 ms, or at once when the coordinator says leases became available.
      absl::MutexLock lock(&wake_mu_);
      wake_mu_.AwaitWithTimeout(absl::Condition(&wake_), absl::Milliseconds(100));
      wake_ = false;
      if (take_now_) {
        take_now_ = false;
        next_take = 0;
      }
    }
    sync.join();
    // Graceful: processors may checkpoint, then the leases go back at once.
    for (auto& [key, consumer] : consumers_) consumer->RequestShutdown();
    for (auto& [key, consumer] : consumers_) consumer->Join();
    for (const internal::HeldLease& held : coordinator_->Held()) {
      coordinator_->Release(held.lease.key).IgnoreError();
    }
    consumers_.clear();
    StopSession();
    log->info("worker={} stopped; leases released", config_.worker_id);
    return absl::OkStatus();
  }

  ~SchedulerImpl() override { StopSession(); }

 private:
  // Keeps the lease table in step with the stream's shards until shutdown.
  void SyncLoop() {
    auto log = common::Logger("eddy.kcl");
    do {
      absl::StatusOr<internal::ShardSyncResult> synced =
          internal::SyncShards(*streams_, config_, *leases_);
      if (!synced.ok()) {
        log->warn("worker={} shard sync failed: {}", config_.worker_id, synced.status().ToString());
        continue;
      }
      if (synced->listed) listed_.Set(std::move(*synced->listed));
      if (synced->created + synced->removed > 0) {
        log->info("worker={} shard sync: {} leases created, {} finished leases removed",
                  config_.worker_id, synced->created, synced->removed);
        if (synced->created > 0) Wake(true);
      }
    } while (!shutdown_.WaitForNotificationWithTimeout(
        absl::Milliseconds(config_.shard_sync_interval_millis)));
  }

  // Wakes the scheduler loop; with `take`, it looks for leases to take at once.
  void Wake(bool take) {
    absl::MutexLock lock(&wake_mu_);
    wake_ = true;
    take_now_ = take_now_ || take;
  }

  absl::Status Connect() {
    // Lease calls must answer within a renewal interval: a coordinator that stalls must
    // not hold the renewer up past the failover time.
    const auto deadline =
        std::chrono::milliseconds(std::clamp<int64_t>(config_.failover_millis / 3, 100, 30'000));
    if (!config_.etcd_endpoints.empty()) {
      coordination::EtcdCoordinatorOptions options;
      options.session_ttl_millis = config_.etcd_session_ttl_millis > 0
                                       ? config_.etcd_session_ttl_millis
                                       : config_.failover_millis;
      // Keepalives too must answer within a third of the TTL (etcd grants at least 2 s).
      options.client = coordination::EtcdClientOptions{
          config_.etcd_endpoints,
          std::min(deadline, std::chrono::milliseconds(
                                 std::max<int64_t>(options.session_ttl_millis, 2'000) / 3))};
      options.require_session = true;
      etcd_ = std::make_unique<coordination::EtcdCoordinator>(options);
      if (absl::Status s = WaitForCoordinator(
              [&] { return etcd_->CreateApplication(config_.application_name).status(); });
          !s.ok()) {
        return s;
      }
      leases_ = etcd_->Leases(config_.application_name);
      checkpoints_ = etcd_->Checkpoints(config_.application_name);
      open_session_ = [this] {
        return etcd_->OpenSession(config_.application_name, config_.worker_id);
      };
    } else if (!config_.embedded_coordinator_path.empty()) {
      absl::StatusOr<std::unique_ptr<lease::CoordinatorStore>> store =
          lease::CoordinatorStore::Open(config_.embedded_coordinator_path);
      if (!store.ok()) return store.status();
      embedded_ = std::move(*store);
      absl::StatusOr<bool> created = embedded_->CreateApplication(config_.application_name);
      if (!created.ok()) return created.status();
      leases_ = embedded_->Leases(config_.application_name);
      checkpoints_ = embedded_->Checkpoints(config_.application_name);
    } else {
      auto remote = std::make_shared<client::CoordinatorClient>(client::StreamClientOptions{
          config_.coordinator_endpoint.empty() ? config_.endpoint : config_.coordinator_endpoint,
          deadline});
      if (absl::Status s = WaitForCoordinator(
              [&] { return remote->CreateApplication(config_.application_name).status(); });
          !s.ok()) {
        return s;
      }
      open_session_ = [this, remote] {
        return remote->OpenSession(config_.application_name, config_.worker_id);
      };
      leases_ = std::make_unique<client::RemoteLeaseTable>(remote, config_.application_name);
      checkpoints_ =
          std::make_unique<client::RemoteCheckpointStore>(remote, config_.application_name);
    }
    if (config_.retrieval_mode == RetrievalMode::kFanOut) return EnsureConsumer();
    return absl::OkStatus();
  }

  // Calls `create` (the application's lease table) until the coordinator answers.
  absl::Status WaitForCoordinator(const std::function<absl::Status()>& create) {
    while (true) {
      absl::Status created = create();
      if (created.ok() || !common::IsRetryable(created)) return created;
      common::Logger("eddy.kcl")
          ->warn("worker={} waiting for the coordinator: {}", config_.worker_id,
                 created.ToString());
      if (shutdown_.WaitForNotificationWithTimeout(absl::Seconds(1))) return absl::OkStatus();
    }
  }

  // Holds this worker's coordinator session open (remote and etcd coordinators), reopening it
  // after a break. While it is open, a crash of this process frees its leases at once.
  void StartSession() {
    if (!open_session_ || session_thread_.joinable()) return;
    session_thread_ = std::thread([this] {
      client::Backoff backoff({absl::Milliseconds(100), absl::Seconds(2)});
      while (!shutdown_.HasBeenNotified()) {
        std::unique_ptr<client::WorkerSession> session = open_session_();
        {
          absl::MutexLock lock(&session_mu_);
          session_ = session.get();
          if (session_stopping_) session->Cancel();
        }
        client::WorkerSession::Event event;
        const bool live = session->Next(&event);
        if (live) {
          backoff.Reset();
          session_live_ = true;
          Wake(true);
          while (session->Next(&event)) {
            if (event.leases_available > 0) Wake(true);
          }
          session_live_ = false;
        }
        session->Finish().IgnoreError();
        {
          absl::MutexLock lock(&session_mu_);
          session_ = nullptr;
          if (session_stopping_) return;
          if (live) break_pending_ = true;
        }
        if (live) {
          // No new session before the Run loop has dropped what the broken one held: a
          // consumer that ran no check during the break must never find its old lease
          // valid under a new session (others may hold it by now).
          Wake(false);
          absl::MutexLock lock(&session_mu_);
          session_mu_.Await(absl::Condition(this, &SchedulerImpl::BreakHandledOrStopping));
          if (session_stopping_) return;
        }
        shutdown_.WaitForNotificationWithTimeout(backoff.Next());
      }
    });
  }

  bool SessionBreakPending() {
    absl::MutexLock lock(&session_mu_);
    return break_pending_;
  }
  bool BreakHandledOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(session_mu_) {
    return !break_pending_ || session_stopping_;
  }

  void StopSession() {
    {
      absl::MutexLock lock(&session_mu_);
      session_stopping_ = true;
      if (session_ != nullptr) session_->Cancel();
    }
    if (session_thread_.joinable()) session_thread_.join();
  }

  // Registers the application as an enhanced fan-out consumer (or finds one of its name,
  // registered by another worker or an earlier run) and waits until it is ACTIVE. The
  // consumer calls take the stream's ARN, as AWS's do.
  absl::Status EnsureConsumer() {
    constexpr int kAttempts = 600;  // 100 ms apart: a minute
    // AWS answers LimitExceeded to control-plane calls over their rate, and to a sixth
    // consumer CREATING at once: both pass.
    auto passes = [](const absl::Status& status) {
      return common::IsRetryable(status) || common::ErrorType(status) == common::kLimitExceeded;
    };
    // What kept the consumer from ACTIVE, logged now and then (not at every attempt).
    auto waiting = [this](int attempt, const absl::Status& status) {
      if (attempt % 50 != 0) return;
      common::Logger("eddy.kcl")
          ->warn("worker={} waiting for the enhanced fan-out consumer {}: {}", config_.worker_id,
                 config_.application_name, status.ToString());
    };
    for (int attempt = 0; attempt < kAttempts && !shutdown_.HasBeenNotified(); ++attempt) {
      if (attempt > 0) shutdown_.WaitForNotificationWithTimeout(absl::Milliseconds(100));
      if (stream_arn_.empty()) {
        absl::StatusOr<client::StreamSummary> summary =
            streams_->DescribeStreamSummary(client::StreamRef{config_.stream_name, ""});
        if (!summary.ok()) {
          if (!passes(summary.status())) return summary.status();
          waiting(attempt, summary.status());
          continue;
        }
        stream_arn_ = summary->arn;
      }
      absl::StatusOr<client::ConsumerDescription> described =
          streams_->DescribeStreamConsumer(stream_arn_, config_.application_name);
      if (described.ok()) {
        consumer_arn_ = described->arn;
        if (described->status == client::ConsumerDescription::Status::kActive) {
          return absl::OkStatus();
        }
      } else if (common::ErrorType(described.status()) == common::kResourceNotFound) {
        // The stream answered just now, so it is the consumer that is missing (if the stream
        // went meanwhile, registering says so).
        absl::StatusOr<client::ConsumerDescription> registered =
            streams_->RegisterStreamConsumer(stream_arn_, config_.application_name);
        if (!registered.ok() && !passes(registered.status()) &&
            common::ErrorType(registered.status()) != common::kResourceInUse) {
          return registered.status();
        }
      } else if (!passes(described.status())) {
        return described.status();
      } else {
        waiting(attempt, described.status());
      }
    }
    if (shutdown_.HasBeenNotified()) return absl::OkStatus();
    return absl::DeadlineExceededError(absl::StrCat("The consumer ", config_.application_name,
                                                    " of stream ", config_.stream_name,
                                                    " did not become ACTIVE within a minute."));
  }

  // One consumer per held lease; consumers of leases no longer held are told.
  void Reconcile() {
    std::map<std::string, internal::HeldLease> held;
    for (internal::HeldLease& lease : coordinator_->Held()) held[lease.lease.key] = lease;
    for (auto it = consumers_.begin(); it != consumers_.end();) {
      ShardConsumer& consumer = *it->second;
      if (held.count(it->first) == 0) consumer.LeaseLost();
      if (consumer.done()) {
        consumer.Join();
        if (consumer.shard_finished() || held.count(it->first) != 0) {
          // Finished shard (SHARD_END), handed over, or stopped by policy: let it go.
          coordinator_->Release(it->first, handing_over_.count(it->first) != 0).IgnoreError();
          held.erase(it->first);
        }
        handing_over_.erase(it->first);
        it = consumers_.erase(it);
        continue;
      }
      ++it;
    }
    for (const auto& [key, lease] : held) {
      if (consumers_.count(key) != 0) continue;
      ShardConsumer::Context context;
      context.shard_id = key;
      context.parent_shard_ids = lease.lease.parent_shard_ids;
      context.ownership = lease.ownership;
      context.leases = leases_.get();
      context.checkpoints = checkpoints_.get();
      context.config = &config_;
      context.processor = factory_(key);
      context.listed = &listed_;
      context.lease_valid = [this, key, epoch = lease.ownership.epoch] {
        // On etcd the session's lease must be provably alive too: when it ends, etcd frees
        // the owner keys and others may take the leases at once.
        return coordinator_->HoldsFresh(key, epoch) && (etcd_ == nullptr || etcd_->SessionValid());
      };
      context.counters = &counters_;
      const internal::ShardInfo shard{key, lease.lease.hash_range,
                                      config_.out_of_range_user_records,
                                      &counters_.out_of_range_user_records};
      context.make_publisher = [this, shard](const internal::StartPosition& start) {
        if (config_.retrieval_mode == RetrievalMode::kFanOut) {
          // Over the Kinesis API the endpoint may be one that never sends ChildShards.
          const absl::Duration probe = config_.transport == Transport::kKinesisHttp
                                           ? kShardEndProbeInterval
                                           : absl::InfiniteDuration();
          return internal::MakeFanOutPublisher(*streams_, {config_.stream_name, stream_arn_},
                                               consumer_arn_, shard, start, probe);
        }
        return internal::MakePollingPublisher(*streams_, {config_.stream_name, ""}, shard, start,
                                              absl::Milliseconds(config_.polling_idle_millis),
                                              config_.polling_max_calls_per_second);
      };
      auto consumer = std::make_unique<ShardConsumer>(std::move(context));
      consumer->Start();
      consumers_[key] = std::move(consumer);
    }
  }

  Config config_;
  RecordProcessorFactory factory_;
  std::unique_ptr<client::StreamConnection> streams_;
  std::unique_ptr<lease::CoordinatorStore> embedded_;
  std::unique_ptr<coordination::EtcdCoordinator> etcd_;  // declared before its views
  std::unique_ptr<lease::LeaseTable> leases_;
  std::unique_ptr<checkpoint::CheckpointStore> checkpoints_;
  std::unique_ptr<internal::LeaseCoordinator> coordinator_;
  std::string stream_arn_;    // fan-out: found by EnsureConsumer
  std::string consumer_arn_;  // likewise
  internal::ListedShards listed_;
  internal::WorkerCounters counters_;  // outlives every consumer (they are joined in Run)
  std::map<std::string, std::unique_ptr<ShardConsumer>> consumers_;  // the Run thread's
  std::set<std::string> handing_over_;                               // likewise
  std::atomic<bool> shutdown_requested_{false};
  absl::Notification shutdown_;  // notified once
  absl::Mutex wake_mu_;
  bool wake_ ABSL_GUARDED_BY(wake_mu_) = false;
  bool take_now_ ABSL_GUARDED_BY(wake_mu_) = false;
  // Opens this worker's coordinator session (empty: the embedded store has none).
  std::function<std::unique_ptr<client::WorkerSession>()> open_session_;
  std::thread session_thread_;
  std::atomic<bool> session_live_{false};
  absl::Mutex session_mu_;
  client::WorkerSession* session_ ABSL_GUARDED_BY(session_mu_) = nullptr;
  bool session_stopping_ ABSL_GUARDED_BY(session_mu_) = false;
  // A live session broke and the Run loop has not yet dropped the leases it held.
  bool break_pending_ ABSL_GUARDED_BY(session_mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(Config config,
                                                             RecordProcessorFactory factory) {
  if (config.application_name.empty() || config.stream_name.empty()) {
    return common::InvalidArgument("Config needs application_name and stream_name.");
  }
  if (absl::Status s = lease::ValidateApplicationName(config.application_name); !s.ok()) return s;
  if (!factory) return common::InvalidArgument("A record processor factory is required.");
  if (config.failover_millis < 100) {
    return common::InvalidArgument("failover_millis must be at least 100.");
  }
  if (config.initial_position == InitialPosition::kAtTimestamp &&
      config.initial_timestamp_millis <= 0) {
    return common::InvalidArgument("AT_TIMESTAMP needs initial_timestamp_millis.");
  }
  if (config.max_leases_for_worker < 1) {
    return common::InvalidArgument("max_leases_for_worker must be at least 1.");
  }
  if (config.max_leases_to_steal < 1) {
    return common::InvalidArgument("max_leases_to_steal must be at least 1.");
  }
  if (config.shard_sync_interval_millis < 1) {
    return common::InvalidArgument("shard_sync_interval_millis must be at least 1.");
  }
  if (config.polling_idle_millis < 0) {
    return common::InvalidArgument("polling_idle_millis must not be negative.");
  }
  if (config.polling_max_calls_per_second < 0) {
    return common::InvalidArgument("polling_max_calls_per_second must not be negative.");
  }
  if (!config.embedded_coordinator_path.empty() + !config.coordinator_endpoint.empty() +
          !config.etcd_endpoints.empty() >
      1) {
    return common::InvalidArgument(
        "Set one of embedded_coordinator_path, coordinator_endpoint and etcd_endpoints.");
  }
  if (config.etcd_session_ttl_millis < 0) {
    return common::InvalidArgument("etcd_session_ttl_millis must not be negative.");
  }
  if (!config.etcd_endpoints.empty()) {
    absl::StatusOr<std::vector<std::string>> endpoints =
        coordination::ParseEtcdEndpoints(absl::StrJoin(config.etcd_endpoints, ","));
    if (!endpoints.ok()) return endpoints.status();
  }
  if (config.clock == nullptr) return common::InvalidArgument("Config needs a clock.");
  if (config.worker_id.empty()) config.worker_id = DefaultWorkerId();
  absl::StatusOr<std::unique_ptr<client::StreamConnection>> streams =
      internal::OpenStreamConnection(config);
  if (!streams.ok()) return streams.status();
  return std::unique_ptr<Scheduler>(
      new SchedulerImpl(std::move(config), std::move(factory), std::move(*streams)));
}

}  // namespace eddy::kcl
