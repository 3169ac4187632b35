#pragma once
// SubscribeStream: one SubscribeToShard session on the Kinesis HTTP API — the core's
// Subscription (push, within its budget) written out as AWS's event stream:
//
//   initial-response {}  ──►  SubscribeToShardEvent …  ──►  end of stream
//                                                     └──►  exception message, end
//
// The `initial-response` goes first and at once (SDKs resolve the call on it); only once
// it is written is the Subscription attached, so events follow it in order. One event is
// in flight at a time: the next is produced only when the transport reports the previous
// one written, so a slow reader holds one event and stalls only its own stream.
//
// Owns itself from Start until the Subscription finishes it.

#include <memory>

#include "absl/synchronization/mutex.h"
#include "broker/http/document.h"
#include "broker/http/exchange.h"
#include "broker/subscription.h"

namespace eddy::broker::http {

class SubscribeStream : public EventSink, public std::enable_shared_from_this<SubscribeStream> {
 public:
  // Begins the response on `exchange` and runs `subscription` until it ends.
  static void Start(std::shared_ptr<Subscription> subscription, std::shared_ptr<Exchange> exchange,
                    BodyEncoding encoding, std::string request_id);

  void Send(SubscriptionEvent event) override;
  void Finish(const absl::Status& status) override;

 private:
  SubscribeStream(std::shared_ptr<Subscription> subscription, std::shared_ptr<Exchange> exchange,
                  BodyEncoding encoding)
      : subscription_(std::move(subscription)), exchange_(std::move(exchange)), encoding_(encoding) {}

  const std::shared_ptr<Subscription> subscription_;
  const std::shared_ptr<Exchange> exchange_;
  const BodyEncoding encoding_;
  absl::Mutex mu_;
  std::shared_ptr<SubscribeStream> self_ ABSL_GUARDED_BY(mu_);  // alive until Finish
};

// The payload of one SubscribeToShardEvent in `encoding` (JSON written directly, CBOR
// through SubscribeEventDocument).
std::string EncodeSubscribeEvent(const SubscriptionEvent& event, BodyEncoding encoding);
// The same event as a Document: what the direct JSON writer must match byte for byte.
Document SubscribeEventDocument(const SubscriptionEvent& event, BodyEncoding encoding);

}  // namespace eddy::broker::http
