#pragma once
// Exchange: one HTTP request and its response, as a front-end connection (HTTP/1.1 or
// HTTP/2, plain or TLS) hands it to the Kinesis API — so the API code never sees a
// transport, and each transport implements these few calls.
//
// A response is either whole (Respond) or streamed (BeginStream, Write…, EndStream).
// Writes go out in order; a streaming caller that wants back-pressure waits for one's
// `written` before producing the next. EndStream ends after every queued write.
// Every method may be called from any thread, at most one at a time; the connection
// serializes them onto its own executor. After the client has gone, calls are ignored and
// `written` reports false.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace eddy::broker::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ApiRequest {
  std::string method;  // "POST"
  std::string path;    // "/"
  HeaderList headers;  // names lower-case, as received
  std::string body;

  // The first value of header `name` (lower-case), or "".
  const std::string& Header(const std::string& name) const {
    static const std::string kNone;
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return kNone;
  }
};

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual void Respond(int status, HeaderList headers, std::string body) = 0;

  virtual void BeginStream(int status, HeaderList headers) = 0;
  // `written(true)` once the bytes have left for the client (flow control permitting),
  // `written(false)` if the client is gone.
  virtual void Write(std::string bytes, std::function<void(bool ok)> written) = 0;
  virtual void EndStream() = 0;

  // `on_cancel` runs once if the client goes away before the response ended (possibly
  // at once, if it already has). Set before BeginStream.
  virtual void OnCancel(std::function<void()> on_cancel) = 0;
};

}  // namespace eddy::broker::http
