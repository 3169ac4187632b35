#pragma once
// CoordinatorServiceImpl: the gRPC face of the broker's lease::CoordinatorStore — lease
// tables and fenced checkpoints for workers in other processes and hosts. Each method
// converts the request, calls the store, converts the answer; nothing else.

#include "broker/call_gate.h"
#include "broker/session_reactor.h"
#include "eddy/v1/coordinator.grpc.pb.h"
#include "lease/coordinator_store.h"

namespace eddy::broker {

class CoordinatorServiceImpl final : public v1::CoordinatorService::CallbackService {
 public:
  // `store` and `gate` must outlive the service.
  CoordinatorServiceImpl(lease::CoordinatorStore& store, CallGate& gate)
      : store_(store), gate_(gate) {}

  // From now on, sessions ending are the broker's doing: their workers keep their leases.
  void BeginShutdown() { stopping_ = true; }

  using Reactor = grpc::ServerUnaryReactor;
  using Context = grpc::CallbackServerContext;

  Reactor* CreateApplication(Context* c, const v1::ApplicationRequest* q,
                             v1::ConditionalResponse* r) override;
  Reactor* DeleteApplication(Context* c, const v1::ApplicationRequest* q,
                             v1::ConditionalResponse* r) override;
  Reactor* ListApplications(Context* c, const v1::ListApplicationsRequest* q,
                            v1::ListApplicationsResponse* r) override;
  Reactor* CreateLease(Context* c, const v1::CreateLeaseRequest* q,
                       v1::ConditionalResponse* r) override;
  Reactor* GetLease(Context* c, const v1::LeaseKeyRequest* q, v1::GetLeaseResponse* r) override;
  Reactor* ListLeases(Context* c, const v1::ApplicationRequest* q,
                      v1::ListLeasesResponse* r) override;
  Reactor* TakeLease(Context* c, const v1::TakeLeaseRequest* q,
                     v1::ConditionalResponse* r) override;
  Reactor* RenewLease(Context* c, const v1::RenewLeaseRequest* q,
                      v1::ConditionalResponse* r) override;
  Reactor* EvictLease(Context* c, const v1::EvictLeaseRequest* q,
                      v1::ConditionalResponse* r) override;
  Reactor* UpdateLeaseLineage(Context* c, const v1::UpdateLeaseLineageRequest* q,
                              v1::ConditionalResponse* r) override;
  Reactor* RequestLeaseHandoff(Context* c, const v1::RequestLeaseHandoffRequest* q,
                               v1::ConditionalResponse* r) override;
  Reactor* DeleteLease(Context* c, const v1::LeaseKeyRequest* q,
                       v1::ConditionalResponse* r) override;
  Reactor* ReadCheckpoint(Context* c, const v1::LeaseKeyRequest* q,
                          v1::ReadCheckpointResponse* r) override;
  Reactor* SaveCheckpoint(Context* c, const v1::SaveCheckpointRequest* q,
                          v1::ConditionalResponse* r) override;
  Reactor* PrepareCheckpoint(Context* c, const v1::SaveCheckpointRequest* q,
                             v1::ConditionalResponse* r) override;
  Reactor* CommitCheckpoint(Context* c, const v1::CommitCheckpointRequest* q,
                            v1::ConditionalResponse* r) override;
  grpc::ServerWriteReactor<v1::SessionEvent>* OpenSession(Context* c,
                                                          const v1::OpenSessionRequest* q) override;

 private:
  // Runs `call` if the gate admits it, then finishes the RPC with its status.
  Reactor* Serve(Context* context, const std::function<absl::Status()>& call);

  lease::CoordinatorStore& store_;
  CallGate& gate_;
  SessionRegistry sessions_;
  std::atomic<bool> stopping_{false};
};

}  // namespace eddy::broker
