#pragma once
// FailingStorage: StorageFaults that fail chosen record appends and reads, the way a
// failing disk would (the operation does nothing and returns an error). Arm it, then let
// the broker run into it. Thread-safe.

#include <atomic>

#include "broker/record_store.h"
#include "common/errors.h"

namespace eddy::broker::testing {

class FailingStorage final : public StorageFaults {
 public:
  // The next `n` appends fail.
  void FailAppends(int n) { appends_to_fail_ = n; }
  // The next `n` reads fail.
  void FailReads(int n) { reads_to_fail_ = n; }

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
};

}  // namespace eddy::broker::testing
