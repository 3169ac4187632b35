// Worker sessions tell each other when leases become available: a release, a broken
// session, a new lease — so survivors take work at once, not at their next pass.
#include <gtest/gtest.h>

#include "client/remote_coordinator.h"
#include "tests/integration/broker_fixture.h"

namespace eddy::testing {
namespace {

class CoordinatorSessionTest : public BrokerTest {
 protected:
  struct Session {
    std::unique_ptr<client::WorkerSession> reader;
  };

  void SetUp() override {
    BrokerTest::SetUp();
    coordinator_ = std::make_shared<client::CoordinatorClient>(
        client::StreamClientOptions{broker_.address(), std::chrono::seconds(10)});
    ASSERT_TRUE(coordinator_->CreateApplication("app").ok());
    leases_ = std::make_unique<client::RemoteLeaseTable>(coordinator_, "app");
  }

  // Opens worker `id`'s session and reads its first ("live") event.
  std::unique_ptr<Session> Open(const std::string& id) {
    auto session = std::make_unique<Session>();
    session->reader = coordinator_->OpenSession("app", id, absl::Seconds(30));
    client::WorkerSession::Event live;
    EXPECT_TRUE(session->reader->Next(&live)) << "the session did not open";
    EXPECT_EQ(live.leases_available, 0);
    return session;
  }

  // The next event says leases are available (Read is bounded by the call's deadline).
  static void ExpectLeasesAvailable(Session& session) {
    client::WorkerSession::Event event;
    ASSERT_TRUE(session.reader->Next(&event)) << "no event before the deadline";
    EXPECT_EQ(event.leases_available, 1);
  }

  std::shared_ptr<client::CoordinatorClient> coordinator_;
  std::unique_ptr<client::RemoteLeaseTable> leases_;
};

TEST_F(CoordinatorSessionTest, ANewLeaseAndAReleasedOneAreAnnouncedToLiveSessions) {
  auto a = Open("a");
  auto b = Open("b");
  lease::Lease lease;
  lease.key = "shardId-000000000000";
  ASSERT_TRUE(*leases_->CreateIfAbsent(lease));
  ExpectLeasesAvailable(*a);
  ExpectLeasesAvailable(*b);
  ASSERT_TRUE(*leases_->Take(lease.key, 0, "a"));
  ASSERT_TRUE(*leases_->Evict(lease.key, "a"));  // a shuts down gracefully
  ExpectLeasesAvailable(*b);
}

TEST_F(CoordinatorSessionTest, ABrokenSessionsLeasesAreAnnouncedToTheOthers) {
  lease::Lease lease;
  lease.key = "shardId-000000000000";
  ASSERT_TRUE(*leases_->CreateIfAbsent(lease));
  ASSERT_TRUE(*leases_->Take(lease.key, 0, "a"));
  auto a = Open("a");
  auto b = Open("b");
  a->reader->Cancel();  // a's process dies: its connection goes
  ExpectLeasesAvailable(*b);
  EXPECT_EQ((*leases_->Get(lease.key))->owner, "") << "a's lease was freed";
}

}  // namespace
}  // namespace eddy::testing
