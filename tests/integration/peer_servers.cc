#include "tests/integration/peer_servers.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace eddy::testing {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::string FindProgram(const std::string& name) {
  std::string path = getenv("PATH") != nullptr ? getenv("PATH") : "";
  path += ":/usr/sbin:/usr/local/sbin";
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

bool ListensOn(pid_t pid, int port) {
  // The inodes of sockets listening on `port` (state 0A), IPv4 or IPv6...
  std::set<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const size_t colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) inodes.insert(inode);
    }
  }
  // ...and whether one of them is among the process's open files.
  const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(fds.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* entry = readdir(dir)) {
    char target[128];
    const std::string link = fds + "/" + entry->d_name;
    const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    const std::string name(target, static_cast<size_t>(n));  // "socket:[12345]"
    if (name.rfind("socket:[", 0) == 0 &&
        inodes.count(name.substr(8, name.size() - 9)) != 0) {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

int StartPeer(BackgroundProcess& process, const std::string& program, const PeerLauncher& launch,
              const std::string& output_prefix) {
  const std::string binary = FindProgram(program);
  if (binary.empty()) {
    ADD_FAILURE() << program << " is not installed: run scripts/bootstrap and "
                  << "scripts/install-npm-peers (scripts/test does)";
    return 0;
  }
  constexpr int kAttempts = 3;
  std::string why;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const int port = FreePort();
    const PeerLaunch peer = launch(port);
    process.Start(binary, peer.args, peer.env, output_prefix + "-" + std::to_string(port));
    // Up when the program itself listens on the port: another process that took the port
    // meanwhile would accept connections too.
    bool exited = false;
    const bool up = WaitFor(
        [&] {
          exited = !process.Alive();
          return exited || ListensOn(process.pid(), port);
        },
        std::chrono::seconds(30));
    if (up && !exited) return port;
    why = process.Err();
    process.Stop(SIGKILL);
    if (!exited) break;  // neither up nor gone in 30 s: another port will not help
  }
  ADD_FAILURE() << binary << " did not start: " << why;
  return 0;
}

int StartKinesisMock(BackgroundProcess& process, const std::string& output_prefix) {
  const std::string package = SourceDirectory() + "/bench/node_modules/kinesis-local";
  return StartPeer(process, "node", [&](int port) {
    PeerLaunch launch;
    launch.args = {package + "/main.js"};
    launch.env = {{"KINESIS_MOCK_PLAIN_PORT", std::to_string(port)},
                  {"KINESIS_MOCK_TLS_PORT", std::to_string(FreePort())},
                  {"KINESIS_MOCK_CERT_PATH", package + "/server.json"},
                  {"SHOULD_PERSIST_DATA", "false"},
                  {"LOAD_DATA_IF_EXISTS", "false"},
                  {"LOG_LEVEL", "WARN"}};
    for (const char* delay : {"CREATE_STREAM", "DELETE_STREAM", "REGISTER_STREAM_CONSUMER",
                              "DEREGISTER_STREAM_CONSUMER", "START_STREAM_ENCRYPTION",
                              "STOP_STREAM_ENCRYPTION", "MERGE_SHARDS", "SPLIT_SHARD",
                              "UPDATE_SHARD_COUNT"}) {
      launch.env[std::string(delay) + "_DURATION"] = "0ms";
    }
    return launch;
  }, output_prefix);
}

int StartEtcd(BackgroundProcess& process, const std::string& data_dir,
              const std::string& output_prefix) {
  const PeerLauncher launch = [&](int port) {
    const std::string client = "http://127.0.0.1:" + std::to_string(port);
    const std::string peer = "http://127.0.0.1:" + std::to_string(FreePort());
    PeerLaunch how;
    // A directory per attempt: a member restarted on other ports must not find the data of
    // one bootstrapped with the old ones.
    how.args = {"--name", "member0", "--data-dir", data_dir + "/port-" + std::to_string(port)};
    for (const char* flag : {"--listen-client-urls", "--advertise-client-urls"}) {
      how.args.insert(how.args.end(), {flag, client});
    }
    for (const char* flag : {"--listen-peer-urls", "--initial-advertise-peer-urls"}) {
      how.args.insert(how.args.end(), {flag, peer});
    }
    how.args.insert(how.args.end(),
                    {"--initial-cluster", "member0=" + peer, "--log-level", "warn"});
    return how;
  };
  return StartPeer(process, "etcd", launch, output_prefix);
}

}  // namespace eddy::testing
