#pragma once
// A token bucket: the one rate limiter of Eddy (per-shard writes, polling reads, and later
// per-consumer push budgets).

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace eddy::common {

// Refills at `rate_per_second` up to `capacity` tokens. Starts full. Thread-safe.
// The clock must outlive the bucket.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double capacity, const Clock& clock);

  // Takes `tokens` if that many are there now; returns whether it did.
  bool TryTake(double tokens);

  // Takes `tokens` unconditionally; the balance may go negative (debt), which later calls
  // must wait out. Used where the cost is known only after the work (bytes read).
  void TakeAllowingDebt(double tokens);

  // True while the balance is positive (no debt).
  bool HasTokens();

  // Tokens available now (negative while in debt).
  double Available();

  // Nanoseconds until `tokens` would be available (0 when they are now).
  int64_t NanosUntil(double tokens);

 private:
  void RefillLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double rate_per_nano_;
  const double capacity_;
  const Clock& clock_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  int64_t last_refill_nanos_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::common
