// Eddy's copy of etcd's v3 API (proto/etcd/) against a real etcd: every message and field
// the etcd coordinator relies on round-trips with the server's own descriptors — a wrong
// field number or name would show up here as a missing value or an unknown method.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/testing/temp_dir.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "tests/integration/peer_servers.h"

namespace eddy::testing {
namespace {

using namespace etcdserverpb;  // NOLINT: the test speaks etcd's API only

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

class EtcdWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // scripts/bootstrap installs etcd-server: a missing etcd fails here, it is not skipped.
    const int port = StartEtcd(etcd_, dir_.path() + "/etcd", dir_.path() + "/etcd");
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
    kv_ = KV::NewStub(channel_);
    leases_ = Lease::NewStub(channel_);
    watch_ = Watch::NewStub(channel_);
  }

  int64_t MustPut(const std::string& key, const std::string& value, int64_t lease = 0) {
    PutRequest request;
    request.set_key(key);
    request.set_value(value);
    request.set_lease(lease);
    PutResponse response;
    const grpc::Status status = kv_->Put(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.header().revision();
  }

  RangeResponse MustRange(const std::string& key, const std::string& range_end = "") {
    RangeRequest request;
    request.set_key(key);
    request.set_range_end(range_end);
    RangeResponse response;
    const grpc::Status status = kv_->Range(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  common::testing::TempDir dir_;
  BackgroundProcess etcd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<KV::Stub> kv_;
  std::unique_ptr<Lease::Stub> leases_;
  std::unique_ptr<Watch::Stub> watch_;
};

TEST_F(EtcdWireTest, KeyValuesCarryTheirRevisions) {
  const int64_t first = MustPut("/t/a", "one");
  const int64_t second = MustPut("/t/a", "two");
  MustPut("/t/b", "three");
  EXPECT_GT(second, first);

  RangeResponse got = MustRange("/t/", "/t0");  // '/'+1 == '0': the prefix
  ASSERT_EQ(got.kvs_size(), 2);
  EXPECT_EQ(got.count(), 2);
  EXPECT_EQ(got.kvs(0).key(), "/t/a");
  EXPECT_EQ(got.kvs(0).value(), "two");
  EXPECT_EQ(got.kvs(0).create_revision(), first);
  EXPECT_EQ(got.kvs(0).mod_revision(), second);
  EXPECT_EQ(got.kvs(0).version(), 2);
  EXPECT_GE(got.header().revision(), second + 1);
  EXPECT_NE(got.header().cluster_id(), 0u);

  Maintenance::Stub maintenance(channel_);
  StatusResponse status;
  ASSERT_TRUE(maintenance.Status(Context().get(), StatusRequest(), &status).ok());
  EXPECT_EQ(status.version().substr(0, 2), "3.");
  EXPECT_EQ(status.leader(), status.header().member_id());  // one member: it leads
}

TEST_F(EtcdWireTest, TxnComparesRevisionsAndRunsOneBranch) {
  // Create-if-absent: create_revision == 0.
  auto create = [&](const std::string& value) {
    TxnRequest txn;
    Compare* absent = txn.add_compare();
    absent->set_key("/t/lease");
    absent->set_target(Compare::CREATE);
    absent->set_result(Compare::EQUAL);
    absent->set_create_revision(0);
    PutRequest* put = txn.add_success()->mutable_request_put();
    put->set_key("/t/lease");
    put->set_value(value);
    txn.add_failure()->mutable_request_range()->set_key("/t/lease");
    TxnResponse response;
    EXPECT_TRUE(kv_->Txn(Context().get(), txn, &response).ok());
    return response;
  };
  TxnResponse won = create("first");
  EXPECT_TRUE(won.succeeded());
  ASSERT_EQ(won.responses_size(), 1);
  EXPECT_TRUE(won.responses(0).has_response_put());

  TxnResponse lost = create("second");
  EXPECT_FALSE(lost.succeeded());
  ASSERT_EQ(lost.responses_size(), 1);
  ASSERT_EQ(lost.responses(0).response_range().kvs_size(), 1);
  const mvccpb::KeyValue seen = lost.responses(0).response_range().kvs(0);
  EXPECT_EQ(seen.value(), "first");

  // A change conditioned on the observed mod_revision wins once.
  auto replace = [&](int64_t observed) {
    TxnRequest txn;
    Compare* same = txn.add_compare();
    same->set_key("/t/lease");
    same->set_target(Compare::MOD);
    same->set_result(Compare::EQUAL);
    same->set_mod_revision(observed);
    txn.add_success()->mutable_request_delete_range()->set_key("/t/lease");
    TxnResponse response;
    EXPECT_TRUE(kv_->Txn(Context().get(), txn, &response).ok());
    return response;
  };
  EXPECT_FALSE(replace(seen.mod_revision() + 1).succeeded());
  TxnResponse deleted = replace(seen.mod_revision());
  EXPECT_TRUE(deleted.succeeded());
  ASSERT_EQ(deleted.responses_size(), 1);
  EXPECT_EQ(deleted.responses(0).response_delete_range().deleted(), 1);
  EXPECT_EQ(MustRange("/t/lease").kvs_size(), 0);
}

TEST_F(EtcdWireTest, KeysOfARevokedLeaseGoAndTheWatchSeesIt) {
  LeaseGrantRequest grant;
  grant.set_ttl(30);
  LeaseGrantResponse granted;
  ASSERT_TRUE(leases_->LeaseGrant(Context().get(), grant, &granted).ok());
  ASSERT_NE(granted.id(), 0);
  EXPECT_EQ(granted.ttl(), 30);

  const int64_t put = MustPut("/t/owner", "worker-1", granted.id());
  RangeResponse owned = MustRange("/t/owner");
  ASSERT_EQ(owned.kvs_size(), 1);
  EXPECT_EQ(owned.kvs(0).lease(), granted.id());

  {  // one keepalive round trip on the stream
    auto context = Context();
    auto stream = leases_->LeaseKeepAlive(context.get());
    LeaseKeepAliveRequest ping;
    ping.set_id(granted.id());
    ASSERT_TRUE(stream->Write(ping));
    LeaseKeepAliveResponse pong;
    ASSERT_TRUE(stream->Read(&pong));
    EXPECT_EQ(pong.id(), granted.id());
    EXPECT_GT(pong.ttl(), 0);
    stream->WritesDone();
    context->TryCancel();
  }

  LeaseTimeToLiveRequest ask;
  ask.set_id(granted.id());
  ask.set_keys(true);
  LeaseTimeToLiveResponse ttl;
  ASSERT_TRUE(leases_->LeaseTimeToLive(Context().get(), ask, &ttl).ok());
  EXPECT_EQ(ttl.grantedttl(), 30);
  ASSERT_EQ(ttl.keys_size(), 1);
  EXPECT_EQ(ttl.keys(0), "/t/owner");

  LeaseRevokeRequest revoke;
  revoke.set_id(granted.id());
  LeaseRevokeResponse revoked;
  ASSERT_TRUE(leases_->LeaseRevoke(Context().get(), revoke, &revoked).ok());
  EXPECT_EQ(MustRange("/t/owner").kvs_size(), 0);

  // Watching from the put's revision replays the put, then the revocation's delete.
  auto context = Context();
  auto stream = watch_->Watch(context.get());
  WatchRequest request;
  WatchCreateRequest* create = request.mutable_create_request();
  create->set_key("/t/owner");
  create->set_start_revision(put);
  create->set_prev_kv(true);
  ASSERT_TRUE(stream->Write(request));
  std::vector<mvccpb::Event> events;
  WatchResponse response;
  bool created = false;
  while (events.size() < 2 && stream->Read(&response)) {
    created = created || response.created();
    for (const mvccpb::Event& event : response.events()) events.push_back(event);
  }
  EXPECT_TRUE(created);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type(), mvccpb::Event::PUT);
  EXPECT_EQ(events[0].kv().value(), "worker-1");
  EXPECT_EQ(events[1].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(events[1].kv().key(), "/t/owner");
  EXPECT_EQ(events[1].prev_kv().value(), "worker-1");
  context->TryCancel();
}

TEST_F(EtcdWireTest, AWatchBelowTheCompactionIsCancelledWithItsRevision) {
  MustPut("/t/c", "1");
  const int64_t last = MustPut("/t/c", "2");
  CompactionRequest compact;
  compact.set_revision(last);
  compact.set_physical(true);
  CompactionResponse compacted;
  ASSERT_TRUE(kv_->Compact(Context().get(), compact, &compacted).ok());

  auto context = Context();
  auto stream = watch_->Watch(context.get());
  WatchRequest request;
  request.mutable_create_request()->set_key("/t/c");
  request.mutable_create_request()->set_start_revision(1);
  ASSERT_TRUE(stream->Write(request));
  WatchResponse response;
  bool canceled = false;
  while (!canceled && stream->Read(&response)) canceled = response.canceled();
  EXPECT_TRUE(canceled);
  EXPECT_EQ(response.compact_revision(), last);
  context->TryCancel();
}

}  // namespace
}  // namespace eddy::testing
