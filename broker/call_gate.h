#pragma once
// CallGate: counts the calls a gRPC service has in flight so that shutdown can refuse new
// ones and wait for the rest. Shared by every service of the broker. Thread-safe.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace eddy::broker {

class CallGate {
 public:
  // Admits a call; false once draining. Every admitted call ends with Leave().
  bool Enter() {
    absl::MutexLock lock(&mu_);
    if (draining_) return false;
    ++in_flight_;
    return true;
  }
  void Leave() {
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }
  // Refuses calls from now on; waits up to `timeout` for those in flight. Returns whether
  // they all finished.
  bool Drain(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
  }

 private:
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace eddy::broker
