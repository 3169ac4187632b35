#include "tools/interrupt_watcher.h"

#include <unistd.h>

namespace eddy::tools {

InterruptWatcher::InterruptWatcher(std::function<void()> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  thread_ = std::thread([this] {
    int received = 0;
    sigwait(&signals_, &received);
    if (finished_.load()) return;
    interrupted_ = true;
    on_interrupt_();
  });
}

InterruptWatcher::~InterruptWatcher() {
  finished_ = true;
  kill(getpid(), SIGTERM);  // pending (blocked everywhere): wakes the watcher's sigwait
  thread_.join();
}

}  // namespace eddy::tools
