#pragma once
// Scheduler: a consumer worker. Build one per process with a Config and a processor
// factory, call Run(); run as many worker processes as you like.
//
// It keeps the application's lease table in step with the stream's shards, holds its fair
// share of leases (renewing them, taking expired ones, stealing to balance), runs a
// ShardConsumer for each lease it holds, and stops consumers whose lease it lost.
// Shutdown() is graceful: every processor gets ShutdownRequested and may checkpoint, then
// the leases are released so other workers take them at once.
//
// Thread-safe: Run() on one thread, Shutdown() from any (a signal handler thread, say).

#include <memory>

#include "absl/status/statusor.h"
#include "kcl/config.h"
#include "kcl/metrics.h"
#include "kcl/record_processor.h"

namespace eddy::kcl {

class Scheduler {
 public:
  // Checks the config; connects lazily (Run() retries until the broker answers).
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(Config config,
                                                           RecordProcessorFactory factory);
  virtual ~Scheduler() = default;

  // Runs the worker until Shutdown(). Returns why it stopped (OK after Shutdown).
  virtual absl::Status Run() = 0;
  // Asks Run() to finish gracefully; returns at once.
  virtual void Shutdown() = 0;
  virtual const Config& config() const = 0;
  // What this worker has done so far (any thread, any time).
  virtual WorkerMetrics metrics() const = 0;
};

}  // namespace eddy::kcl
