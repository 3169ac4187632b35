#include "broker/task_runner.h"

#include <utility>

namespace eddy::broker {

TaskRunner::TaskRunner(int threads) : thread_count_(threads < 1 ? 1 : threads) {}

TaskRunner::~TaskRunner() { Stop(); }

void TaskRunner::Start() {
  absl::MutexLock lock(&mu_);
  if (!threads_.empty() || stopping_) return;
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

void TaskRunner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    timers_.clear();
  }
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void TaskRunner::Run(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) ready_.push_back(std::move(task));
}

void TaskRunner::RunAfter(absl::Duration delay, std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  timers_.emplace(absl::Now() + delay, std::move(task));
  ++timer_generation_;
}

void TaskRunner::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        const absl::Time now = absl::Now();
        while (!timers_.empty() && timers_.begin()->first <= now) {
          ready_.push_back(std::move(timers_.begin()->second));
          timers_.erase(timers_.begin());
        }
        if (!ready_.empty()) {
          task = std::move(ready_.front());
          ready_.pop_front();
          break;
        }
        if (stopping_) return;
        const absl::Time wake = timers_.empty() ? now + absl::Seconds(1) : timers_.begin()->first;
        const uint64_t generation = timer_generation_;
        auto has_work = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !ready_.empty() || stopping_ || timer_generation_ != generation;
        };
        mu_.AwaitWithDeadline(absl::Condition(&has_work), wake);
      }
    }
    task();
  }
}

}  // namespace eddy::broker
