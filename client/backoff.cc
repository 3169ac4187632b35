#include "client/backoff.h"

#include <algorithm>

namespace eddy::client {

Backoff::Backoff(BackoffOptions options, uint64_t seed)
    : options_(options), current_(options.initial), random_(seed) {
  options_.jitter = std::clamp(options_.jitter, 0.0, 1.0);
  options_.multiplier = std::max(options_.multiplier, 1.0);
  options_.maximum = std::max(options_.maximum, options_.initial);
}

absl::Duration Backoff::Next() {
  const absl::Duration ceiling = current_;
  current_ = std::min(current_ * options_.multiplier, options_.maximum);
  const double fraction =
      1.0 - options_.jitter * std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  return ceiling * fraction;
}

void Backoff::Reset() { current_ = options_.initial; }

}  // namespace eddy::client
