// The endpoint's shutdown: Stop closes every connection, including those that have not yet
// said which protocol they speak (a client silent since it connected), and returns once
// they are gone — it does not wait out a timeout for them.
#include "broker/http/http_server.h"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "broker/call_gate.h"
#include "broker/http/kinesis_api.h"
#include "broker/testing/broker_test_base.h"

namespace eddy::broker::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class HttpServerTest : public testing::BrokerTestBase {
 protected:
  std::unique_ptr<KinesisHttpServer> StartServer() {
    KinesisHttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    api_ = std::make_unique<KinesisApi>(*broker_);  // the broker exists from SetUp on
    auto server = KinesisHttpServer::Start(options, *api_, gate_);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  tcp::socket Connect(const KinesisHttpServer& server) {
    tcp::socket socket(io_);
    const std::string& address = server.address();
    const auto port = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    return socket;
  }

  static bool WaitForConnections(const KinesisHttpServer& server, int count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (server.connection_count() != count) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // True when the peer closes the socket (end of file, or a reset) after whatever it still had
  // to send. Each wait is bounded with poll(): a socket left open fails the test, not hangs
  // it (Asio's blocking reads ignore SO_RCVTIMEO and wait on).
  static bool SeesEndOfFile(tcp::socket& socket) {
    char buffer[4096];
    while (true) {
      pollfd wait{socket.native_handle(), POLLIN, 0};
      if (::poll(&wait, 1, 20'000) != 1) return false;
      const ssize_t read = ::recv(wait.fd, buffer, sizeof(buffer), 0);
      if (read == 0) return true;
      if (read < 0) return errno == ECONNRESET;
    }
  }

  net::io_context io_;
  CallGate gate_;
  std::unique_ptr<KinesisApi> api_;
};

TEST_F(HttpServerTest, StopClosesAClientThatNeverSpoke) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  tcp::socket silent = Connect(*server);
  ASSERT_TRUE(WaitForConnections(*server, 1));
  server->Stop();
  // Gone when Stop returns, not left to the server's destruction.
  EXPECT_EQ(server->connection_count(), 0);
  EXPECT_TRUE(SeesEndOfFile(silent));
}

TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnections) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  tcp::socket client = Connect(*server);
  const std::string request =
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
      "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}";
  net::write(client, net::buffer(request));
  std::string answer(12, '\0');
  net::read(client, net::buffer(answer));
  EXPECT_EQ(answer, "HTTP/1.1 200");
  server->Stop();
  EXPECT_EQ(server->connection_count(), 0);
  EXPECT_TRUE(SeesEndOfFile(client));  // the rest of the answer, then the close
}

}  // namespace
}  // namespace eddy::broker::http
