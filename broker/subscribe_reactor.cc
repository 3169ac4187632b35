#include "broker/subscribe_reactor.h"

#include "broker/sequence_number.h"
#include "common/hash_key.h"
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
  event_.Clear();
  for (const SharedRecord& record : event.records) {
    v1::Record* out = event_.add_records();
    out->set_sequence_number(
        FormatSequenceNumber(SequenceNumber{event.stream_tag, event.shard_index, record->counter}));
    out->set_approximate_arrival_timestamp_millis(MillisOfCounter(record->counter));
    out->set_data(record->data);
    out->set_partition_key(record->partition_key);
    out->set_encryption_type("NONE");
  }
  if (event.continuation_counter != 0) {
    event_.set_continuation_sequence_number(FormatSequenceNumber(
        SequenceNumber{event.stream_tag, event.shard_index, event.continuation_counter}));
  }
  event_.set_millis_behind_latest(event.millis_behind_latest);
  for (const ChildShardInfo& child : event.child_shards) {
    v1::ChildShard* out = event_.add_child_shards();
    out->set_shard_id(child.shard_id);
    for (const std::string& parent : child.parent_shards) out->add_parent_shards(parent);
    out->mutable_hash_key_range()->set_starting_hash_key(common::FormatUint128(child.hash_range.start));
    out->mutable_hash_key_range()->set_ending_hash_key(common::FormatUint128(child.hash_range.end));
  }
  StartWrite(&event_);
}

void SubscribeReactor::Finish(const absl::Status& status) {
  grpc::ServerWriteReactor<v1::SubscribeToShardEvent>::Finish(
      proto::ToGrpcStatus(status, context_));
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

SubscribeRefusal::SubscribeRefusal(grpc::CallbackServerContext* context) {
  Finish(proto::ToGrpcStatus(absl::UnavailableError("the broker is shutting down"), context));
}

}  // namespace eddy::broker
