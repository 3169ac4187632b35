#pragma once
// A Clock that moves only when told to. Thread-safe.

#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace eddy::common::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_millis = 1'700'000'000'000) : millis_(now_millis) {}
  int64_t NowMillis() const override { return millis_.load(); }
  int64_t MonotonicNanos() const override { return nanos_.load(); }
  // Moves both clocks forward by `millis`.
  void AdvanceMillis(int64_t millis) {
    millis_ += millis;
    nanos_ += millis * 1'000'000;
  }
  void AdvanceNanos(int64_t nanos) { nanos_ += nanos; }

 private:
  std::atomic<int64_t> millis_;
  std::atomic<int64_t> nanos_{0};
};

}  // namespace eddy::common::testing
