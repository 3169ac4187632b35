#pragma once
// Backoff: the one retry delay of Eddy's clients and consumer framework — exponential, capped,
// with jitter so that the workers a failure hit at the same moment do not all come back at
// the same moment.

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace eddy::client {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(100);
  absl::Duration maximum = absl::Seconds(2);
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [(1 - jitter) × d, d], d the capped exponential
  // delay: 0 is no jitter, 1 is AWS's "full jitter".
  double jitter = 0.5;
};

// Not thread-safe: one per retry loop.
class Backoff {
 public:
  explicit Backoff(BackoffOptions options = {}, uint64_t seed = std::random_device{}());

  // The delay before the next attempt; each call grows the next one, up to the maximum.
  absl::Duration Next();
  // After a success: the next delay is the initial one again.
  void Reset();

 private:
  BackoffOptions options_;
  absl::Duration current_;
  std::mt19937_64 random_;
};

}  // namespace eddy::client
