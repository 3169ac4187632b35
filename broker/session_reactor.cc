#include "broker/session_reactor.h"

#include "absl/time/clock.h"
#include "common/logging.h"
#include "proto/grpc_status.h"

namespace eddy::broker {

uint64_t SessionRegistry::Open(const std::string& application, const std::string& worker) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  newest_[{application, worker}] = id;
  return id;
}

bool SessionRegistry::Close(const std::string& application, const std::string& worker,
                            uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = newest_.find({application, worker});
  if (it == newest_.end() || it->second != id) return false;
  newest_.erase(it);
  return true;
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
    absl::MutexLock lock(&mu_);
    finished_ = true;
    Finish(proto::ToGrpcStatus(valid, nullptr));
    return;
  }
  id_ = registry_.Open(application_, worker_);
  event_.set_server_time_millis(absl::ToUnixMillis(absl::Now()));
  StartWrite(&event_);  // "the session is live"; then nothing until the call ends
}

void SessionReactor::OnWriteDone(bool /*ok*/) {}

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
    absl::StatusOr<bool> evicted = store_.Evict(application_, lease.key, worker_);
    freed += evicted.ok() && *evicted ? 1 : 0;
  }
  common::Logger("eddy.broker")
      ->info("application={} worker={} session broke: {} leases freed", application_, worker_,
             freed);
}

void SessionReactor::OnDone() {
  registry_.Close(application_, worker_, id_);
  delete this;
}

}  // namespace eddy::broker
