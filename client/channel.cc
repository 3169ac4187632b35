#include "client/channel.h"

#include "absl/strings/match.h"

namespace eddy::client {
namespace {
constexpr int kMaxMessageBytes = 64 << 20;
}  // namespace

std::string NormalizeEndpoint(std::string endpoint) {
  for (const char* scheme : {"http://", "grpc://", "dns:///"}) {
    if (absl::StartsWith(endpoint, scheme)) return endpoint.substr(std::string(scheme).size());
  }
  return endpoint;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& endpoint) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
}

}  // namespace eddy::client
