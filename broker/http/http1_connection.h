#pragma once
// The HTTP/1.1 side of the Kinesis endpoint: keep-alive requests one at a time, whole
// responses with Content-Length, streamed responses (SubscribeToShard) chunked.
// Over plain TCP or TLS; `initial` holds bytes already read while telling protocols apart.

#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "broker/http/connection_context.h"

namespace eddy::broker::http {

void StartHttp1Connection(boost::beast::tcp_stream stream, std::string initial,
                          const ConnectionContext& context);
void StartHttp1Connection(boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
                          std::string initial, const ConnectionContext& context);

}  // namespace eddy::broker::http
