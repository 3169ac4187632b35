#include "kcl/internal/stream_transport.h"

#include "absl/strings/match.h"
#include "client/aws_config.h"
#include "client/grpc_stream_connection.h"
#include "client/kinesis_http_connection.h"
#include "common/errors.h"
#include "common/logging.h"

namespace eddy::kcl::internal {

absl::StatusOr<std::unique_ptr<client::StreamConnection>> OpenStreamConnection(
    const Config& config) {
  if (config.transport == Transport::kEddyGrpc) {
    return client::MakeGrpcStreamConnection(
        client::StreamClientOptions{config.endpoint, std::chrono::seconds(30)});
  }
  const KinesisTransportConfig& kinesis = config.kinesis;
  absl::StatusOr<client::AwsSettings> aws = client::ResolveAwsSettings(
      client::AwsClientOptions{kinesis.profile, kinesis.region, kinesis.endpoint_url}, "kinesis",
      client::ProcessEnvironment());
  if (!aws.ok()) return aws.status();
  if (!absl::StartsWith(aws->endpoint_url, "http://") &&
      !absl::StartsWith(aws->endpoint_url, "https://")) {
    return common::InvalidArgument("The Kinesis endpoint URL must start with http:// or https://, not \"" +
                                   aws->endpoint_url + "\".");
  }
  common::Logger("eddy.kcl")
      ->info("Kinesis endpoint {} region {} credentials from {}", aws->endpoint_url, aws->region,
             aws->credentials->DescribeForLog());
  client::KinesisHttpOptions options;
  options.aws = std::move(*aws);
  options.http2_cleartext = kinesis.http2_cleartext;
  options.ca_bundle = kinesis.ca_bundle;
  options.verify_tls = kinesis.verify_tls;
  return client::MakeKinesisHttpConnection(std::move(options));
}

}  // namespace eddy::kcl::internal
