#pragma once
// Real processes for integration tests: an eddy-broker on an ephemeral loopback port and
// runs of the `eddy` command line. Every wait has a deadline; nothing sleeps and hopes.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace eddy::testing {

// Paths of the built programs (set by CMake).
std::string BrokerBinary();
std::string CliBinary();
std::string WordCountBinary();
std::string ScriptedWorkerBinary();
std::string BenchBinary();
// The repository root (for scripts the tests run).
std::string SourceDirectory();

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// An eddy-broker child process. The destructor kills it if still running.
class BrokerProcess {
 public:
  // Starts a broker on 127.0.0.1:0 (unless `extra_args` has its own --listen) with
  // `data_dir` plus `extra_args`, and waits until it serves. Fails the current test (and returns
  // false) if it does not within 20 s.
  bool Start(const std::string& data_dir, const std::vector<std::string>& extra_args = {});
  ~BrokerProcess();

  const std::string& address() const { return address_; }
  // The Kinesis HTTP endpoint (host:port), "" when started with --kinesis-listen none.
  const std::string& kinesis_address() const { return kinesis_address_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Sends `signal` and waits for the process to exit; returns its exit status as from
  // waitpid (or -1 if it did not exit within `timeout`).
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // The broker's stderr so far (its log).
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string address_;
  std::string kinesis_address_;
  std::string log_path_;
};

// A long-running child process (an `eddy consume` worker, say) with stdout and stderr in
// files. The destructor kills it if still running.
class BackgroundProcess {
 public:
  void Start(const std::string& binary, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env, const std::string& out_path);
  ~BackgroundProcess();
  // Sends `signal` and waits for the exit; returns the waitpid status (-1 on timeout).
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Whether the process is still alive (not exited, not killed). Once it has gone, Stop()
  // returns its exit status.
  bool Alive();
  // Complete lines written to stdout so far.
  std::vector<std::string> Lines() const;
  std::string Err() const;

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;  // once reaped by Alive()
  std::string out_path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `binary` with `args` and `env` additions (an empty value unsets the variable), and
// returns what it printed. Killed (and the test failed) after `timeout`.
CommandResult RunProgram(const std::string& binary, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout);

// Runs the `eddy` CLI with `args`, EDDY_ENDPOINT set to `endpoint` (unless empty), and
// returns what it printed. Killed after `timeout`.
CommandResult RunEddy(const std::vector<std::string>& args, const std::string& endpoint,
                      std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace eddy::testing
