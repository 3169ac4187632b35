#include "bench/eddy_bench/workloads.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/eddy_bench/cpu_time.h"

namespace eddy::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatch = 500;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

Clock::duration FromSeconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// A record of `bytes` whose first 8 bytes are `stamp` (steady-clock nanoseconds).
std::string Record(int bytes, int64_t stamp) {
  std::string data(static_cast<size_t>(std::max(bytes, 8)), 'x');
  for (size_t i = 8; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  std::memcpy(data.data(), &stamp, sizeof(stamp));
  return data;
}

int64_t StampOf(absl::string_view data) {
  int64_t stamp = 0;
  if (data.size() >= sizeof(stamp)) std::memcpy(&stamp, data.data(), sizeof(stamp));
  return stamp;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(
      values.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(values.size())));
  return values[index];
}

// Appends batches of 500 for `seconds` or until `max_records`; returns records appended.
absl::StatusOr<int64_t> AppendFor(StreamSystem& system, int bytes, double seconds,
                                  int64_t max_records) {
  const std::vector<std::string> batch(kBatch, Record(bytes, 0));
  const auto deadline = Clock::now() + FromSeconds(seconds);
  int64_t appended = 0;
  while (appended < max_records && Clock::now() < deadline) {
    if (absl::Status s = system.Append(batch); !s.ok()) return s;
    appended += kBatch;
  }
  return appended;
}

}  // namespace

BenchScale BenchScale::For(bool smoke) {
  BenchScale scale;
  scale.smoke = smoke;
  if (smoke) {
    scale.ingest_seconds = 1;
    scale.latency_seconds = 1;
    scale.backlog_records = 2'000;
    scale.live_seconds = 1;
  }
  return scale;
}

BenchScale BenchScale::ForSlowPeer(bool smoke) {
  BenchScale scale = For(smoke);
  scale.latency_rate = 20;
  scale.backlog_records = smoke ? 200 : 2'000;
  return scale;
}

nlohmann::json RunIngest(StreamSystem& system, const BenchScale& scale) {
  if (absl::Status s = system.Reset("bench-ingest"); !s.ok()) return Failed("ingest", s);
  const auto start = Clock::now();
  absl::StatusOr<int64_t> appended =
      AppendFor(system, scale.record_bytes, scale.ingest_seconds, 2'000'000);
  if (!appended.ok()) return Failed("ingest", appended.status());
  const double seconds = Seconds(Clock::now() - start);
  const double rate = static_cast<double>(*appended) / seconds;
  return {
      {"Workload", "ingest"},
      {"Metrics", {{"RecordsPerSecond", rate}, {"MBPerSecond", rate * scale.record_bytes / 1e6}}},
      {"Records", *appended}};
}

