#pragma once
// Time as the rest of Eddy sees it. Everything that expires, renews, backs off or rate
// limits reads an injected Clock so that tests can use testing/fake_clock.h and never sleep.

#include <chrono>
#include <cstdint>

namespace eddy::common {

// Thread-safe source of wall-clock time in milliseconds since the Unix epoch, and of a
// monotonic time for measuring intervals.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (record timestamps, token expiry).
  virtual int64_t NowMillis() const = 0;
  // Monotonic nanoseconds from an arbitrary origin (rate limits, intervals).
  virtual int64_t MonotonicNanos() const = 0;
};

// The real clocks of the machine. Stateless; use the shared instance.
class SystemClock final : public Clock {
 public:
  static const SystemClock& Get() {
    static const SystemClock clock;
    return clock;
  }
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace eddy::common
