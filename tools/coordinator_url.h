#pragma once
// Where a command's leases live, as --coordinator names it:
//   eddy://HOST:PORT          an eddy-broker's coordinator
//   etcd://H1:P1,H2:P2,...    an etcd cluster (docs/coordination.md)
//   file://DIR                an embedded RocksDB store (one process only)

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "checkpoint/checkpoint_store.h"
#include "kcl/config.h"
#include "lease/lease_table.h"

namespace eddy::tools {

struct CoordinatorUrl {
  enum class Kind { kBroker, kEtcd, kEmbedded };
  Kind kind = Kind::kBroker;
  std::string broker;             // kBroker: host:port
  std::vector<std::string> etcd;  // kEtcd: host:port of each member
  std::string path;               // kEmbedded
};

// InvalidArgument naming the accepted forms for anything else.
absl::StatusOr<CoordinatorUrl> ParseCoordinatorUrl(const std::string& url);

// Points `config` at the coordinator.
void ApplyCoordinatorUrl(const CoordinatorUrl& url, kcl::Config& config);

// A connection of its own to a coordinator, for admin commands and benchmarks: the views
// must not outlive it.
class CoordinatorConnection {
 public:
  virtual ~CoordinatorConnection() = default;
  virtual absl::StatusOr<bool> CreateApplication(const std::string& application) = 0;
  virtual absl::StatusOr<bool> DeleteApplication(const std::string& application) = 0;
  virtual std::unique_ptr<lease::LeaseTable> Leases(const std::string& application) = 0;
  virtual std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(
      const std::string& application) = 0;
};
// Each call answers within `timeout`.
absl::StatusOr<std::unique_ptr<CoordinatorConnection>> ConnectCoordinator(
    const CoordinatorUrl& url, std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace eddy::tools
