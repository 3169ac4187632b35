#include "tests/integration/peer_servers.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
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

void StartPeer(BackgroundProcess& process, const std::string& program,
               const std::vector<std::string>& args, int port,
               const std::map<std::string, std::string>& env, const std::string& output_prefix) {
  const std::string binary = FindProgram(program);
  ASSERT_FALSE(binary.empty()) << program << " is not installed: run scripts/bootstrap and "
                               << "scripts/install-npm-peers (scripts/test does)";
  process.Start(binary, args, env, output_prefix);
  ASSERT_TRUE(WaitFor([&] { return Accepts(port); }, std::chrono::seconds(30)))
      << binary << " did not start: " << process.Err();
}

int StartKinesisMock(BackgroundProcess& process, const std::string& output_prefix) {
  const int port = FreePort();
  const int tls_port = FreePort();
  const std::string package = SourceDirectory() + "/bench/node_modules/kinesis-local";
  std::map<std::string, std::string> env = {
      {"KINESIS_MOCK_PLAIN_PORT", std::to_string(port)},
      {"KINESIS_MOCK_TLS_PORT", std::to_string(tls_port)},
      {"KINESIS_MOCK_CERT_PATH", package + "/server.json"},
      {"SHOULD_PERSIST_DATA", "false"},
      {"LOAD_DATA_IF_EXISTS", "false"},
      {"LOG_LEVEL", "WARN"}};
  for (const char* delay : {"CREATE_STREAM", "DELETE_STREAM", "REGISTER_STREAM_CONSUMER",
                            "DEREGISTER_STREAM_CONSUMER", "START_STREAM_ENCRYPTION",
                            "STOP_STREAM_ENCRYPTION", "MERGE_SHARDS", "SPLIT_SHARD",
                            "UPDATE_SHARD_COUNT"}) {
    env[std::string(delay) + "_DURATION"] = "0ms";
  }
  StartPeer(process, "node", {package + "/main.js"}, port, env, output_prefix);
  return port;
}

}  // namespace eddy::testing
