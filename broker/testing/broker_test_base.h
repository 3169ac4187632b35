#pragma once
// A test fixture with a StreamBroker on a temp dir, a fake clock and storage faults to arm,
// and helpers to put and read synchronously. No network.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "broker/stream_broker.h"
#include "broker/testing/failing_storage.h"
#include "common/testing/fake_clock.h"
#include "common/testing/temp_dir.h"

namespace eddy::broker::testing {

class BrokerTestBase : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(BrokerLimits::None()); }
  void TearDown() override {
    if (broker_) broker_->Stop();
  }

  // Options for the next Reopen (fan-out settings, for instance).
  StreamBrokerOptions& options() { return options_; }

  void Reopen(const BrokerLimits& limits) {
    if (broker_) broker_->Stop();
    broker_.reset();
    StreamBrokerOptions options = options_;
    options.data_dir = dir_.path();
    options.limits = limits;
    options.clock = &clock_;
    options.storage_faults = faults_;
    options.retention_check_interval_millis = 3'600'000;  // tests trim by hand
    auto opened = StreamBroker::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    broker_ = std::move(*opened);
    broker_->Start();
  }

  void Create(const std::string& name, int shards) {
    CreateStreamParams params;
    params.name = name;
    params.shard_count = shards;
    ASSERT_TRUE(broker_->CreateStream(params).ok());
  }

  absl::StatusOr<std::vector<PutOutcome>> Put(const std::string& stream,
                                              std::vector<PutEntry> entries) {
    // Shared with the callback, which may outlive a put that timed out.
    struct Answer {
      absl::StatusOr<std::vector<PutOutcome>> result;
      absl::Notification done;
    };
    auto answer = std::make_shared<Answer>();
    broker_->PutRecords(StreamRef{stream, ""}, std::move(entries),
                        [answer](absl::StatusOr<std::vector<PutOutcome>> r) {
                          answer->result = std::move(r);
                          answer->done.Notify();
                        });
    if (!answer->done.WaitForNotificationWithTimeout(absl::Seconds(30))) {
      ADD_FAILURE() << "a put was not answered within 30 s";
      return absl::DeadlineExceededError("put not answered");
    }
    return answer->result;
  }

  PutOutcome PutOne(const std::string& stream, const std::string& key, const std::string& data) {
    auto result = Put(stream, {PutEntry{data, key, std::nullopt}});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->front() : PutOutcome{};
  }

  std::string Iterator(const std::string& stream, const std::string& shard, IteratorType type,
                       const std::string& sequence = "", int64_t timestamp = 0) {
    GetShardIteratorParams params{StreamRef{stream, ""}, shard, type, sequence, timestamp};
    auto iterator = broker_->GetShardIterator(params);
    EXPECT_TRUE(iterator.ok()) << iterator.status();
    return iterator.ok() ? iterator->iterator : "";
  }

  std::vector<std::string> ReadAllData(const std::string& iterator) {
    auto result = broker_->GetRecords(iterator, 10000);
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<std::string> data;
    if (result.ok()) {
      for (const RecordOut& r : result->records) data.push_back(r.data);
    }
    return data;
  }

  StreamBrokerOptions options_;
  // Storage faults to arm (FailAppends, FailReads); none until a test does.
  std::shared_ptr<FailingStorage> faults_ = std::make_shared<FailingStorage>();
  common::testing::TempDir dir_;
  common::testing::FakeClock clock_;
  std::unique_ptr<StreamBroker> broker_;
};

}  // namespace eddy::broker::testing
