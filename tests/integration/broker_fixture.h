#pragma once
// A test fixture with a fresh eddy-broker process and a client of it.

#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "client/stream_client.h"
#include "common/hash_key.h"
#include "common/testing/temp_dir.h"
#include "tests/integration/process_harness.h"

namespace eddy::testing {

class BrokerTest : public ::testing::Test {
 protected:
  // Arguments for the broker beyond listen/data-dir; override to change limits.
  virtual std::vector<std::string> BrokerArgs() { return {"--limits", "none"}; }

  void SetUp() override {
    data_dir_ = dir_.path() + "/data";
    ASSERT_TRUE(broker_.Start(data_dir_, BrokerArgs()));
    client_ = std::make_unique<client::StreamClient>(
        client::StreamClientOptions{broker_.address(), std::chrono::seconds(30)});
  }

  // Replaces the broker by a fresh one (new data directory) started with BrokerArgs().
  void RestartFresh() {
    broker_.Stop(SIGKILL);
    data_dir_ += "-next";
    ASSERT_TRUE(broker_.Start(data_dir_, BrokerArgs()));
    client_ = std::make_unique<client::StreamClient>(
        client::StreamClientOptions{broker_.address(), std::chrono::seconds(30)});
  }

  void CreateStream(const std::string& name, int shards) {
    v1::CreateStreamRequest request;
    request.set_stream_name(name);
    request.set_shard_count(shards);
    auto response = client_->CreateStream(request);
    ASSERT_TRUE(response.ok()) << response.status();
  }

  std::vector<v1::Shard> Shards(const std::string& stream) {
    v1::ListShardsRequest request;
    request.mutable_stream()->set_stream_name(stream);
    auto response = client_->ListShards(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok()
               ? std::vector<v1::Shard>(response->shards().begin(), response->shards().end())
               : std::vector<v1::Shard>{};
  }

  static common::HashKey Key(const std::string& decimal) {
    common::HashKey key = 0;
    EXPECT_TRUE(common::ParseDecimalUint128(decimal, &key)) << decimal;
    return key;
  }

  absl::Status Split(const std::string& stream, const std::string& shard, common::HashKey key) {
    v1::SplitShardRequest request;
    request.mutable_stream()->set_stream_name(stream);
    request.set_shard_to_split(shard);
    request.set_new_starting_hash_key(common::FormatUint128(key));
    return client_->SplitShard(request).status();
  }

  // Splits `shard` in the middle of its hash key range.
  absl::Status SplitInHalf(const std::string& stream, const std::string& shard) {
    for (const v1::Shard& s : Shards(stream)) {
      if (s.shard_id() != shard) continue;
      const common::HashKey start = Key(s.hash_key_range().starting_hash_key());
      const common::HashKey end = Key(s.hash_key_range().ending_hash_key());
      return Split(stream, shard, start + (end - start) / 2 + 1);
    }
    return absl::NotFoundError(shard);
  }

  absl::Status Merge(const std::string& stream, const std::string& a, const std::string& b) {
    v1::MergeShardsRequest request;
    request.mutable_stream()->set_stream_name(stream);
    request.set_shard_to_merge(a);
    request.set_adjacent_shard_to_merge(b);
    return client_->MergeShards(request).status();
  }

  // Every record of `shard` from TRIM_HORIZON up to the current end.
  std::vector<v1::Record> ReadShard(const std::string& stream, const std::string& shard) {
    v1::GetShardIteratorRequest request;
    request.mutable_stream()->set_stream_name(stream);
    request.set_shard_id(shard);
    request.set_shard_iterator_type(v1::TRIM_HORIZON);
    auto iterator = client_->GetShardIterator(request);
    EXPECT_TRUE(iterator.ok()) << iterator.status();
    std::vector<v1::Record> records;
    std::string next = iterator.ok() ? iterator->shard_iterator() : "";
    while (!next.empty()) {
      v1::GetRecordsRequest get;
      get.set_shard_iterator(next);
      auto response = client_->GetRecords(get);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok() || response->records_size() == 0) break;
      for (const v1::Record& r : response->records()) records.push_back(r);
      next = response->next_shard_iterator();
    }
    return records;
  }

  // The next event of a subscription within `timeout`: false once the stream ended — or if
  // nothing came in time, which fails the test (a subscription must never go silent: the
  // broker sends a heartbeat every 5 s).
  static bool NextEvent(client::ShardSubscriptionReader& reader, v1::SubscribeToShardEvent* event,
                        absl::Duration timeout = absl::Seconds(30)) {
    const client::ShardSubscriptionReader::Result result = reader.Next(event, timeout);
    EXPECT_NE(result, client::ShardSubscriptionReader::Result::kTimedOut)
        << "no subscription event within " << absl::FormatDuration(timeout);
    return result == client::ShardSubscriptionReader::Result::kEvent;
  }

  // Reads a subscription's events until its stream ends, handing each to `on_event`; false
  // (and a test failure) if it has not ended within `timeout`.
  static bool ReadToEnd(client::ShardSubscriptionReader& reader,
                        const std::function<void(const v1::SubscribeToShardEvent&)>& on_event,
                        absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    v1::SubscribeToShardEvent event;
    while (absl::Now() < deadline) {
      const auto result = reader.Next(&event, deadline - absl::Now());
      if (result == client::ShardSubscriptionReader::Result::kEnded) return true;
      if (result == client::ShardSubscriptionReader::Result::kEvent) on_event(event);
    }
    ADD_FAILURE() << "the subscription did not end within " << absl::FormatDuration(timeout);
    return false;
  }

  std::vector<std::string> ShardIds(const std::string& stream) {
    v1::ListShardsRequest request;
    request.mutable_stream()->set_stream_name(stream);
    auto response = client_->ListShards(request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::string> ids;
    if (response.ok()) {
      for (const v1::Shard& s : response->shards()) ids.push_back(s.shard_id());
    }
    return ids;
  }

  common::testing::TempDir dir_;
  std::string data_dir_;
  BrokerProcess broker_;
  std::unique_ptr<client::StreamClient> client_;
};

}  // namespace eddy::testing
