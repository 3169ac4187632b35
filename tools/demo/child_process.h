#pragma once
// A child process of `eddy demo` (broker, workers, producer), with stdout and stderr in
// files. Children die with the demo (PR_SET_PDEATHSIG), so an interrupted demo leaves
// nothing running; the destructor kills one still running.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace eddy::tools::demo {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // Starts `binary` with `args`, the environment plus `env`, stdout to `out_path` and
  // stderr to `err_path`.
  absl::Status Start(const std::string& binary, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, const std::string& out_path,
                     const std::string& err_path);

  bool running();  // reaps the child if it has exited
  pid_t pid() const { return pid_; }
  void Signal(int signal) const;
  // Waits up to `timeout` for the exit; returns the waitpid status, or -1 if it is still
  // running (or was never started).
  int Wait(std::chrono::milliseconds timeout);
  // Sends `signal`, waits up to `timeout`, then SIGKILLs. Returns the waitpid status.
  int Stop(int signal, std::chrono::milliseconds timeout);
  // The exit status once reaped (-1 before).
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = -1;
};

// The directory holding the running program (from /proc/self/exe).
std::string SelfDirectory();

}  // namespace eddy::tools::demo
