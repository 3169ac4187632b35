#include "broker/http/http_server.h"

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/http/http1_connection.h"
#include "broker/http/http2_connection.h"
#include "common/errors.h"
#include "common/logging.h"

namespace eddy::broker::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

constexpr absl::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// A client that sends nothing within this long after connecting is dropped.
constexpr int64_t kFirstBytesTimeoutMillis = 30'000;

// Prefers h2, then http/1.1, as the client offers them.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void*) {
  for (absl::string_view wanted : {absl::string_view("h2"), absl::string_view("http/1.1")}) {
    for (unsigned int i = 0; i < in_length;) {
      const unsigned int length = in[i];
      if (i + 1 + length > in_length) break;
      if (absl::string_view(reinterpret_cast<const char*>(in + i + 1), length) == wanted) {
        *out = in + i + 1;
        *out_length = static_cast<unsigned char>(length);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + length;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

struct KinesisHttpServer::Impl {
  KinesisHttpServerOptions options;
  net::io_context io;
  // The acceptor, its handlers, its backoff timer and Stop's close run here, one at a time:
  // the I/O threads never touch the acceptor together.
  net::strand<net::io_context::executor_type> accept_strand = net::make_strand(io);
  std::optional<tcp::acceptor> acceptor;
  std::optional<ssl::context> tls;
  ConnectionRegistry registry;
  ConnectionContext context;
  std::vector<std::thread> threads;
  std::shared_ptr<std::atomic<int>> open_connections = std::make_shared<std::atomic<int>>(0);
  std::atomic<bool> stopped{false};
  // On the accept strand: these need no lock.
  bool accept_failing = false;
  std::optional<net::steady_timer> accept_backoff;

  void Accept() {
    acceptor->async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (stopped.load()) return;
      if (!ec) {
        if (open_connections->load() >= options.max_connections) {
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          // Responses and events are written as they are ready; Nagle would hold each small
          // one back until the previous is acknowledged (a delayed ACK: up to 40 ms).
          beast::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          Sniff(std::move(socket));
        }
        accept_failing = false;
      } else if (ec != net::error::operation_aborted) {
        // Out of descriptors, say: accepting again at once would spin on the same error.
        if (!accept_failing) {
          common::Logger("eddy.http")->warn("accept failed ({}); retrying every 100 ms",
                                            ec.message());
        }
        accept_failing = true;
        accept_backoff.emplace(accept_strand);
        accept_backoff->expires_after(std::chrono::milliseconds(100));
        accept_backoff->async_wait([this](beast::error_code) {
          if (!stopped.load()) Accept();
        });
        return;
      }
      Accept();
    });
  }

  // Reads the first bytes and hands the connection to the protocol they name. It is a
  // Connection of its own until then, so that Stop closes a client still silent or still in
  // its TLS handshake at once (rather than waiting for it).
  struct Sniffer : Connection, std::enable_shared_from_this<Sniffer> {
    Impl* impl;
    net::any_io_executor executor;
    beast::tcp_stream stream;
    std::shared_ptr<beast::ssl_stream<beast::tcp_stream>> tls;  // during the handshake
    bool handed_off = false;
    std::string bytes;
    char buffer[64];
    // Counted against max_connections from the accept on, handshake included.
    ConnectionCount count;

    Sniffer(Impl* i, tcp::socket socket, std::shared_ptr<std::atomic<int>> open)
        : impl(i),
          executor(socket.get_executor()),
          stream(std::move(socket)),
          count(std::move(open)) {}

    void Close() override {
      net::post(executor, [weak = weak_from_this()] {
        auto self = weak.lock();
        if (self == nullptr || self->handed_off) return;
        beast::error_code ignored;
        if (self->tls) {
          beast::get_lowest_layer(*self->tls).socket().close(ignored);
        } else {
          self->stream.socket().close(ignored);
        }
      });
    }

    void Read() {
      stream.expires_after(std::chrono::milliseconds(kFirstBytesTimeoutMillis));
      stream.async_read_some(net::buffer(buffer, sizeof(buffer)),
                             [self = shared_from_this()](beast::error_code ec, size_t n) {
                               if (ec) return;  // gone, silent or closed by Stop: dropped
                               self->bytes.append(self->buffer, n);
                               self->Decide();
                             });
    }

    void Decide() {
      stream.expires_never();
      if (impl->stopped.load()) return;
      if (static_cast<unsigned char>(bytes[0]) == 0x16) {
        if (!impl->tls) return;  // TLS without a certificate configured: dropped
        return Handshake();
      }
      const size_t compare = std::min(bytes.size(), kH2Preface.size());
      const bool http2 =
          absl::string_view(bytes).substr(0, compare) == kH2Preface.substr(0, compare);
      if (http2 && bytes.size() < kH2Preface.size()) return Read();  // the rest of the preface
      handed_off = true;
      if (http2) return StartHttp2Connection(std::move(stream), std::move(bytes), impl->context);
      StartHttp1Connection(std::move(stream), std::move(bytes), impl->context);
    }

    void Handshake() {
      tls = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(std::move(stream), *impl->tls);
      beast::get_lowest_layer(*tls).expires_after(
          std::chrono::milliseconds(kFirstBytesTimeoutMillis));
      auto initial = std::make_shared<std::string>(std::move(bytes));
      tls->async_handshake(ssl::stream_base::server, net::buffer(*initial),
                           [self = shared_from_this(), initial](beast::error_code ec, size_t) {
                             if (ec || self->impl->stopped.load()) return;
                             self->handed_off = true;
                             auto& tls = *self->tls;
                             beast::get_lowest_layer(tls).expires_never();
                             const unsigned char* protocol = nullptr;
                             unsigned int length = 0;
                             SSL_get0_alpn_selected(tls.native_handle(), &protocol, &length);
                             const bool h2 =
                                 length == 2 && protocol[0] == 'h' && protocol[1] == '2';
                             if (h2) {
                               StartHttp2Connection(std::move(tls), "", self->impl->context);
                             } else {
                               StartHttp1Connection(std::move(tls), "", self->impl->context);
                             }
                           });
    }
  };

  void Sniff(tcp::socket socket) {
    auto sniffer = std::make_shared<Sniffer>(this, std::move(socket), open_connections);
    registry.Add(sniffer);
    // The accept handler runs on the acceptor's executor, Close on the socket's strand: the
    // first read starts on that strand too, never beside a Close.
    net::dispatch(sniffer->executor, [sniffer] { sniffer->Read(); });
  }
};

KinesisHttpServer::KinesisHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KinesisHttpServer::~KinesisHttpServer() { Stop(); }

absl::StatusOr<std::unique_ptr<KinesisHttpServer>> KinesisHttpServer::Start(
    const KinesisHttpServerOptions& options, KinesisApi& api, CallGate& gate) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->context.api = &api;
  impl->context.gate = &gate;
  impl->context.registry = &impl->registry;
  impl->context.limits = options.limits;
  impl->context.open_connections = impl->open_connections;

  const size_t colon = options.listen_address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options.listen_address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return common::InvalidArgument(
        absl::StrCat("--kinesis-listen '", options.listen_address, "' is not host:port"));
  }
  std::string host = options.listen_address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(host.empty() ? "127.0.0.1" : host, ec);
  if (ec) {
    return common::InvalidArgument(
        absl::StrCat("--kinesis-listen '", options.listen_address, "': ", ec.message()));
  }

  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return common::InvalidArgument("--tls-cert and --tls-key go together");
    }
    impl->tls.emplace(ssl::context::tls_server);
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1);
    impl->tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) {
      return common::InvalidArgument(
          absl::StrCat("--tls-cert ", options.tls_cert_file, ": ", ec.message()));
    }
    impl->tls->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return common::InvalidArgument(
          absl::StrCat("--tls-key ", options.tls_key_file, ": ", ec.message()));
    }
    SSL_CTX_set_alpn_select_cb(impl->tls->native_handle(), &SelectAlpn, nullptr);
  }

  impl->acceptor.emplace(impl->accept_strand);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return common::InvalidArgument(
        absl::StrCat("cannot listen on '", options.listen_address, "': ", ec.message()));
  }
  const int bound_port = impl->acceptor->local_endpoint().port();
  std::unique_ptr<KinesisHttpServer> server(new KinesisHttpServer(std::move(impl)));
  server->address_ = absl::StrCat(options.listen_address.substr(0, colon), ":", bound_port);
  Impl* raw = server->impl_.get();
  raw->Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    raw->threads.emplace_back([raw] { raw->io.run(); });
  }
  return server;
}

int KinesisHttpServer::connection_count() const { return impl_->open_connections->load(); }

void KinesisHttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped.exchange(true)) return;
  net::post(impl_->accept_strand, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
  impl_->registry.CloseAll();
  // Let the closes run and the connections go (a write posted by a subscription still runs
  // and reports false to it), for at most two seconds; then stop: handlers still queued are
  // destroyed with the context.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (impl_->open_connections->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  net::post(impl_->io, [impl = impl_.get()] { impl->io.stop(); });
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace eddy::broker::http
