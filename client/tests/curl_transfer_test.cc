// CurlTransfer against a loopback HTTP/1.1 server of the test's own: a transfer runs to its
// end, a second one on the same CurlTransfer reuses the kept-alive connection, and a cancel
// ends a transfer that waits on a silent server without sitting out a poll timeout.
#include "client/curl_transfer.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "common/testing/loopback_listener.h"

namespace eddy::client {
namespace {

// Accepts connections on 127.0.0.1:<ephemeral>; answers each request with "hello" unless
// silent, when it reads and never answers.
class LoopbackServer {
 public:
  explicit LoopbackServer(bool silent) : silent_(silent) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stopping_ = true;
    listener_.Close();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_.port()) + "/"; }
  int accepted() const { return accepted_.load(); }

 private:
  void Serve() {
    while (!stopping_) {
      const int connection = accept(listener_.fd(), nullptr, nullptr);
      if (connection < 0) return;
      ++accepted_;
      // Detached, and touching nothing of the server: it ends when the client closes.
      std::thread([silent = silent_, connection] { Answer(connection, silent); }).detach();
    }
  }
  static void Answer(int connection, bool silent) {
    std::string request;
    char buffer[4096];
    for (;;) {
      const ssize_t n = read(connection, buffer, sizeof(buffer));
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
      size_t end;
      while (!silent && (end = request.find("\r\n\r\n")) != std::string::npos) {
        request.erase(0, end + 4);
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        if (write(connection, answer.data(), answer.size()) < 0) break;
      }
    }
    close(connection);
  }

  const bool silent_;
  common::testing::LoopbackListener listener_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

CURL* Handle(const std::string& url, std::string* body) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
  return curl;
}

TEST(CurlTransferTest, RunsTransfersToTheirEndAndKeepsTheConnection) {
  LoopbackServer server(/*silent=*/false);
  CurlTransfer transfer;
  std::string body;
  CURL* curl = Handle(server.url(), &body);
  ASSERT_EQ(transfer.Perform(curl), CURLE_OK);
  EXPECT_EQ(body, "hello");
  body.clear();
  ASSERT_EQ(transfer.Perform(curl), CURLE_OK);
  EXPECT_EQ(body, "hello");
  EXPECT_EQ(server.accepted(), 1);  // the second transfer went over the kept connection
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  EXPECT_EQ(http, 200);
  curl_easy_cleanup(curl);
}

TEST(CurlTransferTest, ACancelEndsAWaitOnASilentServer) {
  LoopbackServer server(/*silent=*/true);
  CurlTransfer transfer;
  std::string body;
  CURL* curl = Handle(server.url(), &body);
  std::atomic<bool> cancelled{false};
  auto done = std::async(std::launch::async, [&] {
    return transfer.Perform(curl, [&] { return cancelled.load(); });
  });
  // Cancelled only once the request is on its way (the server has the connection).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.accepted() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server.accepted(), 1);
  EXPECT_EQ(done.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  cancelled = true;
  transfer.Wakeup();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(done.get(), CURLE_ABORTED_BY_CALLBACK);
  curl_easy_cleanup(curl);
}

}  // namespace
}  // namespace eddy::client
