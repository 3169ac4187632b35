#include "tests/integration/network_namespace.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tests/integration/peer_servers.h"

namespace eddy::testing {
namespace {

// Runs an `ip` command line quietly; whether it succeeded.
bool Ip(const std::string& arguments) {
  return std::system((FindProgram("ip") + " " + arguments + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

NetworkNamespace::NetworkNamespace(int links)
    : links_(links), name_(absl::StrCat("eddy-test-", getpid())) {}

NetworkNamespace::~NetworkNamespace() {
  if (!created_) return;
  for (int link = 0; link < links_; ++link) Ip("link del " + HostLink(link));  // and its peer
  Ip("netns del " + name_);
}

std::string NetworkNamespace::HostLink(int link) const {
  return absl::StrCat("eh", getpid(), link);
}
std::string NetworkNamespace::InsideLink(int link) const {
  return absl::StrCat("en", getpid(), link);
}

// 10.(199 - link).S.(4k + host): a /30 per link per test process.
std::string NetworkNamespace::Address(int link, int host) const {
  const int subnet = getpid() % 250 + 1;
  const int slot = (getpid() / 250) % 60 * 4;
  return absl::StrCat("10.", 199 - link, ".", subnet, ".", slot + host);
}
std::string NetworkNamespace::host_address(int link) const { return Address(link, 1); }
std::string NetworkNamespace::inside_address(int link) const { return Address(link, 2); }

bool NetworkNamespace::Create(std::string* why) {
  if (FindProgram("ip").empty()) {
    *why = "`ip` (iproute2) is not installed: run scripts/bootstrap";
    return false;
  }
  if (geteuid() != 0) {
    *why = "creating network namespaces needs root";
    return false;
  }
  if (!Ip("netns add " + name_)) {
    *why = "`ip netns add` failed (no CAP_SYS_ADMIN in this container?)";
    return false;
  }
  created_ = true;
  const std::string in = "netns exec " + name_ + " " + FindProgram("ip") + " ";
  bool ok = Ip(in + "link set lo up");
  for (int link = 0; ok && link < links_; ++link) {
    ok = Ip("link add " + HostLink(link) + " type veth peer name " + InsideLink(link)) &&
         Ip("link set " + InsideLink(link) + " netns " + name_) &&
         Ip("addr add " + host_address(link) + "/30 dev " + HostLink(link)) &&
         Ip("link set " + HostLink(link) + " up") &&
         Ip(in + "addr add " + inside_address(link) + "/30 dev " + InsideLink(link)) &&
         Ip(in + "link set " + InsideLink(link) + " up");
  }
  if (!ok) *why = "could not set up the veth pairs of " + name_;
  return ok;
}

std::vector<std::string> NetworkNamespace::Launcher() const {
  return {FindProgram("ip"), "netns", "exec", name_};
}

bool NetworkNamespace::Cut(int link) {
  return Ip("netns exec " + name_ + " " + FindProgram("ip") + " link set " + InsideLink(link) +
            " down");
}

bool NetworkNamespace::Heal(int link) {
  return Ip("netns exec " + name_ + " " + FindProgram("ip") + " link set " + InsideLink(link) +
            " up");
}

}  // namespace eddy::testing
