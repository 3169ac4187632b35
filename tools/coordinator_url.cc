#include "tools/coordinator_url.h"

#include "absl/strings/match.h"
#include "client/remote_coordinator.h"
#include "common/errors.h"
#include "coordination/etcd_coordinator.h"
#include "lease/coordinator_store.h"

namespace eddy::tools {
namespace {

// A coordinator with CoordinatorStore's application calls and views.
template <typename Store>
class Connection final : public CoordinatorConnection {
 public:
  explicit Connection(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  absl::StatusOr<bool> CreateApplication(const std::string& application) override {
    return store_->CreateApplication(application);
  }
  absl::StatusOr<bool> DeleteApplication(const std::string& application) override {
    return store_->DeleteApplication(application);
  }
  std::unique_ptr<lease::LeaseTable> Leases(const std::string& application) override {
    return store_->Leases(application);
  }
  std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(
      const std::string& application) override {
    return store_->Checkpoints(application);
  }

 private:
  std::unique_ptr<Store> store_;
};

// The broker's coordinator through its gRPC client.
class BrokerConnection final : public CoordinatorConnection {
 public:
  BrokerConnection(const std::string& endpoint, std::chrono::milliseconds timeout)
      : client_(std::make_shared<client::CoordinatorClient>(
            client::StreamClientOptions{endpoint, timeout})) {}
  absl::StatusOr<bool> CreateApplication(const std::string& application) override {
    return client_->CreateApplication(application);
  }
  absl::StatusOr<bool> DeleteApplication(const std::string& application) override {
    return client_->DeleteApplication(application);
  }
  std::unique_ptr<lease::LeaseTable> Leases(const std::string& application) override {
    return std::make_unique<client::RemoteLeaseTable>(client_, application);
  }
  std::unique_ptr<checkpoint::CheckpointStore> Checkpoints(
      const std::string& application) override {
    return std::make_unique<client::RemoteCheckpointStore>(client_, application);
  }

 private:
  std::shared_ptr<client::CoordinatorClient> client_;
};

}  // namespace

absl::StatusOr<CoordinatorUrl> ParseCoordinatorUrl(const std::string& url) {
  CoordinatorUrl parsed;
  if (absl::StartsWith(url, "eddy://") && url.size() > 7) {
    parsed.kind = CoordinatorUrl::Kind::kBroker;
    parsed.broker = url.substr(7);
    return parsed;
  }
  if (absl::StartsWith(url, "file://") && url.size() > 7) {
    parsed.kind = CoordinatorUrl::Kind::kEmbedded;
    parsed.path = url.substr(7);
    return parsed;
  }
  if (absl::StartsWith(url, "etcd://")) {
    absl::StatusOr<std::vector<std::string>> endpoints = coordination::ParseEtcdEndpoints(url);
    if (!endpoints.ok()) return endpoints.status();
    parsed.kind = CoordinatorUrl::Kind::kEtcd;
    parsed.etcd = std::move(*endpoints);
    return parsed;
  }
  return common::InvalidArgument(
      "--coordinator takes eddy://HOST:PORT, etcd://HOST:PORT[,...] or "
      "file://DIR, not \"" +
      url + "\".");
}

void ApplyCoordinatorUrl(const CoordinatorUrl& url, kcl::Config& config) {
  switch (url.kind) {
    case CoordinatorUrl::Kind::kBroker:
      config.coordinator_endpoint = url.broker;
      break;
    case CoordinatorUrl::Kind::kEtcd:
      config.etcd_endpoints = url.etcd;
      break;
    case CoordinatorUrl::Kind::kEmbedded:
      config.embedded_coordinator_path = url.path;
      break;
  }
}

absl::StatusOr<std::unique_ptr<CoordinatorConnection>> ConnectCoordinator(
    const CoordinatorUrl& url, std::chrono::milliseconds timeout) {
  switch (url.kind) {
    case CoordinatorUrl::Kind::kBroker:
      return std::make_unique<BrokerConnection>(url.broker, timeout);
    case CoordinatorUrl::Kind::kEtcd: {
      coordination::EtcdCoordinatorOptions options;
      options.client.endpoints = url.etcd;
      options.client.timeout = timeout;
      return std::make_unique<Connection<coordination::EtcdCoordinator>>(
          std::make_unique<coordination::EtcdCoordinator>(options));
    }
    case CoordinatorUrl::Kind::kEmbedded: {
      absl::StatusOr<std::unique_ptr<lease::CoordinatorStore>> store =
          lease::CoordinatorStore::Open(url.path);
      if (!store.ok()) return store.status();
      return std::make_unique<Connection<lease::CoordinatorStore>>(std::move(*store));
    }
  }
  return common::InvalidArgument("unknown coordinator kind");
}

}  // namespace eddy::tools