nlohmann::json RunLatency(StreamSystem& system, const BenchScale& scale) {
  if (absl::Status s = system.Reset("bench-latency"); !s.ok()) return Failed("latency", s);
  if (absl::Status s = system.PrepareReaders(1); !s.ok()) return Failed("latency", s);
  const int64_t total = static_cast<int64_t>(scale.latency_rate * scale.latency_seconds);
  std::mutex mu;
  std::vector<double> millis;
  millis.reserve(static_cast<size_t>(total));
  std::atomic<bool> stop{false};
  absl::Status read_status;
  std::thread reader([&] {
    read_status = system.Read(
        0,
        [&](absl::string_view data) {
          const double ms = static_cast<double>(NowNanos() - StampOf(data)) / 1e6;
          std::lock_guard<std::mutex> lock(mu);
          millis.push_back(ms);
          return static_cast<int64_t>(millis.size()) < total;
        },
        stop);
  });
  const auto start = Clock::now();
  absl::Status write_status;
  for (int64_t i = 0; i < total && write_status.ok(); ++i) {
    std::this_thread::sleep_until(start + FromSeconds(static_cast<double>(i) / scale.latency_rate));
    write_status = system.Append({Record(scale.record_bytes, NowNanos())});
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (static_cast<int64_t>(millis.size()) >= total) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  reader.join();
  if (!write_status.ok()) return Failed("latency", write_status);
  if (!read_status.ok()) return Failed("latency", read_status);
  std::lock_guard<std::mutex> lock(mu);
  const size_t worst =
      millis.empty()
          ? 0
          : static_cast<size_t>(std::max_element(millis.begin(), millis.end()) - millis.begin());
  return {{"Workload", "latency"},
          {"WorstRecordIndex", worst},
          {"Metrics",
           {{"P50Millis", Percentile(millis, 50)},
            {"P99Millis", Percentile(millis, 99)},
            {"MaxMillis", millis.empty() ? 0 : *std::max_element(millis.begin(), millis.end())}}},
          {"Sent", total},
          {"Received", millis.size()}};
}

nlohmann::json RunFanOut(StreamSystem& system, int consumers, bool live, const BenchScale& scale,
                         int server_pid) {
  const std::string workload = absl::StrCat("fanout-", live ? "live" : "backlog", "-", consumers);
  if (absl::Status s = system.Reset("bench-fanout"); !s.ok()) return Failed(workload, s);
  if (absl::Status s = system.PrepareReaders(consumers); !s.ok()) return Failed(workload, s);
  // The records each reader must see: the backlog, or (live) what the producer wrote —
  // unknown until it stops, so "as many as possible" until then.
  std::atomic<int64_t> target{live ? INT64_MAX : 0};
  if (!live) {
    absl::StatusOr<int64_t> written =
        AppendFor(system, scale.record_bytes, 120, scale.backlog_records);
    if (!written.ok()) return Failed(workload, written.status());
    target = *written;
  }
  std::atomic<bool> stop{false};
  std::vector<std::atomic<int64_t>> received(static_cast<size_t>(consumers));
  std::vector<absl::Status> statuses(static_cast<size_t>(consumers));
  const double cpu_before = server_pid > 0 ? CpuSeconds(server_pid) : 0;
  const auto start = Clock::now();
  std::vector<std::thread> readers;
  for (int r = 0; r < consumers; ++r) {
    readers.emplace_back([&, r] {
      std::atomic<int64_t>& count = received[static_cast<size_t>(r)];
      statuses[static_cast<size_t>(r)] = system.Read(
          r, [&](absl::string_view) { return ++count < target.load(); }, stop);
    });
  }
  auto all_done = [&] {
    for (const std::atomic<int64_t>& count : received) {
      if (count.load() < target.load()) return false;
    }
    return true;
  };
  absl::Status write_status;
  if (live) {
    absl::StatusOr<int64_t> written =
        AppendFor(system, scale.record_bytes, scale.live_seconds, 50'000'000);
    if (written.ok()) {
      target = *written;
    } else {
      write_status = written.status();
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds(scale.smoke ? 20 : 120);
  while (!all_done() && Clock::now() < deadline && write_status.ok()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double seconds = Seconds(Clock::now() - start);
  const double cpu_seconds = server_pid > 0 ? CpuSeconds(server_pid) - cpu_before : 0;
  stop = true;
  for (std::thread& t : readers) t.join();
  if (!write_status.ok()) return Failed(workload, write_status);
  int64_t delivered = 0;
  for (size_t r = 0; r < received.size(); ++r) {
    if (!statuses[r].ok()) return Failed(workload, statuses[r]);
    delivered += received[r];
  }
  const bool complete = delivered >= target.load() * consumers;
  nlohmann::json result = {
      {"Workload", workload},
      {"Metrics",
       {{"MBPerSecond", static_cast<double>(delivered) * scale.record_bytes / 1e6 / seconds}}},
      {"Consumers", consumers},
      {"RecordsPerConsumer", target.load()},
      {"Delivered", delivered},
      {"Seconds", seconds}};
  if (server_pid > 0 && delivered > 0) {
    result["Metrics"]["ServerCpuSecondsPerGB"] =
        cpu_seconds / (static_cast<double>(delivered) * scale.record_bytes / 1e9);
  }
  if (!complete) result["Notes"] = "deadline reached before every reader had every record";
  return result;
}

}  // namespace eddy::bench
