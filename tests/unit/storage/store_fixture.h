// A RocksDB store in a temp dir for the storage unit tests: opened in SetUp, reopened by Open()
// (as a restart would), and Append() of whole records without fsync.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "storage/store.h"
#include "tests/support/temp_dir.h"

namespace diphub::storage {

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_.reset();
    auto s = OpenRocksStore(dir_.path() + "/db", options_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  void Append(std::vector<MessageRecord> msgs) {
    std::vector<const MessageRecord*> ptrs;
    for (const MessageRecord& m : msgs) ptrs.push_back(&m);
    dip::Status s = store_->Append(ptrs, Durability::kOsBuffered);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  testing::TempDir dir_;
  StoreOptions options_;  // what Open() opens with
  std::unique_ptr<Store> store_;
};

}  // namespace diphub::storage
