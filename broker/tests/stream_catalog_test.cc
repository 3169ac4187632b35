// The stream catalog against a real RocksDB in a temp dir: what it writes is what a restart
// loads, and nothing it was told to forget comes back.
#include "broker/stream_catalog.h"

#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/testing/fake_clock.h"
#include "common/testing/temp_dir.h"

namespace eddy::broker {
namespace {

class StreamCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    catalog_.reset();
    store_.reset();
    RecordStoreOptions options;
    options.path = dir_.path() + "/db";
    auto store = RecordStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto catalog = StreamCatalog::Open(*store_, BrokerLimits::None(), clock_);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::move(*catalog);
  }

  common::testing::TempDir dir_;
  common::testing::FakeClock clock_;
  std::unique_ptr<RecordStore> store_;
  std::unique_ptr<StreamCatalog> catalog_;
};

TEST_F(StreamCatalogTest, ADeletedStreamIsNeverWrittenBack) {
  // A writer (the trimmer, a reshard) that found the stream just before it was deleted.
  CreateStreamParams params;
  params.name = "s";
  ASSERT_TRUE(catalog_->Create(params).ok());
  auto found = catalog_->Find(StreamRef{"s", ""});
  ASSERT_TRUE(found.ok());
  const std::shared_ptr<StreamState> stream = *found;
  ASSERT_TRUE(catalog_->Remove(StreamRef{"s", ""}).ok());
  EXPECT_EQ(common::ErrorType(catalog_->Persist(*stream)), common::kResourceNotFound);
  Reopen();
  EXPECT_EQ(common::ErrorType(catalog_->Find(StreamRef{"s", ""}).status()),
            common::kResourceNotFound)
      << "the deleted stream came back after a restart";
}

TEST_F(StreamCatalogTest, WhatIsWrittenIsWhatARestartLoads) {
  CreateStreamParams params;
  params.name = "s";
  params.shard_count = 2;
  ASSERT_TRUE(catalog_->Create(params).ok());
  ASSERT_TRUE(catalog_->ChangeRetention(StreamRef{"s", ""}, 48, /*increase=*/true).ok());
  Reopen();
  auto stream = catalog_->Find(StreamRef{"s", ""});
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ((*stream)->retention_hours(), 48);
  EXPECT_EQ((*stream)->Shards().size(), 2u);
  EXPECT_EQ((*stream)->next_shard_index(), 2u);
}

}  // namespace
}  // namespace eddy::broker
