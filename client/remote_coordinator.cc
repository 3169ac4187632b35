#include "client/remote_coordinator.h"

#include "client/channel.h"
#include "client/lease_wire.h"

namespace eddy::client {
namespace {

using Stub = v1::CoordinatorService::Stub;

// One call of the coordinator stub with the client's deadline.
template <typename Response, typename Request, typename Method>
absl::StatusOr<Response> Call(CoordinatorClient& client, Method method, const Request& request) {
  return UnaryCall<Stub, Method, Request, Response>(client.stub(), method, request,
                                                    client.timeout());
}

absl::StatusOr<bool> Won(const absl::StatusOr<v1::ConditionalResponse>& response) {
  if (!response.ok()) return response.status();
  return response->won();
}

v1::Ownership OwnershipToWire(const checkpoint::Ownership& ownership) {
  v1::Ownership out;
  out.set_owner(ownership.owner);
  out.set_epoch(ownership.epoch);
  return out;
}

}  // namespace

CoordinatorClient::CoordinatorClient(const StreamClientOptions& options)
    : timeout_(options.timeout),
      stub_(v1::CoordinatorService::NewStub(MakeChannel(NormalizeEndpoint(options.endpoint)))) {}

absl::StatusOr<bool> CoordinatorClient::CreateApplication(const std::string& application) {
  v1::ApplicationRequest request;
  request.set_application(application);
  return Won(Call<v1::ConditionalResponse>(*this, &Stub::CreateApplication, request));
}

absl::StatusOr<bool> CoordinatorClient::DeleteApplication(const std::string& application) {
  v1::ApplicationRequest request;
  request.set_application(application);
  return Won(Call<v1::ConditionalResponse>(*this, &Stub::DeleteApplication, request));
}

absl::StatusOr<std::vector<std::string>> CoordinatorClient::ListApplications() {
  auto response = Call<v1::ListApplicationsResponse>(*this, &Stub::ListApplications,
                                                     v1::ListApplicationsRequest());
  if (!response.ok()) return response.status();
  return std::vector<std::string>(response->applications().begin(),
                                  response->applications().end());
}

namespace {

class GrpcWorkerSession final : public WorkerSession {
 public:
  GrpcWorkerSession(v1::CoordinatorService::Stub& stub, const v1::OpenSessionRequest& request,
                    absl::Duration deadline) {
    if (deadline != absl::InfiniteDuration()) {
      context_.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    }
    reader_ = stub.OpenSession(&context_, request);
  }

  bool Next(Event* event) override {
    v1::SessionEvent wire;
    if (!reader_->Read(&wire)) return false;
    event->leases_available = wire.leases_available();
    return true;
  }
  absl::Status Finish() override { return proto::FromGrpcStatus(reader_->Finish(), context_); }
  void Cancel() override { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::SessionEvent>> reader_;
};

}  // namespace

std::unique_ptr<WorkerSession> CoordinatorClient::OpenSession(const std::string& application,
                                                              const std::string& worker,
                                                              absl::Duration deadline) {
  v1::OpenSessionRequest request;
  request.set_application(application);
  request.set_worker_id(worker);
  return std::make_unique<GrpcWorkerSession>(*stub_, request, deadline);
}

RemoteLeaseTable::RemoteLeaseTable(std::shared_ptr<CoordinatorClient> client,
                                   std::string application)
    : client_(std::move(client)), application_(std::move(application)) {}

absl::StatusOr<bool> RemoteLeaseTable::CreateIfAbsent(const lease::Lease& lease) {
  v1::CreateLeaseRequest request;
  request.set_application(application_);
  *request.mutable_lease() = LeaseToWire(lease);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::CreateLease, request));
}

absl::StatusOr<std::optional<lease::Lease>> RemoteLeaseTable::Get(const std::string& key) {
  v1::LeaseKeyRequest request;
  request.set_application(application_);
  request.set_key(key);
  auto response = Call<v1::GetLeaseResponse>(*client_, &Stub::GetLease, request);
  if (!response.ok()) return response.status();
  if (!response->found()) return std::optional<lease::Lease>();
  absl::StatusOr<lease::Lease> lease = LeaseFromWire(response->lease());
  if (!lease.ok()) return lease.status();
  return std::optional<lease::Lease>(std::move(*lease));
}

absl::StatusOr<std::vector<lease::Lease>> RemoteLeaseTable::List() {
  v1::ApplicationRequest request;
  request.set_application(application_);
  auto response = Call<v1::ListLeasesResponse>(*client_, &Stub::ListLeases, request);
  if (!response.ok()) return response.status();
  std::vector<lease::Lease> leases;
  for (const v1::LeaseRecord& record : response->leases()) {
    absl::StatusOr<lease::Lease> lease = LeaseFromWire(record);
    if (!lease.ok()) return lease.status();
    leases.push_back(std::move(*lease));
  }
  return leases;
}

