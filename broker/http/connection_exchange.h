#pragma once
// ConnectionExchange: the Exchange a connection hands the API for one request. It may be
// called from any thread; each call is posted to the connection's executor and forwarded
// there with the request's key (an HTTP/2 stream id, or an HTTP/1.1 request number), so a
// connection's state is only ever touched by its own strand. A Connection provides
// executor_type, executor(), DoRespond, DoBeginStream, DoWrite and DoEndStream. Once the connection is gone
// calls are dropped and writes report false.
//
// Holds the broker's CallGate for as long as the exchange lives: shutdown waits for the
// requests in flight.

#include <memory>

#include <boost/asio/post.hpp>

#include "absl/synchronization/mutex.h"
#include "broker/call_gate.h"
#include "broker/http/exchange.h"

namespace eddy::broker::http {

template <typename Connection, typename Key>
class ConnectionExchange : public Exchange {
 public:
  ConnectionExchange(std::shared_ptr<Connection> connection, typename Connection::executor_type executor,
                     Key key, CallGate* gate)
      : connection_(std::move(connection)), executor_(executor), key_(key), gate_(gate) {}
  ~ConnectionExchange() override {
    if (gate_ != nullptr) gate_->Leave();
  }

  void Respond(int status, HeaderList headers, std::string body) override {
    Post([status, headers = std::move(headers), body = std::move(body)](Connection& c, Key key) mutable {
      c.DoRespond(key, status, std::move(headers), std::move(body));
    });
  }
  void BeginStream(int status, HeaderList headers) override {
    Post([status, headers = std::move(headers)](Connection& c, Key key) mutable {
      c.DoBeginStream(key, status, std::move(headers));
    });
  }
  void Write(std::string bytes, std::function<void(bool)> written) override {
    boost::asio::post(executor_, [connection = connection_, key = key_, bytes = std::move(bytes),
                                  written = std::move(written)]() mutable {
      connection->DoWrite(key, std::move(bytes), std::move(written));
    });
  }
  void EndStream() override {
    Post([](Connection& c, Key key) { c.DoEndStream(key); });
  }

  void OnCancel(std::function<void()> on_cancel) override {
    {
      absl::MutexLock lock(&mu_);
      if (!cancelled_) {
        on_cancel_ = std::move(on_cancel);
        return;
      }
    }
    on_cancel();
  }
  // The client went away before the response ended (called by the connection).
  void Cancel() {
    std::function<void()> on_cancel;
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return;
      cancelled_ = true;
      on_cancel = std::move(on_cancel_);
    }
    if (on_cancel) on_cancel();
  }

 private:
  template <typename F>
  void Post(F f) {
    boost::asio::post(executor_, [connection = connection_, key = key_, f = std::move(f)]() mutable {
      f(*connection, key);
    });
  }

  // Strong: a connection lives at least as long as a request it has not answered (the
  // connection itself keeps only a weak reference to its exchanges).
  const std::shared_ptr<Connection> connection_;
  const typename Connection::executor_type executor_;
  const Key key_;
  CallGate* const gate_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> on_cancel_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eddy::broker::http
