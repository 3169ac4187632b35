// StartPeer: a server whose port another process took before it could bind is started
// again on another port, and a port is only reported once the server itself listens on it.
#include "tests/integration/peer_servers.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "common/testing/loopback_listener.h"
#include "common/testing/temp_dir.h"

namespace eddy::testing {
namespace {

// A loopback listener of this test process: the "other process" holding a port.
using PortThief = common::testing::LoopbackListener;

// python3 listening on the port in argv[1] (exits with an error when it is taken).
const char kServer[] =
    "import socket, sys, time\n"
    "s = socket.socket()\n"
    "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
    "s.listen()\n"
    "time.sleep(600)\n";

TEST(PeerServersTest, ATakenPortMovesTheServerToAnother) {
  PortThief thief;
  ASSERT_TRUE(Accepts(thief.port()));
  EXPECT_TRUE(ListensOn(getpid(), thief.port()));
  common::testing::TempDir dir;
  BackgroundProcess server;
  std::vector<int> offered;
  const int port = StartPeer(server, "python3", [&](int free_port) {
    offered.push_back(free_port);
    // The first start gets the stolen port: it must fail and not count as up.
    const int use = offered.size() == 1 ? thief.port() : free_port;
    return PeerLaunch{{"-c", kServer, std::to_string(use)}, {}};
  }, dir.path() + "/python");
  ASSERT_NE(port, 0);
  ASSERT_EQ(offered.size(), 2u);
  EXPECT_EQ(port, offered[1]);
  EXPECT_TRUE(ListensOn(server.pid(), port));
  EXPECT_FALSE(ListensOn(server.pid(), thief.port()));
}

TEST(PeerServersTest, AServerThatNeverListensFailsTheStart) {
  common::testing::TempDir dir;
  BackgroundProcess server;
  int starts = 0;
  auto start = [&] {
    return StartPeer(server, "python3", [&](int) {
      ++starts;
      return PeerLaunch{{"-c", "import sys; sys.exit(3)"}, {}};
    }, dir.path() + "/python");
  };
  int port = -1;
  EXPECT_NONFATAL_FAILURE(port = start(), "did not start");
  EXPECT_EQ(port, 0);
  EXPECT_EQ(starts, 3);
}

}  // namespace
}  // namespace eddy::testing
