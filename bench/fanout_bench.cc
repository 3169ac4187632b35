// eddy-fanout-bench: enhanced fan-out measurements against a running broker
// (bench/fanout starts one with --limits none).
//
//   eddy-fanout-bench latency --endpoint A [--rate 1000] [--seconds 10] [--size 1024]
//     One producer writes one record per PutRecord at --rate; one subscriber follows.
//     Prints p50/p99/max of (producer acknowledgment → subscriber receipt) and of
//     (producer send → subscriber receipt), in milliseconds.
//   eddy-fanout-bench processor-latency --endpoint A [--rate 1000] [--seconds 10]
//     The same, but received by a record processor of the consumer framework (fan-out).
//   eddy-fanout-bench throughput --endpoint A --subscribers N [--records 100000] [--size 1024]
//     N consumers read the same backlog of --records from TRIM_HORIZON, then follow a live
//     producer writing as many again. Prints total delivered MB/s for both phases.
//
// Every loop is bounded by its record count and a deadline.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/stream_client.h"
#include "kcl/scheduler.h"

namespace {

using Clock = std::chrono::steady_clock;
using eddy::client::StreamClient;
using eddy::client::StreamClientOptions;
namespace v1 = eddy::v1;

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

bool Check(const absl::Status& status, const char* what) {
  if (!status.ok()) std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  return status.ok();
}

std::string SetUp(StreamClient& client, const std::string& stream, int consumers,
                  std::vector<std::string>* arns) {
  v1::CreateStreamRequest create;
  create.set_stream_name(stream);
  create.set_shard_count(1);
  if (!Check(client.CreateStream(create).status(), "CreateStream")) return "";
  for (int i = 0; i < consumers; ++i) {
    v1::RegisterStreamConsumerRequest request;
    request.mutable_stream()->set_stream_name(stream);
    request.set_consumer_name(absl::StrCat("bench-", i));
    auto response = client.RegisterStreamConsumer(request);
    if (!Check(response.status(), "RegisterStreamConsumer")) return "";
    arns->push_back(response->consumer().consumer_arn());
  }
  // Wait (bounded) until the consumers are ACTIVE.
  for (const std::string& arn : *arns) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      v1::DescribeStreamConsumerRequest describe;
      describe.set_consumer_arn(arn);
      auto response = client.DescribeStreamConsumer(describe);
      if (response.ok() && response->consumer_description().consumer_status() ==
                               v1::CONSUMER_ACTIVE) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return stream;
}

std::unique_ptr<eddy::client::ShardSubscriptionReader> Subscribe(StreamClient& client,
                                                                 const std::string& arn,
                                                                 v1::ShardIteratorType type) {
  v1::SubscribeToShardRequest request;
  request.set_consumer_arn(arn);
  request.set_shard_id("shardId-000000000000");
  request.mutable_starting_position()->set_type(type);
  return client.SubscribeToShard(request);
}

void PrintPercentiles(const char* name, std::vector<double> values) {
  if (values.empty()) return;
  std::sort(values.begin(), values.end());
  auto at = [&](double q) { return values[static_cast<size_t>(q * (values.size() - 1))]; };
  std::printf("%s: n=%zu p50=%.3f ms p99=%.3f ms max=%.3f ms\n", name, values.size(), at(0.5),
              at(0.99), values.back());
}

// Writes sent->size() records, one PutRecord each, at `rate` per second; record i has
// partition key "i". Fills in when each was sent and acknowledged.
void ProducePaced(const std::string& endpoint, const std::string& stream, double rate, int size,
                  std::vector<Clock::time_point>* sent, std::vector<Clock::time_point>* acked) {
  StreamClient producer(StreamClientOptions{endpoint});
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < sent->size(); ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(i / rate)));
    v1::PutRecordRequest put;
    put.mutable_stream()->set_stream_name(stream);
    put.set_partition_key(std::to_string(i));
    put.set_data(std::string(static_cast<size_t>(size), 'x'));
    (*sent)[i] = Clock::now();
    if (!Check(producer.PutRecord(put).status(), "PutRecord")) break;
    (*acked)[i] = Clock::now();
  }
}

