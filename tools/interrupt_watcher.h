#pragma once
// Ctrl-C / SIGTERM handling for long-running commands (consume, subscribe-to-shard, demo):
// the signals are blocked in every thread and taken by one watcher thread, which calls
// `on_interrupt` once — outside signal context, so it may take locks and cancel calls.
//
// Construct it before starting any other thread (threads inherit the blocked mask). The
// destructor stops the watcher; a signal after that point is not acted on.

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace eddy::tools {

class InterruptWatcher {
 public:
  explicit InterruptWatcher(std::function<void()> on_interrupt);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  bool interrupted() const { return interrupted_.load(); }

 private:
  sigset_t signals_;
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> finished_{false};
  std::function<void()> on_interrupt_;
  std::thread thread_;
};

}  // namespace eddy::tools
