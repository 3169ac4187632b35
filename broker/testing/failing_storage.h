#pragma once
// FailingStorage: StorageFaults that fail chosen record appends, reads and stream metadata
// writes, the way a failing disk would (the operation does nothing and returns an error).
// Arm it, then let the broker run into it. Thread-safe.

#include <atomic>
#include <functional>
#include <utility>

#include "broker/record_store.h"
#include "common/errors.h"

namespace eddy::broker::testing {

class FailingStorage final : public StorageFaults {
 public:
  // The next `n` appends fail.
  void FailAppends(int n) { appends_to_fail_ = n; }
  // The next `n` reads fail.
  void FailReads(int n) { reads_to_fail_ = n; }
  // The next stream metadata write fails; `while_failing` runs first, inside the write
  // (to look at what readers see meanwhile). Not to be called while a write is under way.
  void FailNextStreamWrite(std::function<void()> while_failing = {}) {
    while_failing_ = std::move(while_failing);
    fail_stream_write_ = true;
  }

  int failed_appends() const { return failed_appends_; }
  int failed_reads() const { return failed_reads_; }

  absl::Status BeforeAppend(const std::vector<RecordToWrite>&) override {
    if (appends_to_fail_.fetch_sub(1) <= 0) {
      appends_to_fail_ = 0;
      return absl::OkStatus();
    }
    ++failed_appends_;
    return common::InternalFailure("injected write failure (disk full)");
  }

  absl::Status BeforeStreamWrite(const storage::v1::StoredStream&) override {
    if (!fail_stream_write_.exchange(false)) return absl::OkStatus();
    if (while_failing_) std::exchange(while_failing_, {})();
    return common::InternalFailure("injected metadata write failure (disk full)");
  }

  absl::Status BeforeRead(const ReadRange&) override {
    if (reads_to_fail_.fetch_sub(1) <= 0) {
      reads_to_fail_ = 0;
      return absl::OkStatus();
    }
    ++failed_reads_;
    return common::InternalFailure("injected read failure (I/O error)");
  }

 private:
  std::atomic<int> appends_to_fail_{0};
  std::atomic<int> reads_to_fail_{0};
  std::atomic<int> failed_appends_{0};
  std::atomic<int> failed_reads_{0};
  std::atomic<bool> fail_stream_write_{false};
  std::function<void()> while_failing_;
};

}  // namespace eddy::broker::testing
