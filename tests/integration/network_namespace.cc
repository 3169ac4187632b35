#include "tests/integration/network_namespace.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tests/integration/peer_servers.h"

namespace eddy::testing {
namespace {

// Runs an `ip` command line quietly; whether it succeeded.
bool Ip(const std::string& ip, const std::string& arguments) {
  return std::system((ip + " " + arguments + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

NetworkNamespace::NetworkNamespace()
    : name_(absl::StrCat("eddy-test-", getpid())),
      host_link_(absl::StrCat("eh", getpid())),
      inside_link_(absl::StrCat("en", getpid())) {
  // A /30 of its own per test process.
  const int subnet = getpid() % 250 + 1;
  const int slot = (getpid() / 250) % 60 * 4;
  host_address_ = absl::StrCat("10.199.", subnet, ".", slot + 1);
  inside_address_ = absl::StrCat("10.199.", subnet, ".", slot + 2);
}

NetworkNamespace::~NetworkNamespace() {
  if (!created_) return;
  const std::string ip = FindProgram("ip");
  Ip(ip, "link del " + host_link_);  // takes its peer along
  Ip(ip, "netns del " + name_);
}

bool NetworkNamespace::Create(std::string* why) {
  const std::string ip = FindProgram("ip");
  if (ip.empty()) {
    *why = "`ip` (iproute2) is not installed: run scripts/bootstrap";
    return false;
  }
  if (geteuid() != 0) {
    *why = "creating network namespaces needs root";
    return false;
  }
  if (!Ip(ip, "netns add " + name_)) {
    *why = "`ip netns add` failed (no CAP_SYS_ADMIN in this container?)";
    return false;
  }
  created_ = true;
  const std::string in = "netns exec " + name_ + " " + ip + " ";
  const bool ok = Ip(ip, "link add " + host_link_ + " type veth peer name " + inside_link_) &&
                  Ip(ip, "link set " + inside_link_ + " netns " + name_) &&
                  Ip(ip, "addr add " + host_address_ + "/30 dev " + host_link_) &&
                  Ip(ip, "link set " + host_link_ + " up") &&
                  Ip(ip, in + "addr add " + inside_address_ + "/30 dev " + inside_link_) &&
                  Ip(ip, in + "link set " + inside_link_ + " up") && Ip(ip, in + "link set lo up");
  if (!ok) *why = "could not set up the veth pair of " + name_;
  return ok;
}

std::vector<std::string> NetworkNamespace::Launcher() const {
  return {FindProgram("ip"), "netns", "exec", name_};
}

bool NetworkNamespace::Cut() {
  return Ip(FindProgram("ip"), "netns exec " + name_ + " " + FindProgram("ip") + " link set " +
                                   inside_link_ + " down");
}

bool NetworkNamespace::Heal() {
  return Ip(FindProgram("ip"),
            "netns exec " + name_ + " " + FindProgram("ip") + " link set " + inside_link_ + " up");
}

}  // namespace eddy::testing
