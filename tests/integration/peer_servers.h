#pragma once
// Third-party servers the integration tests run beside Eddy (Redis, NATS, kinesis-mock, …):
// a free loopback port, the program on $PATH, and a wait until the port accepts.

#include <map>
#include <string>
#include <vector>

#include "tests/integration/process_harness.h"

namespace eddy::testing {

// A port nothing listens on right now (the server started next binds it).
int FreePort();

// `name` on $PATH or in /usr/sbin (Debian puts nats-server there); empty if absent.
std::string FindProgram(const std::string& name);

// Whether 127.0.0.1:`port` accepts a TCP connection.
bool Accepts(int port);

// Starts `program` with `args` and `env` in `process` (output in `output_prefix`.out/.err)
// and waits up to 30 s until `port` accepts. Fails the current test (fatally) if the program
// is missing or does not come up.
void StartPeer(BackgroundProcess& process, const std::string& program,
               const std::vector<std::string>& args, int port,
               const std::map<std::string, std::string>& env, const std::string& output_prefix);

// kinesis-mock (npm kinesis-local, from bench/node_modules) on a free port with every
// simulated delay 0 and nothing persisted; returns its plain-HTTP port. It binds every
// interface; the tests only talk to it on 127.0.0.1.
int StartKinesisMock(BackgroundProcess& process, const std::string& output_prefix);

}  // namespace eddy::testing
