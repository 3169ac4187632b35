// SIGKILL the broker while producers write: after restart every acknowledged record is
// there, in order, with its sequence number.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/hash_key.h"
#include "tests/integration/broker_fixture.h"

namespace eddy::testing {
namespace {

class BrokerCrashTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerArgs() override { return {"--limits", "none"}; }  // sync=wal
};

TEST_F(BrokerCrashTest, EveryAcknowledgedRecordSurvivesSigkill) {
  CreateStream("durable", 2);
  std::mutex mu;
  std::map<std::string, std::string> acked;  // sequence number -> data
  std::atomic<bool> stop{false};
  std::atomic<long long> acked_count{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < 3; ++p) {
    producers.emplace_back([&, p] {
      client::StreamClient client({broker_.address(), std::chrono::seconds(5)});
      for (int batch = 0; !stop.load() && batch < 100000; ++batch) {
        v1::PutRecordsRequest request;
        request.mutable_stream()->set_stream_name("durable");
        for (int i = 0; i < 50; ++i) {
          v1::PutRecordsRequestEntry* entry = request.add_records();
          entry->set_partition_key(absl::StrCat("p", p, "-", i % 5));
          entry->set_data(absl::StrCat("producer ", p, " batch ", batch, " record ", i));
        }
        auto response = client.PutRecords(request);
        if (!response.ok()) return;  // the broker is gone
        std::lock_guard<std::mutex> lock(mu);
        for (int i = 0; i < response->records_size(); ++i) {
          if (response->records(i).error_code().empty()) {
            acked[response->records(i).sequence_number()] = request.records(i).data();
            ++acked_count;
          }
        }
      }
    });
  }
  ASSERT_TRUE(WaitFor([&] { return acked_count.load() >= 20000; }, std::chrono::seconds(60)));
  broker_.Stop(SIGKILL);  // mid-write: producers are still sending
  stop = true;
  for (std::thread& t : producers) t.join();

  ASSERT_TRUE(broker_.Start(data_dir_, BrokerArgs()));
  client_ = std::make_unique<client::StreamClient>(
      client::StreamClientOptions{broker_.address(), std::chrono::seconds(30)});
  std::map<std::string, std::string> found;
  for (const std::string& shard : ShardIds("durable")) {
    std::vector<v1::Record> records = ReadShard("durable", shard);
    for (size_t i = 0; i < records.size(); ++i) {
      found[records[i].sequence_number()] = records[i].data();
      if (i > 0) {
        absl::uint128 a = 0, b = 0;
        ASSERT_TRUE(common::ParseDecimalUint128(records[i - 1].sequence_number(), &a));
        ASSERT_TRUE(common::ParseDecimalUint128(records[i].sequence_number(), &b));
        ASSERT_LT(a, b);
      }
    }
  }
  long long missing = 0;
  for (const auto& [sequence, data] : acked) {
    auto it = found.find(sequence);
    if (it == found.end() || it->second != data) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << acked.size() << " acknowledged records";
  EXPECT_GE(found.size(), acked.size());
  // Writing goes on after the restart, above every earlier sequence number.
  v1::PutRecordRequest put;
  put.mutable_stream()->set_stream_name("durable");
  put.set_partition_key("after");
  put.set_data("after restart");
  auto after = client_->PutRecord(put);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(found.count(after->sequence_number()), 0u);
}

// --sync none: a put is acknowledged once RocksDB has it, before the disk does. A process
// crash loses nothing (the kernel still writes the WAL out); only a machine crash could.
class NoSyncBrokerCrashTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerArgs() override { return {"--limits", "none", "--sync", "none"}; }
};

TEST_F(NoSyncBrokerCrashTest, AcknowledgedRecordsSurviveAProcessCrash) {
  CreateStream("s", 1);
  std::vector<std::string> acked;
  for (int batch = 0; batch < 10; ++batch) {
    v1::PutRecordsRequest request;
    request.mutable_stream()->set_stream_name("s");
    for (int i = 0; i < 100; ++i) {
      v1::PutRecordsRequestEntry* entry = request.add_records();
      entry->set_partition_key("k");
      entry->set_data(absl::StrCat(batch, "/", i));
    }
    auto response = client_->PutRecords(request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& r : response->records()) acked.push_back(r.sequence_number());
  }
  broker_.Stop(SIGKILL);
  ASSERT_TRUE(broker_.Start(data_dir_, BrokerArgs()));
  client_ = std::make_unique<client::StreamClient>(
      client::StreamClientOptions{broker_.address(), std::chrono::seconds(30)});
  std::vector<std::string> found;
  for (const v1::Record& r : ReadShard("s", "shardId-000000000000")) {
    found.push_back(r.sequence_number());
  }
  EXPECT_EQ(found, acked);
}

}  // namespace
}  // namespace eddy::testing
