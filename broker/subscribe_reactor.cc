#include "broker/subscribe_reactor.h"

#include "broker/event_encoder.h"
#include "proto/grpc_status.h"

namespace eddy::broker {

SubscribeReactor::SubscribeReactor(grpc::CallbackServerContext* context, StreamBroker& broker,
                                   const v1::SubscribeToShardRequest& request,
                                   std::function<void()> on_done)
    : context_(context), on_done_(std::move(on_done)) {
  SubscribeParams params;
  params.consumer_arn = request.consumer_arn();
  params.shard_id = request.shard_id();
  params.type = static_cast<IteratorType>(request.starting_position().type());
  params.starting_sequence_number = request.starting_position().sequence_number();
  params.timestamp_millis = request.starting_position().timestamp_millis();
  absl::StatusOr<std::shared_ptr<Subscription>> subscription = broker.SubscribeToShard(params);
  if (!subscription.ok()) {
    Finish(subscription.status());
    return;
  }
  subscription_ = std::move(*subscription);
  subscription_->Attach(this);
}

void SubscribeReactor::Send(SubscriptionEvent event) {
  event_ = EncodeEvent(event);
  StartWrite(&event_);
}

void SubscribeReactor::Finish(const absl::Status& status) {
  grpc::ServerWriteReactor<grpc::ByteBuffer>::Finish(proto::ToGrpcStatus(status, context_));
}

void SubscribeReactor::OnWriteDone(bool ok) {
  if (subscription_ != nullptr) subscription_->OnSent(ok);
}

void SubscribeReactor::OnCancel() {
  if (subscription_ != nullptr) {
    subscription_->End(absl::CancelledError("the subscriber cancelled"));
  }
}

void SubscribeReactor::OnDone() {
  subscription_.reset();
  if (on_done_) on_done_();
  delete this;
}

SubscribeRefusal::SubscribeRefusal(grpc::CallbackServerContext* context,
                                   const absl::Status& status) {
  Finish(proto::ToGrpcStatus(status, context));
}

}  // namespace eddy::broker
