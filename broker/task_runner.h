#pragma once
// TaskRunner: a few worker threads and a timer queue, shared by all push subscriptions so
// that no subscription needs a thread of its own.
//
// Lifecycle: Start() → Run()/RunAfter() from any thread → Stop() (drops pending timers,
// finishes queued tasks, joins). Tasks must not block for long; they must not throw.
// Thread-safe.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace eddy::broker {

class TaskRunner {
 public:
  explicit TaskRunner(int threads);
  ~TaskRunner();

  void Start();
  void Stop();

  // Runs `task` on a worker thread soon. Ignored after Stop().
  void Run(std::function<void()> task);
  // Runs `task` on a worker thread once `delay` has passed (steady time).
  void RunAfter(absl::Duration delay, std::function<void()> task);

 private:
  void WorkerLoop();

  const int thread_count_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> ready_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, std::function<void()>> timers_ ABSL_GUARDED_BY(mu_);
  // Bumped by RunAfter so that sleeping workers re-read the earliest timer.
  uint64_t timer_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace eddy::broker
