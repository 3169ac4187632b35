#pragma once
// One libcurl transfer run to its end through a multi handle of its own, in place of
// curl_easy_perform.
//
// Why: Debian's libcurl (7.88) parks the part of an HTTP/2 DATA frame that does not fit
// the transfer's buffer and hands it over only at the next perform — which
// curl_easy_perform runs when the socket turns readable again or after a second. At the end
// of a burst nothing more arrives, so the last bytes of a SubscribeToShard event (or of a
// GetRecords answer) waited a whole second: eddy-kcl-bench saw 1001 ms gaps inside events
// and HTTP/2 backlog throughput at 120 instead of 300 MB/s in about half its runs. Here a
// perform that delivered bytes is followed at once by another, so parked bytes go out as
// soon as they are in.
//
// The multi handle keeps the connection cache: run the same easy handle through the same
// CurlTransfer to reuse its kept-alive connection. One thread at a time per CurlTransfer;
// Wakeup() from any thread.

#include <curl/curl.h>

#include <functional>

namespace eddy::client {

class CurlTransfer {
 public:
  CurlTransfer();
  ~CurlTransfer();
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  // Runs `easy` until it ends, or until `cancelled` (checked after every wait; may be
  // empty) says so — then CURLE_ABORTED_BY_CALLBACK. The transfer's result code.
  CURLcode Perform(CURL* easy, const std::function<bool()>& cancelled = {});

  // Ends a Perform's wait on the socket at once (after a cancel: no poll timeout to sit out).
  void Wakeup();

 private:
  CURLM* multi_;
};

}  // namespace eddy::client
