#include "client/curl_transfer.h"

namespace eddy::client {
namespace {

// The longest wait for the socket when nothing arrived; libcurl's own timers (timeouts,
// retries) shorten it.
constexpr int kIdleWaitMillis = 1000;

curl_off_t Downloaded(CURL* easy) {
  curl_off_t bytes = 0;
  curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
  return bytes;
}

}  // namespace

CurlTransfer::CurlTransfer() : multi_(curl_multi_init()) {}

CurlTransfer::~CurlTransfer() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

CURLcode CurlTransfer::Perform(CURL* easy, const std::function<bool()>& cancelled) {
  if (multi_ == nullptr || curl_multi_add_handle(multi_, easy) != CURLM_OK) {
    return CURLE_FAILED_INIT;
  }
  CURLcode result = CURLE_OK;
  for (;;) {
    const curl_off_t before = Downloaded(easy);
    int running = 0;
    if (curl_multi_perform(multi_, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    bool done = false;
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
        result = message->data.result;
        done = true;
      }
    }
    if (done) break;
    if (cancelled && cancelled()) {
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    // Bytes came: more may be parked inside libcurl, perform again without waiting.
    const int wait = Downloaded(easy) != before ? 0 : kIdleWaitMillis;
    if (curl_multi_poll(multi_, nullptr, 0, wait, nullptr) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    if (cancelled && cancelled()) {
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
  }
  curl_multi_remove_handle(multi_, easy);
  return result;
}

void CurlTransfer::Wakeup() {
  if (multi_ != nullptr) curl_multi_wakeup(multi_);
}

}  // namespace eddy::client
