#include "common/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace eddy::common {

TokenBucket::TokenBucket(double rate_per_second, double capacity, const Clock& clock)
    : rate_per_nano_(rate_per_second / 1e9),
      capacity_(capacity),
      clock_(clock),
      tokens_(capacity),
      last_refill_nanos_(clock.MonotonicNanos()) {}

void TokenBucket::RefillLocked() {
  const int64_t now = clock_.MonotonicNanos();
  if (now > last_refill_nanos_) {
    tokens_ = std::min(capacity_,
                       tokens_ + static_cast<double>(now - last_refill_nanos_) * rate_per_nano_);
    last_refill_nanos_ = now;
  }
}

bool TokenBucket::TryTake(double tokens) {
  absl::MutexLock lock(&mu_);
  RefillLocked();
  if (tokens_ < tokens) return false;
  tokens_ -= tokens;
  return true;
}

void TokenBucket::TakeAllowingDebt(double tokens) {
  absl::MutexLock lock(&mu_);
  RefillLocked();
  tokens_ -= tokens;
}

bool TokenBucket::HasTokens() { return Available() > 0; }

double TokenBucket::Available() {
  absl::MutexLock lock(&mu_);
  RefillLocked();
  return tokens_;
}

int64_t TokenBucket::NanosUntil(double tokens) {
  absl::MutexLock lock(&mu_);
  RefillLocked();
  if (tokens_ >= tokens) return 0;
  if (rate_per_nano_ <= 0) return INT64_MAX;
  return static_cast<int64_t>(std::ceil((tokens - tokens_) / rate_per_nano_));
}

}  // namespace eddy::common
