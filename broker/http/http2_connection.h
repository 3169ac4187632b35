#pragma once
// The HTTP/2 side of the Kinesis endpoint (nghttp2 does the framing, HPACK and flow
// control): h2c with prior knowledge, or h2 over TLS by ALPN. Each stream is one request;
// a streamed response (SubscribeToShard) sends its data only as the client's flow-control
// window allows, so a slow reader holds back only its own stream.
// `initial` holds bytes already read (the connection preface, with plain h2c).

#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "broker/http/connection_context.h"

namespace eddy::broker::http {

void StartHttp2Connection(boost::beast::tcp_stream stream, std::string initial,
                          const ConnectionContext& context);
void StartHttp2Connection(boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
                          std::string initial, const ConnectionContext& context);

}  // namespace eddy::broker::http
