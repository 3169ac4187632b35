#include "broker/http/http1_connection.h"

#include <chrono>
#include <deque>
#include <optional>
#include <utility>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "broker/http/aws_errors.h"
#include "broker/http/connection_exchange.h"
#include "common/errors.h"

namespace eddy::broker::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

// One HTTP/1.1 connection. All members are touched on the stream's strand only.
//
//   reading ──► handling ──► writing ──► reading …     (whole responses, keep-alive)
//                  └──► streaming (chunks) ──► reading  (after the last chunk)
constexpr uint64_t kLargeBody = 16 << 10;
constexpr size_t kLargeBodyBuffer = 64 << 10;

template <typename Stream>
class Http1Connection : public Connection,
                        public std::enable_shared_from_this<Http1Connection<Stream>> {
 public:
  using executor_type = beast::tcp_stream::executor_type;
  using Self = Http1Connection<Stream>;
  using SelfExchange = ConnectionExchange<Self, uint64_t>;

  Http1Connection(Stream stream, std::string initial, const ConnectionContext& context)
      : count_(context.open_connections), stream_(std::move(stream)), context_(context) {
    auto writable = buffer_.prepare(initial.size());
    net::buffer_copy(writable, net::buffer(initial));
    buffer_.commit(initial.size());
  }

  executor_type executor() { return beast::get_lowest_layer(stream_).get_executor(); }

  void Run() { ReadRequest(); }

  void Close() override {
    net::post(executor(), [self = this->shared_from_this()] { self->Shutdown(); });
  }

  void DoRespond(uint64_t key, int status, HeaderList headers, std::string body) {
    if (key != request_number_ || state_ != State::kHandling) return;
    auto response = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(status), 11);
    for (auto& [name, value] : headers) response->set(name, value);
    response->body() = std::move(body);
    response->keep_alive(keep_alive_);
    response->prepare_payload();
    state_ = State::kWriting;
    Expire(context_.limits.write_timeout_millis);
    bhttp::async_write(stream_, *response,
                       [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
                         self->OnResponseWritten(ec);
                       });
  }

  void DoBeginStream(uint64_t key, int status, HeaderList headers) {
    if (key != request_number_ || state_ != State::kHandling) return;
    stream_response_.emplace(static_cast<bhttp::status>(status), 11);
    for (auto& [name, value] : headers) stream_response_->set(name, value);
    stream_response_->keep_alive(keep_alive_);
    stream_response_->chunked(true);
    serializer_.emplace(*stream_response_);
    state_ = State::kStreaming;
    writing_ = true;
    // The hang-up watch read must start without a deadline (a subscription lasts minutes):
    // Beast arms a direction's timer only while no operation of that direction is pending,
    // so the read goes first, then the write deadline applies to writes alone.
    beast::get_lowest_layer(stream_).expires_never();
    WatchForHangUp();
    Expire(context_.limits.write_timeout_millis);
    bhttp::async_write_header(stream_, *serializer_,
                              [self = this->shared_from_this()](beast::error_code ec, size_t) {
                                self->OnChunkWritten(ec, /*chunk=*/false);
                              });
  }

  void DoWrite(uint64_t key, std::string bytes, std::function<void(bool)> written) {
    if (key != request_number_ || state_ != State::kStreaming) {
      if (written) written(false);
      return;
    }
    pending_.push_back(Pending{std::move(bytes), std::move(written), false});
    WriteNext();
  }

  void DoEndStream(uint64_t key) {
    if (key != request_number_ || state_ != State::kStreaming) return;
    pending_.push_back(Pending{"", nullptr, true});
    WriteNext();
  }

 private:
  enum class State { kReading, kHandling, kWriting, kStreaming, kClosed };
  struct Pending {
    std::string bytes;
    std::function<void(bool)> written;
    bool last = false;
  };

  void Expire(int64_t millis) {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(millis));
  }

  void ReadRequest() {
    state_ = State::kReading;
    parser_.emplace();
    parser_->body_limit(context_.limits.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(context_.limits.max_header_bytes));
    Expire(context_.limits.idle_timeout_millis);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->OnRequest(ec);
                               self->ReadBody();
                             });
  }

  // Beast reads at most the buffer's free capacity (and never more than 64 KiB) at a time: a
  // connection's buffer is small while it idles, so a large body gets a 64 KiB buffer for as
  // long as it arrives (700 KB in ~11 reads, not ~1 000 reads of the few hundred bytes left
  // after the headers — each with its own timer and reactor round trip).
  void ReadBody() {
    const auto length = parser_->content_length();  // boost::optional
    if (length.value_or(0) > kLargeBody && buffer_.capacity() < kLargeBodyBuffer) {
      buffer_.reserve(kLargeBodyBuffer);
    }
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (self->buffer_.capacity() > kLargeBodyBuffer / 2 &&
                            self->buffer_.size() < kLargeBody) {
                          self->buffer_.shrink_to_fit();
                        }
                        self->OnRequest(ec);
                      });
  }

  void OnRequest(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      if (ec == bhttp::error::body_limit) return RefuseAndClose(413, "The request body is too large.");
      if (ec == bhttp::error::header_limit) {
        return RefuseAndClose(431, "The request headers are too large.");
      }
      if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
          ec == beast::error::timeout || ec == net::error::operation_aborted ||
          ec == net::error::connection_reset) {
        return Shutdown();
      }
      return RefuseAndClose(400, "The request is not valid HTTP/1.1.");
    }
    bhttp::request<bhttp::string_body> request = parser_->release();
    parser_.reset();
    keep_alive_ = request.keep_alive();
    ApiRequest api_request;
    api_request.method = std::string(request.method_string());
    api_request.path = std::string(request.target());
    for (const auto& field : request) {
      api_request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                       std::string(field.value()));
    }
    api_request.body = std::move(request.body());
    ++request_number_;
    state_ = State::kHandling;
    beast::get_lowest_layer(stream_).expires_never();
    if (!context_.gate->Enter()) {
      keep_alive_ = false;
      auto exchange = std::make_shared<SelfExchange>(this->shared_from_this(), executor(),
                                                     request_number_, nullptr);
      exchange_ = exchange;
      const ErrorReply error = ErrorReplyOf(absl::UnavailableError("the broker is shutting down"));
      exchange->Respond(error.http_status, {{"content-type", "application/x-amz-json-1.1"}},
                        ErrorBody(error, BodyEncoding::kJson));
      return;
    }
    auto exchange = std::make_shared<SelfExchange>(this->shared_from_this(), executor(),
                                                   request_number_, context_.gate);
    exchange_ = exchange;
    context_.api->Handle(std::move(api_request), exchange);
  }

  void OnResponseWritten(beast::error_code ec) {
    exchange_.reset();
    if (ec || !keep_alive_) return Shutdown();
    ReadRequest();
  }

  // While a response streams, a read tells us when the client hangs up.
  void WatchForHangUp() {
    net::async_read(stream_, net::buffer(hang_up_byte_, 1),
                    [self = this->shared_from_this()](beast::error_code ec, size_t) {
                      if (ec && self->state_ == State::kStreaming) self->Shutdown();
                    });
  }

  void WriteNext() {
    if (writing_ || pending_.empty() || state_ != State::kStreaming) return;
    writing_ = true;
    Expire(context_.limits.write_timeout_millis);
    Pending* front = &pending_.front();
    auto done = [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->OnChunkWritten(ec, /*chunk=*/true);
    };
    if (front->last) {
      net::async_write(stream_, bhttp::make_chunk_last(), std::move(done));
    } else {
      net::async_write(stream_, bhttp::make_chunk(net::buffer(front->bytes)), std::move(done));
    }
  }

  // `chunk`: the front of pending_ was being written (not the response header).
  void OnChunkWritten(beast::error_code ec, bool chunk) {
    writing_ = false;
    beast::get_lowest_layer(stream_).expires_never();
    if (state_ != State::kStreaming || (chunk && pending_.empty())) return;
    bool last = false;
    if (chunk) {
      last = pending_.front().last;
      std::function<void(bool)> callback = std::move(pending_.front().written);
      pending_.pop_front();
      if (callback) callback(!ec);
    }
    if (ec) return Shutdown();
    if (last) {
      serializer_.reset();
      stream_response_.reset();
      exchange_.reset();
      // The hang-up watch read is still pending and could swallow the first byte of a next
      // request: a connection ends with its stream (clients reconnect, as after AWS's
      // 5-minute subscriptions).
      return Shutdown();
    }
    WriteNext();
  }

  void RefuseAndClose(int status, const char* message) {
    keep_alive_ = false;
    auto response = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(status), 11);
    response->set(bhttp::field::content_type, "application/x-amz-json-1.1");
    response->set("x-amzn-ErrorType", std::string(kSerializationException));
    response->body() = ErrorBody(ErrorReply{status, std::string(kSerializationException), message},
                                 BodyEncoding::kJson);
    response->keep_alive(false);
    response->prepare_payload();
    state_ = State::kWriting;
    Expire(context_.limits.write_timeout_millis);
    bhttp::async_write(stream_, *response,
                       [self = this->shared_from_this(), response](beast::error_code, size_t) {
                         self->Shutdown();
                       });
  }

  void Shutdown() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    for (Pending& pending : pending_) {
      if (pending.written) std::exchange(pending.written, nullptr)(false);
    }
    // A chunk being written stays alive until its write completes (with an error, now that
    // the socket is closed): the write still reads its bytes.
    if (writing_ && !pending_.empty()) {
      pending_.erase(pending_.begin() + 1, pending_.end());
    } else {
      pending_.clear();
    }
    if (auto exchange = exchange_.lock()) exchange->Cancel();
    exchange_.reset();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(net::ip::tcp::socket::shutdown_both,
                                                       ignored);
    beast::get_lowest_layer(stream_).close();
  }

  ConnectionCount count_;
  Stream stream_;
  ConnectionContext context_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> stream_response_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> serializer_;
  std::deque<Pending> pending_;
  std::weak_ptr<SelfExchange> exchange_;  // the exchange holds the connection
  State state_ = State::kReading;
  bool keep_alive_ = true;
  bool writing_ = false;
  uint64_t request_number_ = 0;
  char hang_up_byte_[1];
};

template <typename Stream>
void Start(Stream stream, std::string initial, const ConnectionContext& context) {
  auto connection =
      std::make_shared<Http1Connection<Stream>>(std::move(stream), std::move(initial), context);
  context.registry->Add(connection);
  connection->Run();
}

}  // namespace

void StartHttp1Connection(beast::tcp_stream stream, std::string initial,
                          const ConnectionContext& context) {
  Start(std::move(stream), std::move(initial), context);
}

void StartHttp1Connection(beast::ssl_stream<beast::tcp_stream> stream, std::string initial,
                          const ConnectionContext& context) {
  Start(std::move(stream), std::move(initial), context);
}

}  // namespace eddy::broker::http
