#pragma once
// A real etcd cluster (Debian's etcd-server) for tests: N members on free loopback ports,
// each with its data under one folder, which a test can kill, restart on the same ports
// and data, stop and continue, and ask for its leader.

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/process_harness.h"

namespace eddy::testing {

class EtcdCluster {
 public:
  // Nothing runs until Start(). The members listen on 127.0.0.1, and on `extra_host` too
  // when given (a veth address another network namespace reaches them by).
  EtcdCluster(std::string dir, int members, std::string extra_host = "");
  ~EtcdCluster();

  // Starts every member and waits (30 s) until all serve clients — which etcd does only
  // once the cluster has a leader. False (and the test failed) otherwise.
  bool Start();
  // "HOST:PORT" of every member, in member order (HOST: 127.0.0.1, or `extra_host`).
  std::vector<std::string> endpoints(const std::string& host = "127.0.0.1") const;
  std::string endpoint(int member, const std::string& host = "127.0.0.1") const;
  // SIGKILL; Restart() brings the member back on its ports and data.
  void Kill(int member);
  bool Restart(int member);
  // The member that leads now (asked over Maintenance.Status); -1 if none answers so.
  int Leader() const;
  int size() const { return static_cast<int>(members_.size()); }
  BackgroundProcess& process(int member) { return *members_[member].process; }

 private:
  struct Member {
    std::unique_ptr<BackgroundProcess> process;
    int client_port = 0;
    int peer_port = 0;
  };
  void Launch(int member);
  bool WaitServing(int member);

  const std::string dir_;
  const std::string extra_host_;
  std::vector<Member> members_;
  int attempt_ = 0;
};

}  // namespace eddy::testing
