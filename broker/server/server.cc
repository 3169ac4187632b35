#include "broker/server/server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace eddy::broker {

absl::StatusOr<std::unique_ptr<BrokerServer>> BrokerServer::Start(
    const BrokerServerOptions& options) {
  std::unique_ptr<BrokerServer> server(new BrokerServer());
  absl::StatusOr<std::unique_ptr<StreamBroker>> broker = StreamBroker::Open(options.broker);
  if (!broker.ok()) return broker.status();
  server->broker_ = std::move(*broker);
  server->broker_->Start();
  server->service_ = std::make_unique<StreamServiceImpl>(*server->broker_, server->gate_);
  server->coordinator_service_ =
      std::make_unique<CoordinatorServiceImpl>(server->broker_->coordinator(), server->gate_);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->coordinator_service_.get());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // gRPC sets SO_REUSEPORT by default, which would let a second broker share the port and
  // receive half the calls against other data: a taken port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || port == 0) {
    return common::InvalidArgument(
        absl::StrCat("cannot listen on '", options.listen_address, "'"));  // ~ shuts down
  }
  if (options.kinesis_enabled) {
    server->kinesis_api_ = std::make_unique<http::KinesisApi>(*server->broker_);
    absl::StatusOr<std::unique_ptr<http::KinesisHttpServer>> kinesis =
        http::KinesisHttpServer::Start(options.kinesis, *server->kinesis_api_, server->gate_);
    if (!kinesis.ok()) return kinesis.status();
    server->kinesis_ = std::move(*kinesis);
  }
  const std::string& listen = options.listen_address;
  const size_t colon = listen.rfind(':');
  server->address_ = absl::StrCat(listen.substr(0, colon), ":", port);
  return server;
}

BrokerServer::~BrokerServer() { Shutdown(); }

void BrokerServer::Wait() { server_->Wait(); }

void BrokerServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ == nullptr) {  // never started serving (the broker may not have opened)
    if (broker_ != nullptr) broker_->Stop();
    return;
  }
  // End the push sessions, refuse new calls and let those in flight finish first: gRPC's
  // own Shutdown deadline would also wait out idle client connections.
  broker_->fanout().Stop();
  coordinator_service_->BeginShutdown();
  gate_.Drain(absl::Seconds(10));
  server_->Shutdown(std::chrono::system_clock::now());
  if (kinesis_ != nullptr) kinesis_->Stop();
  broker_->Stop();
}

}  // namespace eddy::broker
