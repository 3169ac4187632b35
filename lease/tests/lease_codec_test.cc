#include "lease/lease_codec.h"

#include <gtest/gtest.h>

namespace eddy::lease {
namespace {

TEST(LeaseCodecTest, RoundTripsEveryField) {
  Lease lease;
  lease.key = "shardId-000000000007";
  lease.owner = "worker-1";
  lease.counter = 300;
  lease.epoch = 12;
  lease.checkpoint = *checkpoint::ExtendedSequenceNumber::Of("1234567890123456789012345", 3);
  lease.checkpoint_state = std::string("st\0ate", 6);
  lease.pending_checkpoint = checkpoint::ExtendedSequenceNumber::ShardEnd();
  lease.pending_checkpoint_state = "p";
  lease.parent_shard_ids = {"shardId-000000000001", "shardId-000000000002"};
  lease.child_shard_ids = {"shardId-000000000009"};
  lease.hash_range = common::HashKeyRange{5, common::kMaxHashKey};
  lease.owner_switches_since_checkpoint = 4;
  lease.handoff_to = "worker-2";
  absl::StatusOr<Lease> back = DecodeLease(EncodeLease(lease));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, lease);
  Lease empty;
  empty.key = "k";
  EXPECT_EQ(*DecodeLease(EncodeLease(empty)), empty);
}

TEST(LeaseCodecTest, RefusesDamagedRecords) {
  Lease lease;
  lease.key = "k";
  const std::string bytes = EncodeLease(lease);
  EXPECT_FALSE(DecodeLease("").ok());
  EXPECT_FALSE(DecodeLease(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(DecodeLease(bytes + "x").ok());
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  EXPECT_FALSE(DecodeLease(wrong_version).ok());
}

}  // namespace
}  // namespace eddy::lease
