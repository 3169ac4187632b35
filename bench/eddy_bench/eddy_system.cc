// Eddy through its own client: PutRecords, and SubscribeToShard push per reader (one
// enhanced fan-out consumer each).
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/eddy_bench/stream_system.h"
#include "client/stream_client.h"
#include "common/errors.h"

namespace eddy::bench {
namespace {

class EddySystem final : public StreamSystem {
 public:
  explicit EddySystem(const std::string& endpoint) : endpoint_(endpoint), client_(Options()) {}

  absl::Status Reset(const std::string& name) override {
    name_ = name;
    consumers_.clear();
    v1::DeleteStreamRequest del;
    del.mutable_stream()->set_stream_name(name);
    del.set_enforce_consumer_deletion(true);
    absl::StatusOr<v1::DeleteStreamResponse> deleted = client_.DeleteStream(del);
    if (!deleted.ok() && common::ErrorType(deleted.status()) != common::kResourceNotFound) {
      return deleted.status();
    }
    v1::CreateStreamRequest create;
    create.set_stream_name(name);
    create.set_shard_count(1);
    return client_.CreateStream(create).status();
  }

  absl::Status PrepareReaders(int count) override {
    for (int i = static_cast<int>(consumers_.size()); i < count; ++i) {
      v1::RegisterStreamConsumerRequest request;
      request.mutable_stream()->set_stream_name(name_);
      request.set_consumer_name(absl::StrCat("bench-", i));
      absl::StatusOr<v1::RegisterStreamConsumerResponse> registered =
          client_.RegisterStreamConsumer(request);
      if (!registered.ok()) return registered.status();
      consumers_.push_back(registered->consumer().consumer_arn());
    }
    // Consumers become ACTIVE after the broker's --consumer-activation-ms.
    for (int attempt = 0; attempt < 200; ++attempt) {
      bool all_active = true;
      for (const std::string& arn : consumers_) {
        v1::DescribeStreamConsumerRequest describe;
        describe.set_consumer_arn(arn);
        auto described = client_.DescribeStreamConsumer(describe);
        if (!described.ok()) return described.status();
        all_active &= described->consumer_description().consumer_status() == v1::CONSUMER_ACTIVE;
      }
      if (all_active) return absl::OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::DeadlineExceededError("consumers did not become ACTIVE");
  }

  absl::Status Append(const std::vector<std::string>& records) override {
    v1::PutRecordsRequest request;
    request.mutable_stream()->set_stream_name(name_);
    for (const std::string& data : records) {
      v1::PutRecordsRequestEntry* entry = request.add_records();
      entry->set_partition_key("k");
      entry->set_data(data);
    }
    absl::StatusOr<v1::PutRecordsResponse> response = client_.PutRecords(request);
    if (!response.ok()) return response.status();
    if (response->failed_record_count() > 0) {
      return absl::ResourceExhaustedError("records refused (run the broker with --limits none)");
    }
    return absl::OkStatus();
  }

  absl::Status Read(int reader, const std::function<bool(absl::string_view)>& on_record,
                    const std::atomic<bool>& stop) override {
    if (reader >= static_cast<int>(consumers_.size())) {
      return absl::FailedPreconditionError("PrepareReaders first");
    }
    client::StreamClient client(Options());  // a connection of its own
    // `stop` cancels the subscription at once (an idle one only wakes for heartbeats).
    std::mutex mu;
    client::ShardSubscriptionReader* current = nullptr;
    std::atomic<bool> done{false};
    std::thread canceller([&] {
      while (!done && !stop) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard<std::mutex> lock(mu);
      if (current != nullptr) current->Cancel();
    });
    struct Joiner {
      std::atomic<bool>& done;
      std::thread& thread;
      ~Joiner() {
        done = true;
        thread.join();
      }
    } joiner{done, canceller};
    v1::SubscribeToShardRequest request;
    request.set_consumer_arn(consumers_[static_cast<size_t>(reader)]);
    request.set_shard_id("shardId-000000000000");
    request.mutable_starting_position()->set_type(v1::TRIM_HORIZON);
    int unavailable = 0;
    while (!stop) {
      std::unique_ptr<client::ShardSubscriptionReader> subscription =
          client.SubscribeToShard(request);
      {
        std::lock_guard<std::mutex> lock(mu);
        current = subscription.get();
        if (stop) subscription->Cancel();
      }
      v1::SubscribeToShardEvent event;
      while (!stop && subscription->Next(&event, absl::InfiniteDuration()) ==
                          client::ShardSubscriptionReader::Result::kEvent) {
        for (const v1::Record& record : event.records()) {
          if (!on_record(record.data())) {
            std::lock_guard<std::mutex> lock(mu);
            current = nullptr;
            subscription->Cancel();
            subscription->Finish().IgnoreError();
            return absl::OkStatus();
          }
        }
        if (!event.continuation_sequence_number().empty()) {
          request.mutable_starting_position()->set_type(v1::AFTER_SEQUENCE_NUMBER);
          request.mutable_starting_position()->set_sequence_number(
              event.continuation_sequence_number());
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        current = nullptr;
      }
      subscription->Cancel();
      absl::Status status = subscription->Finish();
      if (status.code() == absl::StatusCode::kUnavailable && ++unavailable <= 20) {
        // A connection that failed (seen rarely on loopback while 20 connect at once):
        // resubscribe after the last record, as a real consumer would.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      if (!status.ok() && !stop && status.code() != absl::StatusCode::kCancelled) return status;
    }
    return absl::OkStatus();
  }

 private:
  client::StreamClientOptions Options() const {
    return client::StreamClientOptions{endpoint_, std::chrono::seconds(60)};
  }

  const std::string endpoint_;
  client::StreamClient client_;
  std::string name_;
  std::vector<std::string> consumers_;
};

}  // namespace

std::unique_ptr<StreamSystem> MakeEddySystem(const std::string& endpoint) {
  return std::make_unique<EddySystem>(endpoint);
}

}  // namespace eddy::bench
