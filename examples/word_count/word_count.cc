// word_count: counts the words in every record of a stream, per shard, and prints each
// shard's running totals. Checkpoints every N records or T seconds, whichever comes first,
// so a restart repeats at most that much work.
//
//   word_count --endpoint 127.0.0.1:4567 --stream-name S [--application word-count]
//              [--checkpoint-every-records 1000] [--checkpoint-every-seconds 10]
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "kcl/scheduler.h"

namespace {

class WordCountProcessor final : public eddy::kcl::RecordProcessor {
 public:
  WordCountProcessor(int every_records, int every_seconds)
      : every_records_(every_records), every_seconds_(every_seconds) {}

  void Initialize(const eddy::kcl::InitializationInput& input) override {
    shard_id_ = input.shard_id;
    last_checkpoint_ = std::chrono::steady_clock::now();
    std::printf("%s: starting after %s\n", shard_id_.c_str(),
                input.checkpoint.ToString().c_str());
  }

  void ProcessRecords(const eddy::kcl::ProcessRecordsInput& input) override {
    for (const eddy::kcl::KinesisClientRecord& record : input.records) {
      std::istringstream words(record.data);
      std::string word;
      while (words >> word) ++counts_[word];
    }
    since_checkpoint_ += static_cast<int>(input.records.size());
    const auto now = std::chrono::steady_clock::now();
    if (since_checkpoint_ >= every_records_ ||
        now - last_checkpoint_ >= std::chrono::seconds(every_seconds_)) {
      // Everything delivered so far is counted: record that.
      if (input.checkpointer.Checkpoint().ok()) {
        since_checkpoint_ = 0;
        last_checkpoint_ = now;
        Report();
      }
    }
  }

  void ShardEnded(eddy::kcl::Checkpointer& checkpointer) override {
    Report();
    checkpointer.Checkpoint().IgnoreError();  // SHARD_END: lets the children start
  }

  void ShutdownRequested(eddy::kcl::Checkpointer& checkpointer) override {
    checkpointer.Checkpoint().IgnoreError();
  }

 private:
  void Report() {
    std::printf("%s:", shard_id_.c_str());
    int shown = 0;
    for (const auto& [word, count] : counts_) {
      if (++shown > 10) break;
      std::printf(" %s=%lld", word.c_str(), count);
    }
    std::printf("\n");
    std::fflush(stdout);
  }

  const int every_records_;
  const int every_seconds_;
  std::string shard_id_;
  std::map<std::string, long long> counts_;
  int since_checkpoint_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"word_count: an Eddy record processor"};
  eddy::kcl::Config config;
  config.application_name = "word-count";
  config.initial_position = eddy::kcl::InitialPosition::kTrimHorizon;
  int every_records = 1000;
  int every_seconds = 10;
  app.add_option("--endpoint", config.endpoint, "the broker")->capture_default_str();
  app.add_option("--stream-name", config.stream_name, "stream to count")->required();
  app.add_option("--application", config.application_name)->capture_default_str();
  app.add_option("--checkpoint-every-records", every_records)->capture_default_str();
  app.add_option("--checkpoint-every-seconds", every_seconds)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto scheduler = eddy::kcl::Scheduler::Create(config, [&](const std::string&) {
    return std::make_unique<WordCountProcessor>(every_records, every_seconds);
  });
  if (!scheduler.ok()) {
    std::fprintf(stderr, "%s\n", scheduler.status().ToString().c_str());
    return 2;
  }
  std::thread stopper([&] {
    int received = 0;
    sigwait(&signals, &received);
    (*scheduler)->Shutdown();  // processors checkpoint, leases go back at once
  });
  const absl::Status status = (*scheduler)->Run();
  kill(getpid(), SIGTERM);  // wakes the stopper if Run ended on its own
  stopper.join();
  if (!status.ok()) std::fprintf(stderr, "%s\n", status.ToString().c_str());
  return status.ok() ? 0 : 1;
}
