// CoordinatorStore specifics beyond the LeaseTable conformance suite
// (tests/integration/coordinator_conformance_test.cc).
#include "lease/coordinator_store.h"

#include <gtest/gtest.h>

#include "common/testing/temp_dir.h"

namespace eddy::lease {
namespace {

TEST(CoordinatorStoreTest, AnEvictionNamingAnEpochSparesALaterOwnershipOfTheSameWorker) {
  common::testing::TempDir dir;
  std::unique_ptr<CoordinatorStore> store = std::move(*CoordinatorStore::Open(dir.path()));
  ASSERT_TRUE(*store->CreateApplication("app"));
  Lease lease;
  lease.key = "shard";
  ASSERT_TRUE(*store->CreateIfAbsent("app", lease));
  ASSERT_TRUE(*store->Take("app", "shard", 0, "w"));
  const Lease before = **store->Get("app", "shard");  // what a broken session saw
  // The worker lets go and takes the lease again (it reconnected): a new ownership.
  ASSERT_TRUE(*store->Evict("app", "shard", "w"));
  const Lease freed = **store->Get("app", "shard");
  ASSERT_TRUE(*store->Take("app", "shard", freed.counter, "w"));
  // The old session's eviction names the epoch it saw: the new ownership stays.
  EXPECT_FALSE(*store->Evict("app", "shard", "w", before.epoch));
  const Lease after = **store->Get("app", "shard");
  EXPECT_EQ(after.owner, "w");
  EXPECT_GT(after.epoch, before.epoch);
  // Naming the current epoch evicts.
  EXPECT_TRUE(*store->Evict("app", "shard", "w", after.epoch));
  EXPECT_EQ((**store->Get("app", "shard")).owner, "");
}

}  // namespace
}  // namespace eddy::lease
