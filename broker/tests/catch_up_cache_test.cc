#include "broker/catch_up_cache.h"

#include <gtest/gtest.h>

namespace eddy::broker {
namespace {

std::vector<SharedRecord> Records(uint64_t from, int count, size_t bytes) {
  std::vector<SharedRecord> out;
  for (int i = 0; i < count; ++i) {
    auto record = std::make_shared<StoredRecord>();
    record->counter = from + static_cast<uint64_t>(i);
    record->data = std::string(bytes, 'd');
    out.push_back(record);
  }
  return out;
}

TEST(CatchUpCacheTest, AHitReturnsTheSameRecordsWithinTheCallersBounds) {
  CatchUpCache cache;
  EXPECT_TRUE(cache.Get(10, 100, 1000, 1 << 20, 0).empty()) << "nothing cached yet";
  const auto records = Records(10, 5, 100);
  cache.Put(records, 0);
  auto all = cache.Get(10, 100, 1000, 1 << 20, 0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].get(), records[0].get()) << "shared, not copied";
  EXPECT_EQ(cache.Get(10, 12, 1000, 1 << 20, 0).size(), 3u) << "counters ≤ to";
  EXPECT_EQ(cache.Get(10, 100, 2, 1 << 20, 0).size(), 2u) << "at most max_records";
  EXPECT_EQ(cache.Get(10, 100, 1000, 250, 0).size(), 2u) << "within max_bytes";
  EXPECT_EQ(cache.Get(10, 100, 1000, 1, 0).size(), 1u) << "the first record always";
  EXPECT_TRUE(cache.Get(11, 100, 1000, 1 << 20, 0).empty()) << "only reads starting there";
}

TEST(CatchUpCacheTest, OldEntriesAreIgnoredAndTheOldestGoFirst) {
  CatchUpCache cache;
  cache.Put(Records(1, 1, 10), 0);
  EXPECT_TRUE(cache.Get(1, 10, 10, 100, CatchUpCache::kMaxAgeMillis + 1).empty());
  for (uint64_t from = 100; from < 100 + CatchUpCache::kMaxEntries + 1; ++from) {
    cache.Put(Records(from, 1, 10), 0);
  }
  EXPECT_TRUE(cache.Get(100, 1000, 10, 100, 0).empty()) << "evicted";
  EXPECT_FALSE(cache.Get(101, 1000, 10, 100, 0).empty());
}

}  // namespace
}  // namespace eddy::broker
