#pragma once
// A network namespace joined to this one by veth pairs — a second "host" for partition
// tests, with one link per path that a test may cut on its own (to etcd, to the broker).
// Needs root and `ip` (iproute2); Create() says why when it cannot, so the test can skip
// with that message.

#include <string>
#include <vector>

namespace eddy::testing {

class NetworkNamespace {
 public:
  explicit NetworkNamespace(int links = 1);
  ~NetworkNamespace();  // deletes the namespace and its veth pairs

  // False, with the reason in `why`, if the namespace cannot be made here.
  bool Create(std::string* why);
  // This side's address on link `link` (servers the other side must reach listen here)
  // and the namespace's own. Each link is a /30 of its own.
  std::string host_address(int link = 0) const;
  std::string inside_address(int link = 0) const;
  // A launcher that runs a command inside the namespace: {"ip", "netns", "exec", NAME}.
  std::vector<std::string> Launcher() const;
  // Cuts link `link` (its end inside the namespace goes down) and joins it again.
  bool Cut(int link = 0);
  bool Heal(int link = 0);

 private:
  std::string HostLink(int link) const;
  std::string InsideLink(int link) const;
  std::string Address(int link, int host) const;

  const int links_;
  const std::string name_;
  bool created_ = false;
};

}  // namespace eddy::testing
