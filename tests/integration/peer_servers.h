#pragma once
// Third-party servers the integration tests run beside Eddy (Redis, NATS, kinesis-mock, …):
// a free loopback port, the program on $PATH, and a wait until the port accepts.

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/process_harness.h"

namespace eddy::testing {

// A port nothing listens on right now. Another process may take it before a server binds
// it: start servers with StartPeer, which moves to another port when that happens.
int FreePort();

// `name` on $PATH or in /usr/sbin (Debian puts nats-server there); empty if absent.
std::string FindProgram(const std::string& name);

// Whether 127.0.0.1:`port` accepts a TCP connection.
bool Accepts(int port);

// Whether process `pid` has a socket listening on TCP `port` (IPv4 or IPv6, any address).
bool ListensOn(pid_t pid, int port);

// How to run a server on a given port: its arguments and environment.
struct PeerLaunch {
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
};
using PeerLauncher = std::function<PeerLaunch(int port)>;

// Starts `program` on a free port in `process` (output in `output_prefix`-PORT.out/.err)
// and waits up to 30 s until the program listens on that port; returns the port.
// A program that exits first (its port was taken meanwhile) is started again on another
// port, up to three times. 0, and the current test failed, if the program is missing or
// never comes up: callers ASSERT_NE(port, 0).
int StartPeer(BackgroundProcess& process, const std::string& program, const PeerLauncher& launch,
              const std::string& output_prefix);

// kinesis-mock (npm kinesis-local, from bench/node_modules) on a free port with every
// simulated delay 0 and nothing persisted; returns its plain-HTTP port (0: failed, as
// StartPeer). It binds every
// interface; the tests only talk to it on 127.0.0.1.
int StartKinesisMock(BackgroundProcess& process, const std::string& output_prefix);

// A one-member etcd (Debian's etcd-server) on free loopback ports, its data under
// `data_dir` (a folder per start attempt); returns its client port (0: failed, as StartPeer).
int StartEtcd(BackgroundProcess& process, const std::string& data_dir,
              const std::string& output_prefix);

}  // namespace eddy::testing
