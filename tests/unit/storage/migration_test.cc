// Opening a data dir written by the format-4 code (tests/data/store-format-4, see its README)
// converts it: every kind of state survives and the store then works in the current format.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/migrate_format4.h"
#include "storage/rocks_layout.h"
#include "storage/store.h"
#include "tests/support/temp_dir.h"

namespace diphub::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSds = "1100000001";
constexpr const char* kMdr = "1200000001";
std::string Ref(int i) { return "S-IF-061-1100000001-SDS-20261122-fx" + std::to_string(i); }

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override { CopyFixture(); }
  void CopyFixture() {
    fs::remove_all(db_);
    fs::copy(fs::path(DIPHUB_SOURCE_DIR) / "tests/data/store-format-4", db_,
             fs::copy_options::recursive);
  }
  // Runs the migration on the fixture as OpenRocksStore would, with `options`.
  dip::Status MigrateWith(const MigrationOptions& options) {
    rocksdb::Options o;
    o.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : layout::kCfNames) cfs.emplace_back(name, o);
    cfs.emplace_back(layout::kLegacyDedupe, o);
    cfs.emplace_back(layout::kLegacyReferences, o);
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::Status s = rocksdb::DB::Open(o, db_, cfs, &handles, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return dip::Status::Io(s.ToString());
    std::vector<rocksdb::ColumnFamilyHandle*> current(handles.begin(),
                                                      handles.begin() + layout::kCfCount);
    dip::Status status = MigrateFormat4(raw, current, handles[layout::kCfCount],
                                        handles[layout::kCfCount + 1], options);
    for (rocksdb::ColumnFamilyHandle* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
    return status;
  }
  void ExpectConverted();
  std::unique_ptr<Store> Open() {
    auto s = OpenRocksStore(db_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::vector<std::uint64_t> Pending(Store& store, const std::string& to) {
    std::vector<std::uint64_t> seqs;
    auto scan = store.ScanOutbox(to, 0, 100);
    EXPECT_TRUE(scan.ok());
    if (!scan.ok()) return seqs;
    for (const OutboxEntry& e : scan.value()) seqs.push_back(e.seq);
    return seqs;
  }

  testing::TempDir dir_;
  std::string db_ = dir_.path() + "/db";
};

TEST_F(MigrationTest, Format4StoreIsConvertedWithEveryKindOfState) { ExpectConverted(); }

// A migration writes in bounded batches, and one stopped after any of its writes (a crash, a
// full disk) is finished by the next open to the same store: no cursor computed from an outbox
// already half emptied, no key written twice or missed.
TEST_F(MigrationTest, AMigrationStoppedAfterAnyWriteIsFinishedByTheNextOpen) {
  MigrationOptions count;
  count.batch_bytes = 1;  // every row a write of its own
  int writes = 0;
  count.after_write = [&](int n) {
    writes = n;
    return true;
  };
  ASSERT_TRUE(MigrateWith(count).ok());
  // The fixture: cursors (1), 9 byref keys, its Inbound/Addressing rows, 7 outbox deletes, the
  // final write.
  ASSERT_GT(writes, 15);
  for (int stop = 1; stop < writes; ++stop) {
    SCOPED_TRACE("stopped after write " + std::to_string(stop));
    CopyFixture();
    MigrationOptions stopping;
    stopping.batch_bytes = 1;
    stopping.after_write = [stop](int n) { return n < stop; };
    dip::Status s = MigrateWith(stopping);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.ToString().find("stopped after write " + std::to_string(stop)), std::string::npos)
        << s.ToString();
    ExpectConverted();
    if (HasFatalFailure()) return;
  }
}

void MigrationTest::ExpectConverted() {
  auto store = Open();
  ASSERT_TRUE(store);
  // Converted to format 5, then to 6: the old messages stay inline, the log starts after them.
  EXPECT_EQ(store->GetMeta("store_format").value(), "diphub-store-6");
  EXPECT_EQ(store->GetMeta("message_log_from").value(), std::string("\0\0\0\0\0\0\0\x0a", 8));
  EXPECT_EQ(store->LastSeq(), 9u);

  // Messages, byte for byte as the format-4 code stored them.
  std::vector<std::uint64_t> all = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto msgs = store->GetMessages(all);
  ASSERT_TRUE(msgs.ok()) << msgs.status().ToString();
  EXPECT_EQ(msgs.value()[0].sender_unique_reference, Ref(1));
  EXPECT_NE(msgs.value()[4].raw.find(Ref(5)), std::string::npos);
  EXPECT_EQ(msgs.value()[8].interface_id, std::string(kStatusInterface));

  // Pending deliveries, in order: 5..8 by the cursor, 2 requeued (a replay).
  auto pending = store->ScanOutbox(kMdr, 0, 100).value();
  ASSERT_EQ(pending.size(), 5u);
  EXPECT_EQ(pending[0].seq, 2u);
  EXPECT_TRUE(pending[0].replay);
  EXPECT_EQ(pending[0].requeue_id, "rq-fixture");
  for (std::size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(pending[i].seq, 4 + i);
    EXPECT_FALSE(pending[i].replay);
    EXPECT_EQ(pending[i].interface_id, "IF-061");
  }
  EXPECT_EQ(store->CountOutbox(kMdr).value(), 5u);
  EXPECT_EQ(store->CountRequeued(kMdr, "rq-fixture").value(), 1u);
  EXPECT_EQ(Pending(*store, kSds), (std::vector<std::uint64_t>{9}));  // the status record
  EXPECT_EQ(store->OutboxRecipients().value(), (std::vector<std::string>{kSds, kMdr}));

  // Duplicate check, per sender.
  EXPECT_TRUE(store->IsDuplicate(kSds, Ref(3)).value());
  EXPECT_FALSE(store->IsDuplicate(kMdr, Ref(3)).value());
  EXPECT_FALSE(store->IsDuplicate(kSds, Ref(99)).value());

  // Journal: Inbound and Addressing derived, the stored Outbound rows once each, and the
  // status record found under the original's reference.
  auto j1 = store->Journal(Ref(1)).value();
  ASSERT_EQ(j1.size(), 2u);
  EXPECT_EQ(j1[0].first, 1u);
  EXPECT_EQ(j1[1].first, 9u);
  auto j3 = store->Journal(Ref(3)).value();
  ASSERT_EQ(j3.size(), 1u);
  std::vector<std::string> stages;
  for (const JournalRow& r : j3[0].second) {
    stages.push_back(std::string(JournalStageName(r.stage)) + " " + r.status + " " +
                     std::to_string(r.http_status));
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"Inbound Accepted 201", "Addressing Routed 0",
                                              "Outbound Retrying 503", "Outbound Delivered 200"}));
  EXPECT_EQ(j3[0].second[0].detail, msgs.value()[2].transaction_id);

  // Dead letters, replay index, appointments, participants, meta.
  auto dead = store->DeadLetters(kMdr, 10).value();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].seq, 4u);
  EXPECT_EQ(dead[0].status, OutboundStatus::kRetriesExhausted);
  auto published = store->ScanPublished(kMdr, "IF-061", 0, INT64_MAX, 0, 100).value();
  EXPECT_EQ(published, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  std::vector<AppointmentRow> appointments;
  ASSERT_TRUE(store
                  ->ScanAppointments([&](const AppointmentRow& a) {
                    appointments.push_back(a);
                    return true;
                  })
                  .ok());
  ASSERT_EQ(appointments.size(), 1u);
  EXPECT_EQ(appointments[0].mpan, 2000056535971ull);
  EXPECT_EQ(appointments[0].party, kMdr);
  auto overrides = store->ParticipantOverrides().value();
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0].first, "1900000009");
  EXPECT_EQ(store->GetMeta("instance_tag").value(), "0F4A");

  // It works in the new format: delivering moves the cursor, and that survives a reopen.
  std::vector<DeliveryOutcome> done = {
      {kMdr, 2, OutboundStatus::kDelivered, 201, 1, 1796000009000, 3, ""},
      {kMdr, 5, OutboundStatus::kDelivered, 201, 1, 1796000009000, 3, ""}};
  ASSERT_TRUE(store->RecordOutcomes(done).ok());
  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(Pending(*store, kMdr), (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_EQ(store->GetMeta("store_format").value(), "diphub-store-6");
}

TEST_F(MigrationTest, UnknownFormatIsStillRefused) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->PutMeta("store_format", "diphub-store-99").ok());
  }
  auto s = OpenRocksStore(db_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().help().find("\"diphub-store-99\""), std::string::npos) << s.status().help();
  EXPECT_NE(s.status().help().find("does not know"), std::string::npos) << s.status().help();
}

}  // namespace
}  // namespace diphub::storage
