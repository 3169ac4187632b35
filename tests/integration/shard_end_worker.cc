// A consumer worker for the lineage tests whose processor misbehaves at shard end, after
// processing (and checkpointing) every record of the shard:
//   --at-shard-end crash-once:PATH  dies before the SHARD_END checkpoint, as a process crash
//                                   at the worst moment would — the first time only (PATH
//                                   marks it); later runs checkpoint normally;
//   --at-shard-end forget           never checkpoints SHARD_END.
// Other arguments and the output as `eddy consume` (the subset the tests use).
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "kcl/scheduler.h"

namespace {

std::mutex out_mu;

class MisbehavingProcessor final : public eddy::kcl::RecordProcessor {
 public:
  MisbehavingProcessor(std::string worker, std::string at_shard_end)
      : worker_(std::move(worker)), at_shard_end_(std::move(at_shard_end)) {}

  void ProcessRecords(const eddy::kcl::ProcessRecordsInput& input) override {
    {
      std::lock_guard<std::mutex> lock(out_mu);
      for (const auto& r : input.records) {
        std::cout << nlohmann::json{{"ShardId", r.shard_id},
                                    {"SequenceNumber", r.sequence_number},
                                    {"SubSequenceNumber", r.sub_sequence_number},
                                    {"Data", absl::Base64Escape(r.data)},
                                    {"WorkerId", worker_},
                                    {"ProcessedAtMicros", absl::ToUnixMicros(absl::Now())}}
                         .dump()
                  << "\n";
      }
      std::cout.flush();
    }
    input.checkpointer.Checkpoint().IgnoreError();
  }

  void ShardEnded(eddy::kcl::Checkpointer& checkpointer) override {
    if (at_shard_end_ == "forget") return;
    const std::string crash_once = "crash-once:";
    if (at_shard_end_.rfind(crash_once, 0) == 0) {
      const std::string marker = at_shard_end_.substr(crash_once.size());
      if (open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0) {
        std::cerr << "crashing at the end of a shard, before checkpointing SHARD_END\n";
        _exit(3);
      }
    }
    checkpointer.Checkpoint().IgnoreError();
  }

 private:
  const std::string worker_;
  const std::string at_shard_end_;
};

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  eddy::kcl::Config config;
  config.application_name = flags["--application"];
  config.stream_name = flags["--stream-name"];
  config.worker_id = flags["--worker-id"];
  config.failover_millis = std::stoll(flags["--failover-ms"]);
  config.initial_position = eddy::kcl::InitialPosition::kTrimHorizon;
  config.endpoint = getenv("EDDY_ENDPOINT");
  const std::string worker = config.worker_id;
  const std::string at_shard_end = flags["--at-shard-end"];
  auto scheduler = eddy::kcl::Scheduler::Create(config, [&](const std::string&) {
    return std::make_unique<MisbehavingProcessor>(worker, at_shard_end);
  });
  if (!scheduler.ok()) {
    std::cerr << scheduler.status() << "\n";
    return 2;
  }
  const absl::Status status = (*scheduler)->Run();
  std::cerr << status << "\n";
  return status.ok() ? 0 : 1;
}