int Latency(const std::string& endpoint, double rate, double seconds, int size) {
  StreamClient admin(StreamClientOptions{endpoint});
  std::vector<std::string> arns;
  const std::string stream = SetUp(admin, absl::StrCat("latency-", time(nullptr)), 1, &arns);
  if (stream.empty()) return 1;
  const int count = static_cast<int>(rate * seconds);
  std::vector<Clock::time_point> sent(count), acked(count), received(count);
  std::vector<char> got(count, 0);

  StreamClient subscriber_client(StreamClientOptions{endpoint});
  auto reader = Subscribe(subscriber_client, arns[0], v1::LATEST);
  v1::SubscribeToShardEvent event;
  if (!reader->Next(&event)) return Check(reader->Finish(), "SubscribeToShard"), 1;
  std::atomic<int> received_count{0};
  std::thread subscriber([&] {
    while (received_count.load() < count && reader->Next(&event)) {
      const Clock::time_point now = Clock::now();
      for (const v1::Record& record : event.records()) {
        int index = 0;
        if (absl::SimpleAtoi(record.partition_key(), &index) && index >= 0 && index < count &&
            !got[index]) {
          received[index] = now;
          got[index] = 1;
          ++received_count;
        }
      }
    }
    reader->Cancel();
  });

  ProducePaced(endpoint, stream, rate, size, &sent, &acked);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (received_count.load() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reader->Cancel();
  subscriber.join();
  reader->Finish().IgnoreError();
  std::vector<double> from_ack, from_send;
  for (int i = 0; i < count; ++i) {
    if (!got[i]) continue;
    from_ack.push_back(Millis(received[i] - acked[i]));
    from_send.push_back(Millis(received[i] - sent[i]));
  }
  std::printf("records: %d sent, %d received, rate %.0f/s, %d bytes\n", count,
              received_count.load(), rate, size);
  PrintPercentiles("ack->receipt ", from_ack);
  PrintPercentiles("send->receipt", from_send);
  return received_count.load() == count ? 0 : 1;
}

// Writes `count` records of `size` bytes in batches of 500.
bool Produce(StreamClient& client, const std::string& stream, int count, int size) {
  for (int done = 0; done < count;) {
    v1::PutRecordsRequest request;
    request.mutable_stream()->set_stream_name(stream);
    for (int i = 0; i < 500 && done + i < count; ++i) {
      v1::PutRecordsRequestEntry* entry = request.add_records();
      entry->set_partition_key(std::to_string((done + i) % 100));
      entry->set_data(std::string(static_cast<size_t>(size), 'x'));
    }
    if (!Check(client.PutRecords(request).status(), "PutRecords")) return false;
    done += request.records_size();
  }
  return true;
}

// Has every subscriber read `count` records; returns total bytes delivered / elapsed.
double Fan(const std::string& endpoint, const std::vector<std::string>& arns,
           v1::ShardIteratorType type, int count, const std::function<void()>& during) {
  std::atomic<int64_t> bytes{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (const std::string& arn : arns) {
    threads.emplace_back([&, arn] {
      StreamClient client(StreamClientOptions{endpoint});
      auto reader = Subscribe(client, arn, type);
      v1::SubscribeToShardEvent event;
      int records = 0;
      bool first = true;
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(120);
      while (records < count && Clock::now() < deadline && reader->Next(&event)) {
        if (first) {
          ++ready;
          first = false;
        }
        for (const v1::Record& record : event.records()) {
          bytes += static_cast<int64_t>(record.data().size());
          ++records;
        }
      }
      reader->Cancel();
      reader->Finish().IgnoreError();
    });
  }
  if (during) {
    while (ready.load() < static_cast<int>(arns.size())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    during();
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(bytes.load()) / seconds / 1e6;
}

int Throughput(const std::string& endpoint, int subscribers, int records, int size) {
  StreamClient admin(StreamClientOptions{endpoint});
  std::vector<std::string> arns;
  const std::string stream =
      SetUp(admin, absl::StrCat("fanout-", subscribers, "-", time(nullptr)), subscribers, &arns);
  if (stream.empty() || !Produce(admin, stream, records, size)) return 1;
  const double backlog = Fan(endpoint, arns, v1::TRIM_HORIZON, records, nullptr);
  // Live: subscribers at LATEST while a producer writes.
  std::vector<std::string> live_arns;
  for (int i = 0; i < subscribers; ++i) {
    v1::DeregisterStreamConsumerRequest d;
    d.set_consumer_arn(arns[i]);
    admin.DeregisterStreamConsumer(d).IgnoreError();
  }
  for (int i = 0; i < subscribers; ++i) {
    v1::RegisterStreamConsumerRequest request;
    request.mutable_stream()->set_stream_name(stream);
    request.set_consumer_name(absl::StrCat("live-", i));
    auto response = admin.RegisterStreamConsumer(request);
    if (!Check(response.status(), "RegisterStreamConsumer")) return 1;
    live_arns.push_back(response->consumer().consumer_arn());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // consumers become ACTIVE
  const double live = Fan(endpoint, live_arns, v1::LATEST, records,
                          [&] { Produce(admin, stream, records, size); });
  std::printf("subscribers=%d records=%d size=%d backlog_total_MBps=%.1f live_total_MBps=%.1f\n",
              subscribers, records, size, backlog, live);
  return 0;
}

// Records when each record (its index in the partition key) reached the processor.
class TimingProcessor final : public eddy::kcl::RecordProcessor {
 public:
  TimingProcessor(std::vector<Clock::time_point>& at, std::vector<char>& got,
                  std::atomic<int>& count, std::mutex& mu)
      : at_(at), got_(got), count_(count), mu_(mu) {}
  void ProcessRecords(const eddy::kcl::ProcessRecordsInput& input) override {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& record : input.records) {
      int index = 0;
      if (absl::SimpleAtoi(record.partition_key, &index) && index >= 0 &&
          index < static_cast<int>(got_.size()) && !got_[index]) {
        got_[index] = 1;
        at_[index] = now;
        ++count_;
      }
    }
  }
  void ShardEnded(eddy::kcl::Checkpointer& checkpointer) override {
    checkpointer.Checkpoint().IgnoreError();
  }

 private:
  std::vector<Clock::time_point>& at_;
  std::vector<char>& got_;
  std::atomic<int>& count_;
  std::mutex& mu_;
};

// Producer send → record processor call, through the consumer framework (fan-out).
int ProcessorLatency(const std::string& endpoint, double rate, double seconds, int size) {
  StreamClient admin(StreamClientOptions{endpoint});
  const std::string stream = absl::StrCat("kcl-latency-", time(nullptr));
  v1::CreateStreamRequest create;
  create.set_stream_name(stream);
  create.set_shard_count(1);
  if (!Check(admin.CreateStream(create).status(), "CreateStream")) return 1;
  const int count = static_cast<int>(rate * seconds);
  std::vector<Clock::time_point> sent(count), processed(count);
  std::vector<char> got(count, 0);
  std::atomic<int> received{0};
  std::mutex mu;
  eddy::kcl::Config config;
  config.application_name = absl::StrCat("latency-", time(nullptr));
  config.stream_name = stream;
  config.endpoint = endpoint;
  config.initial_position = eddy::kcl::InitialPosition::kTrimHorizon;
  auto scheduler = eddy::kcl::Scheduler::Create(config, [&](const std::string&) {
    return std::make_unique<TimingProcessor>(processed, got, received, mu);
  });
  if (!Check(scheduler.status(), "Scheduler")) return 1;
  std::thread worker([&] { (*scheduler)->Run().IgnoreError(); });
  std::this_thread::sleep_for(std::chrono::seconds(3));  // lease taken, subscription live
  std::vector<Clock::time_point> acked(count);
  ProducePaced(endpoint, stream, rate, size, &sent, &acked);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (received.load() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*scheduler)->Shutdown();
  worker.join();
  std::vector<double> latency;
  for (int i = 0; i < count; ++i) {
    if (got[i]) latency.push_back(Millis(processed[i] - sent[i]));
  }
  std::printf("records: %d sent, %d processed, rate %.0f/s, %d bytes\n", count, received.load(),
              rate, size);
  PrintPercentiles("send->processor", latency);
  return received.load() == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eddy-fanout-bench"};
  app.require_subcommand(1);
  std::string endpoint = "127.0.0.1:4567";
  double rate = 1000, seconds = 10;
  int size = 1024, subscribers = 1, records = 100000;
  app.add_option("--endpoint", endpoint);
  CLI::App* latency = app.add_subcommand("latency");
  latency->add_option("--rate", rate);
  latency->add_option("--seconds", seconds);
  latency->add_option("--size", size);
  CLI::App* processor = app.add_subcommand("processor-latency");
  processor->add_option("--rate", rate);
  processor->add_option("--seconds", seconds);
  processor->add_option("--size", size);
  CLI::App* throughput = app.add_subcommand("throughput");
  throughput->add_option("--subscribers", subscribers)->check(CLI::Range(1, 20));
  throughput->add_option("--records", records);
  throughput->add_option("--size", size);
  app.fallthrough();
  CLI11_PARSE(app, argc, argv);
  if (latency->parsed()) return Latency(endpoint, rate, seconds, size);
  if (processor->parsed()) return ProcessorLatency(endpoint, rate, seconds, size);
  return Throughput(endpoint, subscribers, records, size);
}
