#include "broker/http/http2_connection.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "broker/http/aws_errors.h"
#include "broker/http/connection_exchange.h"
#include "common/errors.h"

namespace eddy::broker::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

constexpr size_t kReadChunk = 64 << 10;
constexpr size_t kMaxWriteBatch = 256 << 10;
// Flow-control windows we grant clients for request bodies (PutRecords of 10 MiB).
constexpr int32_t kStreamWindow = 1 << 20;
constexpr int32_t kConnectionWindow = 16 << 20;
// Request-body bytes one connection may hold for requests still arriving before their
// streams' windows stop being reopened (twice the largest body, so two big PutRecords can
// arrive side by side). Above it only the oldest incomplete request is given window, so one
// always completes; the others wait. The connection's own window always reopens (withholding
// it would starve that oldest stream too). A connection thus holds at most this, one more
// body and one stream window per open stream.
size_t BodyBudget(const ConnectionLimits& limits) { return 2 * limits.max_body_bytes; }

template <typename Stream>
class Http2Connection : public Connection,
                        public std::enable_shared_from_this<Http2Connection<Stream>> {
 public:
  using executor_type = beast::tcp_stream::executor_type;
  using Self = Http2Connection<Stream>;
  using SelfExchange = ConnectionExchange<Self, int32_t>;

  Http2Connection(Stream stream, std::string initial, const ConnectionContext& context)
      : count_(context.open_connections),
        stream_(std::move(stream)),
        context_(context),
        initial_(std::move(initial)),
        idle_timer_(executor()),
        write_timer_(executor()) {}

  ~Http2Connection() override {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  executor_type executor() { return beast::get_lowest_layer(stream_).get_executor(); }

  void Run() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &OnDataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrame);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnStreamClose);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &OnFrameSent);
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_max_send_header_block_length(option, 64 << 10);
    // Windows reopen as bodies are taken in (OnDataChunk, ReleaseWithheld), within the budget.
    nghttp2_option_set_no_auto_window_update(option, 1);
    nghttp2_session_server_new2(&session_, callbacks, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, context_.limits.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         static_cast<uint32_t>(context_.limits.max_header_bytes)}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                            sizeof(settings) / sizeof(settings[0]));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    if (!initial_.empty() && !Receive(initial_.data(), initial_.size())) return;
    initial_.clear();
    ArmIdleTimer();
    Read();
    Flush();
  }

  void Close() override {
    net::post(executor(), [self = this->shared_from_this()] { self->Shutdown(); });
  }

  void DoRespond(int32_t id, int status, HeaderList headers, std::string body) {
    StreamData* stream = Find(id);
    if (stream == nullptr || stream->response_submitted) return;
    headers.emplace_back("content-length", std::to_string(body.size()));
    stream->out.push_back(Pending{std::move(body), nullptr});
    stream->end = true;
    Submit(id, *stream, status, headers);
  }

  void DoBeginStream(int32_t id, int status, HeaderList headers) {
    StreamData* stream = Find(id);
    if (stream == nullptr || stream->response_submitted) return;
    Submit(id, *stream, status, headers);
  }

  void DoWrite(int32_t id, std::string bytes, std::function<void(bool)> written) {
    StreamData* stream = Find(id);
    if (stream == nullptr || stream->end) {
      if (written) written(false);
      return;
    }
    stream->out.push_back(Pending{std::move(bytes), std::move(written)});
    Resume(id, *stream);
  }

  void DoEndStream(int32_t id) {
    StreamData* stream = Find(id);
    if (stream == nullptr || stream->end) return;
    stream->end = true;
    Resume(id, *stream);
  }

 private:
  struct Pending {
    std::string bytes;
    std::function<void(bool)> written;
  };
  struct StreamData {
    ApiRequest request;
    size_t header_bytes = 0;
    // Body bytes received but not yet given back as flow-control window (over the budget).
    size_t withheld = 0;
    // The request deadline runs from `opened`, paused while a window is held back (from
    // `held_since`): that wait is ours, not the client's.
    std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point held_since;
    bool refused = false;     // answered already (body too large, or too slow)
    bool dispatched = false;  // handed to the API
    bool response_submitted = false;
    bool deferred = false;    // nghttp2 waits for Resume
    bool end = false;         // no more data after `out`
    std::deque<Pending> out;
    size_t offset = 0;        // into out.front()
    std::weak_ptr<SelfExchange> exchange;  // the exchange holds the connection
  };

  static Self* Of(void* user_data) { return static_cast<Self*>(user_data); }

  StreamData* Find(int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
  }

  // --- receiving -------------------------------------------------------------------------

  bool Receive(const char* data, size_t size) {
    receiving_ = true;  // nghttp2 must not be asked to send from inside its callbacks
    const ssize_t consumed = nghttp2_session_mem_recv(
        session_, reinterpret_cast<const uint8_t*>(data), size);
    receiving_ = false;
    if (consumed < 0) {
      Flush();  // a GOAWAY may be queued
      Shutdown();
      return false;
    }
    return true;
  }

  void Read() {
    if (closed_) return;
    stream_.async_read_some(net::buffer(read_buffer_, kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Shutdown();
                              self->last_activity_ = std::chrono::steady_clock::now();
                              if (!self->Receive(self->read_buffer_, n)) return;
                              self->Flush();
                              self->Read();
                            });
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      Of(user_data)->streams_[frame->hd.stream_id];
    }
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
    Self* self = Of(user_data);
    StreamData* stream = self->Find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    stream->header_bytes += name_length + value_length + 32;
    if (stream->header_bytes > self->context_.limits.max_header_bytes) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets this stream only
    }
    std::string key(reinterpret_cast<const char*>(name), name_length);
    std::string val(reinterpret_cast<const char*>(value), value_length);
    if (key == ":method") {
      stream->request.method = std::move(val);
    } else if (key == ":path") {
      stream->request.path = std::move(val);
    } else {
      stream->request.headers.emplace_back(std::move(key), std::move(val));
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                         size_t length, void* user_data) {
    Self* self = Of(user_data);
    StreamData* stream = self->Find(id);
    if (stream == nullptr || stream->refused || stream->dispatched) {
      // Dropped. The connection's window reopens at once; the stream's does not (it is gone
      // or being reset, and more of its body would only be read and dropped).
      nghttp2_session_consume_connection(session, length);
      return 0;
    }
    if (stream->request.body.size() + length > self->context_.limits.max_body_bytes) {
      // The budget its body held is given back, and the connection's window; the stream's
      // is not (it is reset once the 413 is out).
      self->DropBody(*stream);
      nghttp2_session_consume_connection(session, length);
      stream->refused = true;
      self->RefuseStream(id, *stream, 413, "The request body is too large.");
      self->ReleaseWithheld();
      return 0;
    }
    stream->request.body.append(reinterpret_cast<const char*>(data), length);
    self->buffered_ += length;
    nghttp2_session_consume_connection(session, length);
    if (self->buffered_ <= BodyBudget(self->context_.limits) || self->IsOldestIncomplete(id)) {
      nghttp2_session_consume_stream(session, id, length);
    } else {
      if (stream->withheld == 0) stream->held_since = std::chrono::steady_clock::now();
      stream->withheld += length;
    }
    return 0;
  }

  // Reopens the window held back from a stream. Its request deadline resumes, moved on by
  // the time it waited for us.
  void GiveWindow(int32_t id, StreamData& stream) {
    if (stream.withheld == 0) return;
    nghttp2_session_consume_stream(session_, id, stream.withheld);
    stream.withheld = 0;
    stream.opened += std::chrono::steady_clock::now() - stream.held_since;
  }

  bool IsOldestIncomplete(int32_t id) const {
    for (const auto& [other, stream] : streams_) {
      if (!stream.dispatched && !stream.refused) return other == id;
    }
    return false;
  }

  // Forgets a request body that will not be dispatched (its stream is refused or gone, so
  // its withheld window no longer matters).
  void DropBody(StreamData& stream) {
    buffered_ -= stream.request.body.size();
    stream.request.body.clear();
    stream.request.body.shrink_to_fit();
    stream.withheld = 0;
  }

  // After the held bytes shrank: reopens the windows of waiting streams, oldest first, as far
  // as the budget allows (the oldest incomplete request always).
  void ReleaseWithheld() {
    bool oldest = true;
    for (auto& [id, stream] : streams_) {
      if (stream.dispatched || stream.refused) continue;
      if (stream.withheld > 0 && (oldest || buffered_ <= BodyBudget(context_.limits))) {
        GiveWindow(id, stream);
      }
      oldest = false;
    }
  }

  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    Self* self = Of(user_data);
    StreamData* stream = self->Find(frame->hd.stream_id);
    if (stream == nullptr || stream->refused || stream->dispatched) return 0;
    self->Dispatch(frame->hd.stream_id, *stream);
    return 0;
  }

  // A refused request (413) is answered before the client has sent all of it: once the
  // answer is out, RST_STREAM(NO_ERROR) tells the client to stop sending (RFC 9113 8.1), so
  // the stream closes instead of waiting for a body nobody reads.
  static int OnFrameSent(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    const StreamData* stream = Of(user_data)->Find(frame->hd.stream_id);
    if (stream != nullptr && stream->refused &&
        nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t id, uint32_t, void* user_data) {
    Self* self = Of(user_data);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    StreamData& stream = it->second;
    const bool complete = stream.end && stream.out.empty();
    for (Pending& pending : stream.out) {
      if (pending.written) self->after_send_.push_back([w = std::move(pending.written)] { w(false); });
    }
    std::shared_ptr<SelfExchange> exchange = stream.exchange.lock();
    if (!stream.dispatched) self->DropBody(stream);  // reset or refused before it was complete
    self->streams_.erase(it);
    self->ReleaseWithheld();
    if (exchange != nullptr && !complete) exchange->Cancel();
    return 0;
  }

  void Dispatch(int32_t id, StreamData& stream) {
    stream.dispatched = true;
    buffered_ -= stream.request.body.size();
    GiveWindow(id, stream);  // the request is complete: all of it has been taken in
    ReleaseWithheld();
    if (!context_.gate->Enter()) {
      return RefuseStream(id, stream, 503, "the broker is shutting down");
    }
    auto exchange =
        std::make_shared<SelfExchange>(this->shared_from_this(), executor(), id, context_.gate);
    stream.exchange = exchange;
    ApiRequest request = std::move(stream.request);
    context_.api->Handle(std::move(request), std::move(exchange));
  }

  void RefuseStream(int32_t id, StreamData& stream, int status, const char* message) {
    const ErrorReply error{status,
                           std::string(status == 503 ? kServiceUnavailable : kSerializationException),
                           message};
    DoRespond(id, status,
              {{"content-type", "application/x-amz-json-1.1"},
               {"x-amzn-errortype", error.error_type}},
              ErrorBody(error, BodyEncoding::kJson));
    (void)stream;
  }

  // --- sending ---------------------------------------------------------------------------

  void Submit(int32_t id, StreamData& stream, int status, const HeaderList& headers) {
    std::vector<nghttp2_nv> nva;
    const std::string status_text = std::to_string(status);
    auto add = [&nva](const std::string& name, const std::string& value) {
      nva.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                               reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                               name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
    };
    static const std::string kStatus = ":status";
    add(kStatus, status_text);
    for (const auto& [name, value] : headers) add(name, value);
    nghttp2_data_provider provider;
    provider.source.ptr = nullptr;
    provider.read_callback = &ReadBody;
    stream.response_submitted = true;
    if (nghttp2_submit_response(session_, id, nva.data(), nva.size(), &provider) != 0) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
    }
    Flush();
  }

  void Resume(int32_t id, StreamData& stream) {
    if (stream.response_submitted && stream.deferred) {
      stream.deferred = false;
      nghttp2_session_resume_data(session_, id);
    }
    Flush();
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t id, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user_data) {
    Self* self = Of(user_data);
    StreamData* stream = self->Find(id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t copied = 0;
    while (copied < length && !stream->out.empty()) {
      Pending& front = stream->out.front();
      const size_t n = std::min(length - copied, front.bytes.size() - stream->offset);
      std::memcpy(buffer + copied, front.bytes.data() + stream->offset, n);
      copied += n;
      stream->offset += n;
      if (stream->offset == front.bytes.size()) {
        if (front.written) self->after_send_.push_back([w = std::move(front.written)] { w(true); });
        stream->out.pop_front();
        stream->offset = 0;
      }
    }
    if (stream->out.empty() && stream->end) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(copied);
    }
    if (copied == 0) {
      stream->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(copied);
  }

  void Flush() {
    if (closed_ || writing_ || receiving_) return;
    write_buffer_.clear();
    while (write_buffer_.size() < kMaxWriteBatch) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return Shutdown();
      if (n == 0) break;
      write_buffer_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    RunAfterSend();
    if (write_buffer_.empty()) {
      if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
        Shutdown();
      }
      return;
    }
    writing_ = true;
    write_timer_.expires_after(std::chrono::milliseconds(context_.limits.write_timeout_millis));
    write_timer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Shutdown();  // the client stopped reading
    });
    net::async_write(stream_, net::buffer(write_buffer_),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       self->write_timer_.cancel();
                       if (ec) return self->Shutdown();
                       self->last_activity_ = std::chrono::steady_clock::now();
                       self->Flush();
                     });
  }

  void RunAfterSend() {
    std::vector<std::function<void()>> callbacks;
    callbacks.swap(after_send_);
    for (auto& callback : callbacks) callback();
  }

  // Closes the connection when it has had no stream and no traffic for the idle timeout, and
  // resets a stream whose request has not arrived whole within it (as HTTP/1.1 cuts a request
  // that takes longer): a client cannot hold streams and their bodies open by trickling.
  // Checked four times per timeout.
  void ArmIdleTimer() {
    const auto timeout = std::chrono::milliseconds(context_.limits.idle_timeout_millis);
    idle_timer_.expires_after(std::max<std::chrono::milliseconds>(timeout / 4,
                                                                  std::chrono::milliseconds(10)));
    idle_timer_.async_wait([weak = this->weak_from_this(), timeout](beast::error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (self == nullptr || self->closed_) return;
      const auto now = std::chrono::steady_clock::now();
      if (self->streams_.empty() && now - self->last_activity_ >= timeout) {
        nghttp2_session_terminate_session(self->session_, NGHTTP2_NO_ERROR);
        self->Flush();
        return self->Shutdown();
      }
      for (auto& [id, stream] : self->streams_) {
        // A stream whose window we hold back waits for us, not for the client.
        if (!stream.dispatched && !stream.refused && stream.withheld == 0 &&
            now - stream.opened >= timeout) {
          stream.refused = true;
          nghttp2_submit_rst_stream(self->session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        }
      }
      self->Flush();
      self->ArmIdleTimer();
    });
  }

  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    write_timer_.cancel();
    for (auto& [id, stream] : streams_) {
      for (Pending& pending : stream.out) {
        if (pending.written) after_send_.push_back([w = std::move(pending.written)] { w(false); });
      }
      stream.out.clear();
      if (auto exchange = stream.exchange.lock()) exchange->Cancel();
      stream.exchange.reset();
    }
    streams_.clear();
    RunAfterSend();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(net::ip::tcp::socket::shutdown_both,
                                                       ignored);
    beast::get_lowest_layer(stream_).close();
  }

  ConnectionCount count_;
  Stream stream_;
  ConnectionContext context_;
  std::string initial_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, StreamData> streams_;
  std::vector<std::function<void()>> after_send_;
  size_t buffered_ = 0;  // body bytes of requests still arriving, all streams
  char read_buffer_[kReadChunk];
  std::string write_buffer_;
  bool writing_ = false;
  bool receiving_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
  net::steady_timer idle_timer_;
  net::steady_timer write_timer_;
};

template <typename Stream>
void Start(Stream stream, std::string initial, const ConnectionContext& context) {
  auto connection =
      std::make_shared<Http2Connection<Stream>>(std::move(stream), std::move(initial), context);
  context.registry->Add(connection);
  connection->Run();
}

}  // namespace

void StartHttp2Connection(beast::tcp_stream stream, std::string initial,
                          const ConnectionContext& context) {
  Start(std::move(stream), std::move(initial), context);
}

void StartHttp2Connection(beast::ssl_stream<beast::tcp_stream> stream, std::string initial,
                          const ConnectionContext& context) {
  Start(std::move(stream), std::move(initial), context);
}

}  // namespace eddy::broker::http
