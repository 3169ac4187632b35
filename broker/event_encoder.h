#pragma once
// EventEncoder: a SubscriptionEvent straight to the wire bytes of a
// v1::SubscribeToShardEvent, without building the protobuf message. Record data is not
// copied: each record's bytes go out as a slice that keeps the shared record alive until
// gRPC has sent it. (Building the message copied every record twice — into the message and
// then into gRPC's buffer — which with sequence-number formatting was most of the broker's
// CPU in fan-out.) The bytes parse as the same message the typed path produced.

#include <grpcpp/support/byte_buffer.h>

#include "broker/subscription.h"

namespace eddy::broker {

grpc::ByteBuffer EncodeEvent(const SubscriptionEvent& event);

}  // namespace eddy::broker
