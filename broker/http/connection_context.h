#pragma once
// What every connection of the Kinesis HTTP endpoint shares: the API, the broker's call
// gate, the limits that protect the broker from hostile input, and the registry through
// which the server closes connections at shutdown.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "broker/call_gate.h"
#include "broker/http/kinesis_api.h"

namespace eddy::broker::http {

struct ConnectionLimits {
  // A request body above this is refused (413): on HTTP/1.1 the connection is closed, on
  // HTTP/2 the stream is reset and the connection serves on. A PutRecords of 10 MiB grows
  // by a third in base64.
  size_t max_body_bytes = 16 << 20;
  // Request line and headers (HTTP/1.1) or one stream's header block (HTTP/2).
  size_t max_header_bytes = 64 << 10;
  // A connection with no request in progress is closed after this long.
  int64_t idle_timeout_millis = 120'000;
  // A write the client does not take within this long closes the connection.
  int64_t write_timeout_millis = 120'000;
  // HTTP/2 streams a client may open at once on one connection.
  uint32_t max_concurrent_streams = 128;
};

// A live connection, as the server sees it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection soon (from any thread); in-flight exchanges see the client gone.
  virtual void Close() = 0;
};

class ConnectionRegistry {
 public:
  // A connection added after CloseAll (its handshake was under way) is closed at once.
  void Add(const std::shared_ptr<Connection>& connection) {
    {
      absl::MutexLock lock(&mu_);
      if (!closed_) {
        if (++adds_ % 1024 == 0) Prune();
        connections_.push_back(connection);
        return;
      }
    }
    connection->Close();
  }
  void CloseAll() {
    std::vector<std::weak_ptr<Connection>> all;
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      all.swap(connections_);
    }
    for (const auto& weak : all) {
      if (auto connection = weak.lock()) connection->Close();
    }
  }

 private:
  void Prune() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::weak_ptr<Connection>> live;
    for (auto& weak : connections_) {
      if (!weak.expired()) live.push_back(std::move(weak));
    }
    connections_.swap(live);
  }
  absl::Mutex mu_;
  uint64_t adds_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
};

// Counts a live connection for as long as it exists.
class ConnectionCount {
 public:
  explicit ConnectionCount(std::shared_ptr<std::atomic<int>> counter) : counter_(std::move(counter)) {
    if (counter_) counter_->fetch_add(1);
  }
  ~ConnectionCount() {
    if (counter_) counter_->fetch_sub(1);
  }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  std::shared_ptr<std::atomic<int>> counter_;
};

struct ConnectionContext {
  std::shared_ptr<std::atomic<int>> open_connections;
  KinesisApi* api = nullptr;
  CallGate* gate = nullptr;
  ConnectionRegistry* registry = nullptr;
  ConnectionLimits limits;
};

}  // namespace eddy::broker::http
