#pragma once
// Clients of the broker's CoordinatorService: a typed CoordinatorClient, and the
// LeaseTable and CheckpointStore backends that workers in other processes and hosts use.
// They behave exactly as the embedded lease::CoordinatorStore (one conformance suite
// checks both). Thread-safe; share one CoordinatorClient among many views.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checkpoint/checkpoint_store.h"
#include "client/stream_client.h"
#include "eddy/v1/coordinator.grpc.pb.h"
#include "lease/lease_table.h"

namespace eddy::client {

// A worker's session with the coordinator (see coordinator.proto): while it is open the
// coordinator counts the worker alive; when it breaks, the worker's leases are freed at
// once. Next() from one thread; Cancel() from any.
class WorkerSession {
 public:
  virtual ~WorkerSession() = default;
  struct Event {
    // Leases of the application just became free or were created: look for work now.
    int leases_available = 0;
  };
  // Blocks for the next event: the first once the session is live, then one whenever
  // leases are announced. False once the session has ended (Finish says why).
  virtual bool Next(Event* event) = 0;
  virtual absl::Status Finish() = 0;
  // Ends the session from this side.
  virtual void Cancel() = 0;
};

class CoordinatorClient {
 public:
  explicit CoordinatorClient(const StreamClientOptions& options);

  absl::StatusOr<bool> CreateApplication(const std::string& application);
  absl::StatusOr<bool> DeleteApplication(const std::string& application);
  absl::StatusOr<std::vector<std::string>> ListApplications();

  // Opens this worker's session; past `deadline` (tests) it ends.
  std::unique_ptr<WorkerSession> OpenSession(const std::string& application,
                                             const std::string& worker,
                                             absl::Duration deadline = absl::InfiniteDuration());

  v1::CoordinatorService::Stub& stub() { return *stub_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  std::chrono::milliseconds timeout_;
  std::unique_ptr<v1::CoordinatorService::Stub> stub_;
};

class RemoteLeaseTable final : public lease::LeaseTable {
 public:
  RemoteLeaseTable(std::shared_ptr<CoordinatorClient> client, std::string application);

  const std::string& application() const override { return application_; }
  absl::StatusOr<bool> CreateIfAbsent(const lease::Lease& lease) override;
  absl::StatusOr<std::optional<lease::Lease>> Get(const std::string& key) override;
  absl::StatusOr<std::vector<lease::Lease>> List() override;
  absl::StatusOr<bool> Take(const std::string& key, uint64_t expected_counter,
                            const std::string& new_owner) override;
  absl::StatusOr<bool> Renew(const std::string& key, const std::string& expected_owner,
                             uint64_t expected_counter) override;
  absl::StatusOr<bool> Evict(const std::string& key, const std::string& expected_owner) override;
  absl::StatusOr<bool> UpdateLineage(const std::string& key, const std::string& expected_owner,
                                     const std::vector<std::string>& child_shard_ids) override;
  absl::StatusOr<bool> RequestHandoff(const std::string& key, const std::string& expected_owner,
                                      const std::string& requester) override;
  absl::StatusOr<bool> Delete(const std::string& key) override;

 private:
  std::shared_ptr<CoordinatorClient> client_;
  const std::string application_;
};

class RemoteCheckpointStore final : public checkpoint::CheckpointStore {
 public:
  RemoteCheckpointStore(std::shared_ptr<CoordinatorClient> client, std::string application);

  absl::StatusOr<checkpoint::CheckpointRecord> Read(const std::string& shard_id) override;
  absl::StatusOr<bool> Save(const std::string& shard_id, const checkpoint::Ownership& ownership,
                            const checkpoint::ExtendedSequenceNumber& checkpoint,
                            const std::string& state) override;
  absl::StatusOr<bool> Prepare(const std::string& shard_id, const checkpoint::Ownership& ownership,
                               const checkpoint::ExtendedSequenceNumber& pending,
                               const std::string& state) override;
  absl::StatusOr<bool> Commit(const std::string& shard_id,
                              const checkpoint::Ownership& ownership) override;

 private:
  std::shared_ptr<CoordinatorClient> client_;
  const std::string application_;
};

}  // namespace eddy::client