absl::StatusOr<bool> RemoteLeaseTable::Take(const std::string& key, uint64_t expected_counter,
                                            const std::string& new_owner) {
  v1::TakeLeaseRequest request;
  request.set_application(application_);
  request.set_key(key);
  request.set_expected_counter(expected_counter);
  request.set_new_owner(new_owner);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::TakeLease, request));
}

absl::StatusOr<bool> RemoteLeaseTable::Renew(const std::string& key,
                                             const std::string& expected_owner,
                                             uint64_t expected_counter) {
  v1::RenewLeaseRequest request;
  request.set_application(application_);
  request.set_key(key);
  request.set_expected_owner(expected_owner);
  request.set_expected_counter(expected_counter);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::RenewLease, request));
}

absl::StatusOr<bool> RemoteLeaseTable::Evict(const std::string& key,
                                             const std::string& expected_owner) {
  v1::EvictLeaseRequest request;
  request.set_application(application_);
  request.set_key(key);
  request.set_expected_owner(expected_owner);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::EvictLease, request));
}

absl::StatusOr<bool> RemoteLeaseTable::UpdateLineage(const std::string& key,
                                                     const std::string& expected_owner,
                                                     const std::vector<std::string>& children) {
  v1::UpdateLeaseLineageRequest request;
  request.set_application(application_);
  request.set_key(key);
  request.set_expected_owner(expected_owner);
  for (const std::string& child : children) request.add_child_shard_ids(child);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::UpdateLeaseLineage, request));
}

absl::StatusOr<bool> RemoteLeaseTable::RequestHandoff(const std::string& key,
                                                      const std::string& expected_owner,
                                                      const std::string& requester) {
  v1::RequestLeaseHandoffRequest request;
  request.set_application(application_);
  request.set_key(key);
  request.set_expected_owner(expected_owner);
  request.set_requester(requester);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::RequestLeaseHandoff, request));
}

absl::StatusOr<bool> RemoteLeaseTable::Delete(const std::string& key) {
  v1::LeaseKeyRequest request;
  request.set_application(application_);
  request.set_key(key);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::DeleteLease, request));
}

RemoteCheckpointStore::RemoteCheckpointStore(std::shared_ptr<CoordinatorClient> client,
                                             std::string application)
    : client_(std::move(client)), application_(std::move(application)) {}

absl::StatusOr<checkpoint::CheckpointRecord> RemoteCheckpointStore::Read(
    const std::string& shard_id) {
  v1::LeaseKeyRequest request;
  request.set_application(application_);
  request.set_key(shard_id);
  auto response = Call<v1::ReadCheckpointResponse>(*client_, &Stub::ReadCheckpoint, request);
  if (!response.ok()) return response.status();
  checkpoint::CheckpointRecord record;
  absl::StatusOr<checkpoint::ExtendedSequenceNumber> position =
      checkpoint::ExtendedSequenceNumber::Parse(response->checkpoint());
  if (!position.ok()) return position.status();
  record.checkpoint = *position;
  record.state = response->state();
  if (response->has_pending()) {
    absl::StatusOr<checkpoint::ExtendedSequenceNumber> pending =
        checkpoint::ExtendedSequenceNumber::Parse(response->pending());
    if (!pending.ok()) return pending.status();
    record.pending = *pending;
    record.pending_state = response->pending_state();
  }
  return record;
}

absl::StatusOr<bool> RemoteCheckpointStore::Save(const std::string& shard_id,
                                                 const checkpoint::Ownership& ownership,
                                                 const checkpoint::ExtendedSequenceNumber& value,
                                                 const std::string& state) {
  v1::SaveCheckpointRequest request;
  request.set_application(application_);
  request.set_key(shard_id);
  *request.mutable_ownership() = OwnershipToWire(ownership);
  request.set_checkpoint(value.ToString());
  request.set_state(state);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::SaveCheckpoint, request));
}

absl::StatusOr<bool> RemoteCheckpointStore::Prepare(
    const std::string& shard_id, const checkpoint::Ownership& ownership,
    const checkpoint::ExtendedSequenceNumber& pending, const std::string& state) {
  v1::SaveCheckpointRequest request;
  request.set_application(application_);
  request.set_key(shard_id);
  *request.mutable_ownership() = OwnershipToWire(ownership);
  request.set_checkpoint(pending.ToString());
  request.set_state(state);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::PrepareCheckpoint, request));
}

absl::StatusOr<bool> RemoteCheckpointStore::Commit(const std::string& shard_id,
                                                   const checkpoint::Ownership& ownership) {
  v1::CommitCheckpointRequest request;
  request.set_application(application_);
  request.set_key(shard_id);
  *request.mutable_ownership() = OwnershipToWire(ownership);
  return Won(Call<v1::ConditionalResponse>(*client_, &Stub::CommitCheckpoint, request));
}

}  // namespace eddy::client
