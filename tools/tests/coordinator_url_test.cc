// --coordinator URLs: each accepted form, and a clear error for anything else.
#include "tools/coordinator_url.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace eddy::tools {
namespace {

TEST(CoordinatorUrlTest, EachFormNamesItsPlace) {
  absl::StatusOr<CoordinatorUrl> broker = ParseCoordinatorUrl("eddy://10.0.0.1:4567");
  ASSERT_TRUE(broker.ok()) << broker.status();
  EXPECT_EQ(broker->kind, CoordinatorUrl::Kind::kBroker);
  EXPECT_EQ(broker->broker, "10.0.0.1:4567");
  absl::StatusOr<CoordinatorUrl> etcd = ParseCoordinatorUrl("etcd://h1:2379,h2:2380,[::1]:2381");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  EXPECT_EQ(etcd->kind, CoordinatorUrl::Kind::kEtcd);
  EXPECT_EQ(etcd->etcd, (std::vector<std::string>{"h1:2379", "h2:2380", "[::1]:2381"}));
  absl::StatusOr<CoordinatorUrl> file = ParseCoordinatorUrl("file:///var/lib/leases");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->kind, CoordinatorUrl::Kind::kEmbedded);
  EXPECT_EQ(file->path, "/var/lib/leases");

  kcl::Config config;
  ApplyCoordinatorUrl(*etcd, config);
  EXPECT_EQ(config.etcd_endpoints, etcd->etcd);
}

TEST(CoordinatorUrlTest, AnythingElseIsRefusedWithTheFormsItTakes) {
  for (const char* bad : {"eddy://", "file://", "zk://h:2181", "h1:2379", "etcd://", "etcd://h1",
                          "etcd://h1:2379,", "etcd://h1:port", "etcd://h1:2379/path"}) {
    absl::StatusOr<CoordinatorUrl> parsed = ParseCoordinatorUrl(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(common::ErrorType(parsed.status()), common::kInvalidArgument) << bad;
    EXPECT_FALSE(parsed.status().message().empty());
  }
}

}  // namespace
}  // namespace eddy::tools
