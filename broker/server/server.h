#pragma once
// BrokerServer: a running eddy-broker — the StreamBroker core behind two front-ends, the
// gRPC server and the Kinesis HTTP endpoint (broker/http), which only translate.
// Used by eddy-broker's main and by tests that want a broker in-process.
//
// Lifecycle: Start() → (serve) → Shutdown(). Shutdown stops accepting calls, waits up to
// a deadline for in-flight ones, then finishes queued writes. Thread-safe.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker/call_gate.h"
#include "broker/coordinator_service.h"
#include "broker/grpc_service.h"
#include "broker/http/http_server.h"
#include "broker/http/kinesis_api.h"
#include "broker/stream_broker.h"

namespace grpc {
class Server;
}

namespace eddy::broker {

struct BrokerServerOptions {
  // host:port to listen on; port 0 picks a free one (see BrokerServer::address()).
  std::string listen_address = "127.0.0.1:4567";
  // The Kinesis HTTP endpoint on `kinesis.listen_address`. Off by default for an embedded
  // server (a fixed default port would clash between servers in one process); eddy-broker
  // turns it on unless `--kinesis-listen none`.
  bool kinesis_enabled = false;
  http::KinesisHttpServerOptions kinesis;
  StreamBrokerOptions broker;
};

class BrokerServer {
 public:
  static absl::StatusOr<std::unique_ptr<BrokerServer>> Start(const BrokerServerOptions& options);
  ~BrokerServer();

  // The address clients should dial, with the actual port.
  const std::string& address() const { return address_; }
  // The Kinesis endpoint's host:port, or "" when it is off.
  std::string kinesis_address() const { return kinesis_ ? kinesis_->address() : ""; }
  StreamBroker& broker() { return *broker_; }

  // Blocks until Shutdown() is called from another thread.
  void Wait();
  void Shutdown();

 private:
  BrokerServer() = default;
  std::unique_ptr<StreamBroker> broker_;
  CallGate gate_;
  std::unique_ptr<StreamServiceImpl> service_;
  std::unique_ptr<CoordinatorServiceImpl> coordinator_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<http::KinesisApi> kinesis_api_;
  std::unique_ptr<http::KinesisHttpServer> kinesis_;
  std::string address_;
  bool shut_down_ = false;
};

// Largest gRPC message both sides accept: a 10 MiB GetRecords or PutRecords plus framing.
inline constexpr int kMaxMessageBytes = 64 << 20;

}  // namespace eddy::broker
