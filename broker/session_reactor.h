#pragma once
// Worker sessions of the coordinator (coordinator.proto, OpenSession).
//
// SessionRegistry remembers the newest session of each (application, worker). A
// SessionReactor holds one session open: it answers with one event (the session is live)
// and then waits. When the call ends without the broker ending it — the worker process died
// (its kernel closes the connection) or the connection dropped — the worker's leases in the
// application are evicted at once, unless a newer session of the same worker exists (it
// restarted and may hold leases again). A host that vanishes silently is left to the lease
// failover time. Thread-safe.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "eddy/v1/coordinator.pb.h"
#include "lease/coordinator_store.h"

namespace eddy::broker {

class SessionReactor;

class SessionRegistry {
 public:
  // Records a new live session; returns its id.
  uint64_t Open(const std::string& application, const std::string& worker, SessionReactor* reactor);
  // Forgets session `id`; true if it was the worker's newest (so its leases may be freed).
  bool Close(const std::string& application, const std::string& worker, uint64_t id);
  // Whether `worker` has a session open in `application` now.
  bool HasSession(const std::string& application, const std::string& worker);
  // The reactor is going away: never notify it again.
  void Remove(const std::string& application, SessionReactor* reactor);
  // Tells every live session of `application` that leases became available.
  void NotifyLeasesAvailable(const std::string& application);

 private:
  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::pair<std::string, std::string>, uint64_t> newest_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<SessionReactor*>> live_ ABSL_GUARDED_BY(mu_);
};

class SessionReactor final : public grpc::ServerWriteReactor<v1::SessionEvent> {
 public:
  // `store`, `registry` and `broker_stopping` must outlive the call. While
  // `broker_stopping` is true, a cancelled session frees nothing (the broker is going down,
  // not the worker).
  SessionReactor(const v1::OpenSessionRequest& request, lease::CoordinatorStore& store,
                 SessionRegistry& registry, const std::atomic<bool>& broker_stopping);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // Sends a "leases available" event (after the one in flight, if any).
  void NotifyLeasesAvailable();

 private:
  // Fills event_ for the next write and marks a write in flight (the caller then calls
  // StartWrite, without mu_).
  void PrepareWriteLocked(bool leases_available) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Evicts the worker's leases (the session broke).
  void FreeLeases();

  const std::string application_;
  const std::string worker_;
  lease::CoordinatorStore& store_;
  SessionRegistry& registry_;
  const std::atomic<bool>& broker_stopping_;
  uint64_t id_ = 0;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool notify_pending_ ABSL_GUARDED_BY(mu_) = false;
  v1::SessionEvent event_;  // written under mu_ only while no write is in flight
};

}  // namespace eddy::broker
