#include "broker/session_reactor.h"

#include "absl/time/clock.h"
#include "common/logging.h"
#include "proto/grpc_status.h"

namespace eddy::broker {

uint64_t SessionRegistry::Open(const std::string& application, const std::string& worker,
                               SessionReactor* reactor) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  newest_[{application, worker}] = id;
  live_[application].insert(reactor);
  return id;
}

void SessionRegistry::Remove(const std::string& application, SessionReactor* reactor) {
  absl::MutexLock lock(&mu_);
  auto it = live_.find(application);
  if (it == live_.end()) return;
  it->second.erase(reactor);
  if (it->second.empty()) live_.erase(it);
}

void SessionRegistry::NotifyLeasesAvailable(const std::string& application) {
  // Under mu_: a reactor leaves the set (Remove) before it is deleted.
  absl::MutexLock lock(&mu_);
  auto it = live_.find(application);
  if (it == live_.end()) return;
  for (SessionReactor* reactor : it->second) reactor->NotifyLeasesAvailable();
}

bool SessionRegistry::Close(const std::string& application, const std::string& worker,
                            uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = newest_.find({application, worker});
  if (it == newest_.end() || it->second != id) return false;
  newest_.erase(it);
  return true;
}

bool SessionRegistry::HasSession(const std::string& application, const std::string& worker) {
  absl::MutexLock lock(&mu_);
  return newest_.count({application, worker}) != 0;
}

SessionReactor::SessionReactor(const v1::OpenSessionRequest& request,
                               lease::CoordinatorStore& store, SessionRegistry& registry,
                               const std::atomic<bool>& broker_stopping)
    : application_(request.application()),
      worker_(request.worker_id()),
      store_(store),
      registry_(registry),
      broker_stopping_(broker_stopping) {
  absl::Status valid = lease::ValidateApplicationName(application_);
  if (valid.ok() && (worker_.empty() || worker_.size() > lease::kMaxOwnerBytes)) {
    valid = absl::InvalidArgumentError("OpenSession needs a worker_id of 1–256 bytes.");
  }
  if (!valid.ok()) {
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
    }
    Finish(proto::ToGrpcStatus(valid, nullptr));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    PrepareWriteLocked(false);  // "the session is live"
  }
  id_ = registry_.Open(application_, worker_, this);
  StartWrite(&event_);
}

void SessionReactor::PrepareWriteLocked(bool leases_available) {
  writing_ = true;
  event_.set_server_time_millis(absl::ToUnixMillis(absl::Now()));
  event_.set_leases_available(leases_available ? 1 : 0);
}

// StartWrite is called without mu_ held: gRPC may run OnWriteDone inline.
void SessionReactor::NotifyLeasesAvailable() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (writing_) {
      notify_pending_ = true;  // one event after the current write covers every notice
      return;
    }
    PrepareWriteLocked(true);
  }
  StartWrite(&event_);
}

void SessionReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok || finished_ || !notify_pending_) return;
    notify_pending_ = false;
    PrepareWriteLocked(true);
  }
  StartWrite(&event_);
}

void SessionReactor::OnCancel() {
  // The worker went away without a goodbye.
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
  }
  if (!broker_stopping_.load()) FreeLeases();
  Finish(grpc::Status::CANCELLED);
}

void SessionReactor::FreeLeases() {
  if (!registry_.Close(application_, worker_, id_)) return;  // a newer session took over
  absl::StatusOr<std::vector<lease::Lease>> leases = store_.List(application_);
  if (!leases.ok()) return;
  int freed = 0;
  for (const lease::Lease& lease : *leases) {
    if (lease.owner != worker_) continue;
    // The worker is back (a new session): what it holds now is its own again.
    if (registry_.HasSession(application_, worker_)) break;
    // Only the ownership seen here: if the worker has reconnected and taken the lease
    // again meanwhile, that newer ownership is live and stays.
    absl::StatusOr<bool> evicted = store_.Evict(application_, lease.key, worker_, lease.epoch);
    freed += evicted.ok() && *evicted ? 1 : 0;
  }
  common::Logger("eddy.broker")
      ->info("application={} worker={} session broke: {} leases freed", application_, worker_,
             freed);
  if (freed > 0) registry_.NotifyLeasesAvailable(application_);
}

void SessionReactor::OnDone() {
  registry_.Remove(application_, this);
  registry_.Close(application_, worker_, id_);
  delete this;
}

}  // namespace eddy::broker
