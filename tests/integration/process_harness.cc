#include "tests/integration/process_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace eddy::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

std::string BrokerBinary() { return EDDY_BROKER_BIN; }
std::string CliBinary() { return EDDY_CLI_BIN; }
std::string WordCountBinary() { return EDDY_WORD_COUNT_BIN; }
std::string ScriptedWorkerBinary() { return EDDY_SCRIPTED_WORKER_BIN; }
std::string BenchBinary() { return EDDY_BENCH_BIN; }
std::string SourceDirectory() { return EDDY_SOURCE_DIR; }

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool BrokerProcess::Start(const std::string& data_dir, const std::vector<std::string>& extra_args) {
  const std::string ready = data_dir + ".ready";
  log_path_ = data_dir + ".log";
  unlink(ready.c_str());
  std::vector<std::string> args = {BrokerBinary(), "--data-dir", data_dir, "--ready-file", ready};
  if (std::find(extra_args.begin(), extra_args.end(), "--listen") == extra_args.end()) {
    args.insert(args.end(), {"--listen", "127.0.0.1:0"});  // an ephemeral port
  }
  if (std::find(extra_args.begin(), extra_args.end(), "--kinesis-listen") == extra_args.end()) {
    args.insert(args.end(), {"--kinesis-listen", "127.0.0.1:0"});
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ == 0) {
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, STDERR_FILENO);
    dup2(log, STDOUT_FILENO);
    std::vector<char*> argv = Argv(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const bool up = WaitFor(
      [&] {
        std::ifstream in(ready);
        if (!std::getline(in, address_) || address_.empty()) return false;
        std::string kinesis;
        if (std::getline(in, kinesis) && kinesis.rfind("kinesis=", 0) == 0) {
          kinesis_address_ = kinesis.substr(8);
        }
        return true;
      },
      std::chrono::seconds(20));
  EXPECT_TRUE(up) << "broker did not start; log:\n" << Log();
  return up;
}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

namespace {

// Sends `signal` to `*pid`, waits up to `timeout` for the exit (then SIGKILLs it and reports
// -1), and forgets the child. Returns the waitpid status.
int StopChild(pid_t* pid, int signal, std::chrono::milliseconds timeout) {
  if (*pid <= 0) return -1;
  kill(*pid, signal);
  int status = -1;
  const bool exited = WaitFor([&] { return waitpid(*pid, &status, WNOHANG) == *pid; }, timeout);
  if (!exited) {
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    status = -1;
  }
  *pid = -1;
  return status;
}

}  // namespace

int BrokerProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  return StopChild(&pid_, signal, timeout);
}

std::string BrokerProcess::Log() const { return ReadFile(log_path_); }

void BackgroundProcess::Start(const std::string& binary, const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env,
                              const std::string& out_path) {
  out_path_ = out_path;
  std::vector<std::string> full = {binary};
  full.insert(full.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open((out_path + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv = Argv(full);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

int BackgroundProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_status_;
  return StopChild(&pid_, signal, timeout);
}

bool BackgroundProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_status_ = status;
  pid_ = -1;
  return false;
}

std::vector<std::string> BackgroundProcess::Lines() const {
  std::vector<std::string> lines;
  std::ifstream in(out_path_);
  std::string line;
  while (std::getline(in, line)) {
    if (!in.eof()) lines.push_back(line);  // only complete lines
  }
  return lines;
}

std::string BackgroundProcess::Err() const { return ReadFile(out_path_ + ".err"); }

CommandResult RunEddy(const std::vector<std::string>& args, const std::string& endpoint,
                      std::chrono::milliseconds timeout) {
  return RunProgram(CliBinary(), args, {{"EDDY_ENDPOINT", endpoint}}, timeout);
}

CommandResult RunProgram(const std::string& binary, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout) {
  char out_path[] = "/tmp/eddy-cli-out-XXXXXX";
  char err_path[] = "/tmp/eddy-cli-err-XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  std::vector<std::string> full = {binary};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    for (const auto& [name, value] : env) {
      if (value.empty()) {
        unsetenv(name.c_str());
      } else {
        setenv(name.c_str(), value.c_str(), 1);
      }
    }
    std::vector<char*> argv = Argv(full);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  int status = 0;
  if (!WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ADD_FAILURE() << binary << " timed out";
  }
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  unlink(out_path);
  unlink(err_path);
  return result;
}

}  // namespace eddy::testing
