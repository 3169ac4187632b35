#include "tools/coordinator_url.h"

#include "absl/strings/match.h"
#include "client/remote_coordinator.h"
#include "common/errors.h"
#include "coordination/etcd_coordinator.h"
#include "lease/coordinator_store.h"

namespace eddy::tools {
namespace {

// Keeps the store behind a view alive as long as the view.
template <typename Store>
class Held final : public AdminLeaseTable {
 public:
  Held(std::shared_ptr<Store> store, std::unique_ptr<lease::LeaseTable> table)
      : store_(std::move(store)), table_(std::move(table)) {}
  lease::LeaseTable& table() override { return *table_; }

 private:
  std::shared_ptr<Store> store_;
  std::unique_ptr<lease::LeaseTable> table_;  // declared last: destroyed before the store
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
  return common::InvalidArgument("--coordinator takes eddy://HOST:PORT, etcd://HOST:PORT[,...] or "
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

absl::StatusOr<std::unique_ptr<AdminLeaseTable>> OpenAdminLeaseTable(
    const CoordinatorUrl& url, const std::string& application) {
  switch (url.kind) {
    case CoordinatorUrl::Kind::kBroker: {
      auto client =
          std::make_shared<client::CoordinatorClient>(client::StreamClientOptions{url.broker});
      auto table = std::make_unique<client::RemoteLeaseTable>(client, application);
      return std::make_unique<Held<client::CoordinatorClient>>(client, std::move(table));
    }
    case CoordinatorUrl::Kind::kEtcd: {
      coordination::EtcdCoordinatorOptions options;
      options.client.endpoints = url.etcd;
      auto etcd = std::make_shared<coordination::EtcdCoordinator>(options);
      auto table = etcd->Leases(application);
      return std::make_unique<Held<coordination::EtcdCoordinator>>(etcd, std::move(table));
    }
    case CoordinatorUrl::Kind::kEmbedded: {
      absl::StatusOr<std::unique_ptr<lease::CoordinatorStore>> store =
          lease::CoordinatorStore::Open(url.path);
      if (!store.ok()) return store.status();
      std::shared_ptr<lease::CoordinatorStore> shared = std::move(*store);
      auto table = shared->Leases(application);
      return std::make_unique<Held<lease::CoordinatorStore>>(shared, std::move(table));
    }
  }
  return common::InvalidArgument("unknown coordinator kind");
}

}  // namespace eddy::tools
