#pragma once
// A network namespace joined to this one by a veth pair — a second "host" for partition
// tests. Needs root and `ip` (iproute2); Create() says why when it cannot, so the test can
// skip with that message.

#include <string>
#include <vector>

namespace eddy::testing {

class NetworkNamespace {
 public:
  NetworkNamespace();
  ~NetworkNamespace();  // deletes the namespace and its veth pair

  // False, with the reason in `why`, if the namespace cannot be made here.
  bool Create(std::string* why);
  // This side's address on the pair (servers the other side must reach listen here) and
  // the namespace's own.
  const std::string& host_address() const { return host_address_; }
  const std::string& inside_address() const { return inside_address_; }
  // A launcher that runs a command inside the namespace: {"ip", "netns", "exec", NAME}.
  std::vector<std::string> Launcher() const;
  // Cuts the namespace off (its end of the pair goes down) and joins it again.
  bool Cut();
  bool Heal();

 private:
  const std::string name_;
  const std::string host_link_;
  const std::string inside_link_;
  std::string host_address_;
  std::string inside_address_;
  bool created_ = false;
};

}  // namespace eddy::testing
