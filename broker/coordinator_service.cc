#include "broker/coordinator_service.h"

#include "client/lease_wire.h"
#include "proto/grpc_status.h"

namespace eddy::broker {
namespace {

using checkpoint::ExtendedSequenceNumber;

// Stores a conditional answer in the response.
absl::Status Answer(const absl::StatusOr<bool>& won, v1::ConditionalResponse* response) {
  if (won.ok()) response->set_won(*won);
  return won.status();
}

checkpoint::Ownership OwnershipOf(const v1::Ownership& ownership) {
  return checkpoint::Ownership{ownership.owner(), ownership.epoch()};
}

}  // namespace

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::Serve(
    Context* context, const std::function<absl::Status()>& call) {
  Reactor* reactor = context->DefaultReactor();
  if (!gate_.Enter()) {
    reactor->Finish(
        proto::ToGrpcStatus(absl::UnavailableError("the broker is shutting down"), context));
    return reactor;
  }
  reactor->Finish(proto::ToGrpcStatus(call(), context));
  gate_.Leave();
  return reactor;
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::CreateApplication(
    Context* c, const v1::ApplicationRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] { return Answer(store_.CreateApplication(q->application()), r); });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::DeleteApplication(
    Context* c, const v1::ApplicationRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] { return Answer(store_.DeleteApplication(q->application()), r); });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::ListApplications(
    Context* c, const v1::ListApplicationsRequest*, v1::ListApplicationsResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<std::vector<std::string>> apps = store_.ListApplications();
    if (!apps.ok()) return apps.status();
    for (const std::string& app : *apps) r->add_applications(app);
    return absl::OkStatus();
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::CreateLease(
    Context* c, const v1::CreateLeaseRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<lease::Lease> lease = client::LeaseFromWire(q->lease());
    if (!lease.ok()) return lease.status();
    absl::StatusOr<bool> won = store_.CreateIfAbsent(q->application(), *lease);
    if (won.ok() && *won) sessions_.NotifyLeasesAvailable(q->application());
    return Answer(won, r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::GetLease(Context* c,
                                                                  const v1::LeaseKeyRequest* q,
                                                                  v1::GetLeaseResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<std::optional<lease::Lease>> lease = store_.Get(q->application(), q->key());
    if (!lease.ok()) return lease.status();
    r->set_found(lease->has_value());
    if (lease->has_value()) *r->mutable_lease() = client::LeaseToWire(**lease);
    return absl::OkStatus();
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::ListLeases(Context* c,
                                                                    const v1::ApplicationRequest* q,
                                                                    v1::ListLeasesResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<std::vector<lease::Lease>> leases = store_.List(q->application());
    if (!leases.ok()) return leases.status();
    for (const lease::Lease& lease : *leases) *r->add_leases() = client::LeaseToWire(lease);
    return absl::OkStatus();
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::TakeLease(Context* c,
                                                                   const v1::TakeLeaseRequest* q,
                                                                   v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    return Answer(store_.Take(q->application(), q->key(), q->expected_counter(), q->new_owner()),
                  r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::RenewLease(Context* c,
                                                                    const v1::RenewLeaseRequest* q,
                                                                    v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    return Answer(
        store_.Renew(q->application(), q->key(), q->expected_owner(), q->expected_counter()), r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::EvictLease(Context* c,
                                                                    const v1::EvictLeaseRequest* q,
                                                                    v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<bool> won = store_.Evict(q->application(), q->key(), q->expected_owner());
    if (won.ok() && *won) sessions_.NotifyLeasesAvailable(q->application());
    return Answer(won, r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::UpdateLeaseLineage(
    Context* c, const v1::UpdateLeaseLineageRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    std::vector<std::string> children(q->child_shard_ids().begin(), q->child_shard_ids().end());
    return Answer(store_.UpdateLineage(q->application(), q->key(), q->expected_owner(), children),
                  r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::RequestLeaseHandoff(
    Context* c, const v1::RequestLeaseHandoffRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    return Answer(
        store_.RequestHandoff(q->application(), q->key(), q->expected_owner(), q->requester()), r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::DeleteLease(Context* c,
                                                                     const v1::LeaseKeyRequest* q,
                                                                     v1::ConditionalResponse* r) {
  return Serve(c, [&] { return Answer(store_.Delete(q->application(), q->key()), r); });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::ReadCheckpoint(
    Context* c, const v1::LeaseKeyRequest* q, v1::ReadCheckpointResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<checkpoint::CheckpointRecord> record =
        store_.ReadCheckpoint(q->application(), q->key());
    if (!record.ok()) return record.status();
    r->set_checkpoint(record->checkpoint.ToString());
    r->set_state(record->state);
    r->set_has_pending(record->pending.has_value());
    if (record->pending) r->set_pending(record->pending->ToString());
    r->set_pending_state(record->pending_state);
    return absl::OkStatus();
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::SaveCheckpoint(
    Context* c, const v1::SaveCheckpointRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<ExtendedSequenceNumber> value = ExtendedSequenceNumber::Parse(q->checkpoint());
    if (!value.ok()) return value.status();
    return Answer(store_.SaveCheckpoint(q->application(), q->key(), OwnershipOf(q->ownership()),
                                        *value, q->state()),
                  r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::PrepareCheckpoint(
    Context* c, const v1::SaveCheckpointRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    absl::StatusOr<ExtendedSequenceNumber> value = ExtendedSequenceNumber::Parse(q->checkpoint());
    if (!value.ok()) return value.status();
    return Answer(store_.PrepareCheckpoint(q->application(), q->key(), OwnershipOf(q->ownership()),
                                           *value, q->state()),
                  r);
  });
}

CoordinatorServiceImpl::Reactor* CoordinatorServiceImpl::CommitCheckpoint(
    Context* c, const v1::CommitCheckpointRequest* q, v1::ConditionalResponse* r) {
  return Serve(c, [&] {
    return Answer(store_.CommitCheckpoint(q->application(), q->key(), OwnershipOf(q->ownership())),
                  r);
  });
}

grpc::ServerWriteReactor<v1::SessionEvent>* CoordinatorServiceImpl::OpenSession(
    Context* c, const v1::OpenSessionRequest* q) {
  (void)c;
  // Sessions are not counted by the gate: they last as long as their worker, and shutting
  // the server down cancels them (which must not free leases: see SessionReactor::OnCancel).
  return new SessionReactor(*q, store_, sessions_, stopping_);
}

}  // namespace eddy::broker
