#pragma once
// KinesisApi: the Kinesis Data Streams API as AWS serves it over HTTP — `POST /` with
// `X-Amz-Target: Kinesis_20131202.<Action>`, JSON 1.1 or CBOR 1.1 bodies answered in
// the same encoding, AWS's errors, SubscribeToShard as an event stream — on top of the
// StreamBroker core. Transport-free: the HTTP/1.1 and HTTP/2 connections hand it an
// ApiRequest and an Exchange (exchange.h) and it answers on the Exchange.
//
// Thread-safe; holds no per-request state of its own. The broker must outlive it and
// every Exchange it was handed (subscriptions keep running until their stream ends).

#include <memory>

#include "broker/http/exchange.h"
#include "broker/stream_broker.h"

namespace eddy::broker::http {

class KinesisApi {
 public:
  explicit KinesisApi(StreamBroker& broker) : broker_(broker) {}

  void Handle(ApiRequest request, std::shared_ptr<Exchange> exchange);

 private:
  StreamBroker& broker_;
};

// "x-amzn-RequestId" values: unique per process, shaped like AWS's (a UUID).
std::string NewRequestId();

}  // namespace eddy::broker::http
