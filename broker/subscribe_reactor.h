#pragma once
// SubscribeReactor: the gRPC server stream of one SubscribeToShard call, and the EventSink
// of its Subscription. It encodes events to wire bytes (event_encoder.h — the method is
// served raw, so record data is never copied into a message) and nothing else; it owns
// itself and deletes itself in OnDone, after gRPC is finished with it.

#include <grpcpp/grpcpp.h>

#include <memory>

#include "broker/stream_broker.h"
#include "broker/subscription.h"
#include "eddy/v1/stream.pb.h"

namespace eddy::broker {

class SubscribeReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer>, public EventSink {
 public:
  // Starts the subscription, or finishes the call at once with the reason it cannot.
  // `on_done` runs when gRPC is done with the call (the service counts calls in flight).
  SubscribeReactor(grpc::CallbackServerContext* context, StreamBroker& broker,
                   const v1::SubscribeToShardRequest& request, std::function<void()> on_done);

  // EventSink.
  void Send(SubscriptionEvent event) override;
  void Finish(const absl::Status& status) override;

  // grpc::ServerWriteReactor.
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  grpc::CallbackServerContext* const context_;
  std::function<void()> on_done_;
  std::shared_ptr<Subscription> subscription_;
  grpc::ByteBuffer event_;  // the event being written; valid until OnWriteDone
};

// The stream of a SubscribeToShard call refused before it started (the broker is stopping).
class SubscribeRefusal final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  SubscribeRefusal(grpc::CallbackServerContext* context, const absl::Status& status);
  void OnDone() override { delete this; }
};

}  // namespace eddy::broker
