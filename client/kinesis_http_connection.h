#pragma once
// The StreamConnection of the Kinesis Data Streams API over HTTP (JSON 1.1, SigV4-signed):
// AWS itself, Eddy's Kinesis endpoint (eddy-broker --kinesis-listen), kinesis-mock,
// LocalStack. libcurl underneath: HTTP/1.1 with keep-alive, or HTTP/2 (ALPN over TLS, as
// AWS requires for SubscribeToShard; prior knowledge over cleartext when asked).
//
// SubscribeToShard reads AWS's event stream with both CRCs checked; the initial-response is
// optional (kinesis-mock sends none); an exception in the stream ends the session with that
// exception's name. A session's events are read one ahead of the caller by a thread of its
// own, so a slow processor holds the stream back (TCP/HTTP/2 flow control) instead of
// buffering it.

#include <chrono>
#include <memory>
#include <string>

#include "client/aws_config.h"
#include "client/stream_connection.h"

namespace eddy::client {

struct KinesisHttpOptions {
  AwsSettings aws;  // endpoint, region, credentials (ResolveAwsSettings)
  // Deadline of each unary call.
  std::chrono::milliseconds timeout{30'000};
  // Over http:// endpoints, speak HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1.
  // https:// endpoints negotiate HTTP/2 by ALPN either way.
  bool http2_cleartext = false;
  // TLS: a CA bundle instead of the system's, or no verification at all (test setups).
  std::string ca_bundle;
  bool verify_tls = true;
};

std::unique_ptr<StreamConnection> MakeKinesisHttpConnection(KinesisHttpOptions options);

}  // namespace eddy::client
