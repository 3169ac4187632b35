#pragma once
// KinesisHttpServer: the Kinesis endpoint's listener. One port serves HTTP/1.1, HTTP/2 with
// prior knowledge (h2c) and, with a certificate, TLS (ALPN h2 or http/1.1): the first
// bytes of each connection tell which — a TLS ClientHello starts with 0x16, h2c with the
// connection preface "PRI * HTTP/2.0", anything else is HTTP/1.1.
//
// Lifecycle: Start() → Stop(). Stop closes the listener and every connection and joins the
// I/O threads; exchanges still held by the API (a put completing) then find their
// connection gone. Thread-safe.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/http/connection_context.h"
#include "broker/http/kinesis_api.h"

namespace eddy::broker::http {

struct KinesisHttpServerOptions {
  // host:port; port 0 picks a free one (see address()).
  std::string listen_address = "127.0.0.1:4568";
  // PEM files; both set to serve TLS beside plain HTTP on the same port.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Threads running every connection's I/O.
  int threads = 2;
  // More connections than this are accepted and closed at once.
  int max_connections = 20'000;
  ConnectionLimits limits;
};

class KinesisHttpServer {
 public:
  // `api` and `gate` must outlive the server.
  static absl::StatusOr<std::unique_ptr<KinesisHttpServer>> Start(
      const KinesisHttpServerOptions& options, KinesisApi& api, CallGate& gate);
  ~KinesisHttpServer();

  // host:port with the actual port.
  const std::string& address() const { return address_; }
  // Connections open now.
  int connection_count() const;

  void Stop();

 private:
  struct Impl;
  explicit KinesisHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace eddy::broker::http
