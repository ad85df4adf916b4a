#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/rocks_layout.h"
#include "storage/store.h"
#include "tests/unit/storage/store_fixture.h"

namespace diphub::storage {
namespace {

MessageRecord Msg(std::uint64_t seq, std::string sender, std::string ref,
                  std::vector<std::string> recipients, std::string iface = "IF-061") {
  MessageRecord r;
  r.seq = seq;
  r.transaction_id = "T-" + std::to_string(seq);
  r.transaction_timestamp = "2025-08-11T08:30:00+00:00";
  r.interface_id = std::move(iface);
  r.sender_dip_id = std::move(sender);
  r.sender_role = "SDS";
  r.sender_unique_reference = std::move(ref);
  r.primary_recipients = recipients;
  r.recipients = std::move(recipients);
  r.raw = "{\"payload\":{\"n\":" + std::to_string(seq) + "}}";
  return r;
}

class RocksStoreTest : public StoreFixture {
 protected:
  std::vector<std::uint64_t> Outbox(const std::string& recipient, std::uint64_t after = 0,
                                    std::size_t limit = 100) {
    auto r = store_->ScanOutbox(recipient, after, limit);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::uint64_t> seqs;
    if (!r.ok()) return seqs;
    for (const OutboxEntry& e : r.value()) {
      EXPECT_EQ(e.recipient, recipient);
      seqs.push_back(e.seq);
    }
    return seqs;
  }
};

TEST_F(RocksStoreTest, EmptyStore) {
  EXPECT_EQ(store_->LastSeq(), 0u);
  auto recipients = store_->OutboxRecipients();
  ASSERT_TRUE(recipients.ok());
  EXPECT_TRUE(recipients.value().empty());
  auto dup = store_->IsDuplicate("1100000001", "REF-1");
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(dup.value());
}

TEST_F(RocksStoreTest, AppendThenGetMessages) {
  Append({Msg(1, "1100000001", "A", {"1200000001"}), Msg(2, "1100000001", "B", {"1300000001"})});
  std::vector<std::uint64_t> seqs = {2, 1};
  auto got = store_->GetMessages(seqs);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got.value().size(), 2u);
  EXPECT_EQ(got.value()[0].seq, 2u);
  EXPECT_EQ(got.value()[0].sender_unique_reference, "B");
  EXPECT_EQ(got.value()[0].raw, "{\"payload\":{\"n\":2}}");
  EXPECT_EQ(got.value()[1].transaction_id, "T-1");
  EXPECT_EQ(store_->LastSeq(), 2u);

  std::vector<std::uint64_t> missing = {1, 99};
  EXPECT_FALSE(store_->GetMessages(missing).ok());
}

// The delivery path reads messages in place (GetMessageViews): every field as GetMessages
// copies it, whether the message comes from the recent commits' batches or from RocksDB (after a
// restart), mixed in one call, in the order asked; a missing one is an error.
TEST_F(RocksStoreTest, MessageViewsReadTheSameAsCopiedRecords) {
  MessageRecord a = Msg(1, "1100000001", "A", {"1200000001", "1300000001"});
  a.secondary_recipients = {"1400000001"};
  a.always_recipients = {"1500000001", "1600000001"};
  a.correlation_id = "C-1";
  a.mpan = "1234567890123";
  a.event_code = "[MDRStart]";
  a.accepted_unix_ms = 1700000000123;
  Append({a, Msg(2, "1100000001", "B", {"1300000001"})});
  Open();  // 1 and 2 now come from RocksDB
  Append({Msg(3, "1100000001", "C", {"1200000001"}, "statusmessage")});
  std::vector<std::uint64_t> seqs = {2, 3, 1};
  auto copies = store_->GetMessages(seqs);
  auto views = store_->GetMessageViews(seqs);
  ASSERT_TRUE(copies.ok()) << copies.status().ToString();
  ASSERT_TRUE(views.ok()) << views.status().ToString();
  ASSERT_EQ(views.value().size(), 3u);
  const MessageBatch& batch = views.value();
  for (std::size_t i = 0; i < 3; ++i) {
    const MessageRecord& c = copies.value()[i];
    const MessageView& v = batch[i];
    EXPECT_EQ(v.seq, seqs[i]);
    EXPECT_EQ(EncodeMessage(batch.Record(i)), EncodeMessage(c));
    EXPECT_EQ(v.raw, c.raw);
    EXPECT_EQ(v.transaction_id, c.transaction_id);
    EXPECT_EQ(v.interface_id, c.interface_id);
    EXPECT_EQ(v.sender_unique_reference, c.sender_unique_reference);
    EXPECT_EQ(v.accepted_unix_ms, c.accepted_unix_ms);
    EXPECT_EQ(v.correlation_id.has_value(), c.correlation_id.has_value());
    auto list = [&](ListRef ref) {
      auto span = batch.List(ref);
      return std::vector<std::string>(span.begin(), span.end());
    };
    EXPECT_EQ(list(v.primary_recipients), c.primary_recipients);
    EXPECT_EQ(list(v.recipients), c.recipients);
    EXPECT_EQ(list(v.secondary_recipients), c.secondary_recipients);
    EXPECT_EQ(list(v.always_recipients), c.always_recipients);
  }
  EXPECT_EQ(batch[2].correlation_id, std::optional<std::string_view>("C-1"));
  EXPECT_EQ(batch[2].mpan, std::optional<std::string_view>("1234567890123"));
  EXPECT_EQ(batch[1].interface_id, "statusmessage");
  std::vector<std::uint64_t> missing = {1, 99};
  EXPECT_FALSE(store_->GetMessageViews(missing).ok());
}

// Append(kSyncLater) is durable only after SyncWal(): a replay query (ScanPublished) and the
// journal do not show such a message before (its sender has no answer yet; a crash could lose
// it).
TEST_F(RocksStoreTest, ScanPublishedAndJournalShowASyncLaterAppendOnlyOnceSynced) {
  auto published = [&] {
    auto r = store_->ScanPublished("1200000001", "IF-061", 0, INT64_MAX, 0, 100);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : std::vector<std::uint64_t>{};
  };
  Append({Msg(1, "1100000001", "A", {"1200000001"})});
  MessageRecord m = Msg(2, "1100000001", "B", {"1200000001"});
  const MessageRecord* ptrs[] = {&m};
  ASSERT_TRUE(store_->Append(ptrs, Durability::kSyncLater).ok());
  auto journal = [&] {
    auto r = store_->Journal("B");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value().size() : 0u;
  };
  EXPECT_EQ(published(), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(journal(), 0u);
  ASSERT_TRUE(store_->SyncWal().ok());
  EXPECT_EQ(published(), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(journal(), 1u);
  Open();  // a restart: what the log replays is on disk
  EXPECT_EQ(published(), (std::vector<std::uint64_t>{1, 2}));
}

// Messages just appended are read from the batches that wrote them (RecentMessages); after a
// restart, from RocksDB. Both give the same records, mixed in one call too, in the order asked.
TEST_F(RocksStoreTest, RecentlyAppendedMessagesReadTheSameAsFromDisk) {
  Append({Msg(1, "1100000001", "A", {"1200000001"}), Msg(2, "1100000001", "B", {"1300000001"})});
  std::vector<std::uint64_t> seqs = {2, 1};
  auto recent = store_->GetMessages(seqs);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  Open();
  Append({Msg(3, "1100000001", "C", {"1200000001"})});
  std::vector<std::uint64_t> mixed = {2, 3, 1};
  auto read = store_->GetMessages(mixed);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read.value().size(), 3u);
  EXPECT_EQ(read.value()[1].sender_unique_reference, "C");
  EXPECT_EQ(read.value()[1].raw, "{\"payload\":{\"n\":3}}");
  for (std::size_t i : {0u, 2u}) {
    const MessageRecord& a = recent.value()[i == 0 ? 0 : 1];
    const MessageRecord& b = read.value()[i];
    EXPECT_EQ(EncodeMessage(a), EncodeMessage(b));
    EXPECT_EQ(a.seq, b.seq);
  }
}

TEST_F(RocksStoreTest, IsDuplicatePerSenderAndReference) {
  Append({Msg(1, "1100000001", "REF-1", {"1200000001"})});
  EXPECT_TRUE(store_->IsDuplicate("1100000001", "REF-1").value());
  EXPECT_FALSE(store_->IsDuplicate("1100000001", "REF-2").value());
  EXPECT_FALSE(store_->IsDuplicate("1300000001", "REF-1").value());
  EXPECT_FALSE(store_->IsDuplicate("1100000001", "ref-1").value());
}

TEST_F(RocksStoreTest, ScanOutboxPerRecipientInSeqOrder) {
  Append({Msg(1, "1100000001", "A", {"1200000001", "1300000001"}),
          Msg(2, "1100000001", "B", {"1300000001"}),
          Msg(3, "1100000001", "C", {"1200000001"}, "IF-065")});
  Append({Msg(260, "1100000001", "D", {"1200000001"})});  // seq past one byte
  EXPECT_EQ(Outbox("1200000001"), (std::vector<std::uint64_t>{1, 3, 260}));
  EXPECT_EQ(Outbox("1300000001"), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(Outbox("1200000001", 1), (std::vector<std::uint64_t>{3, 260}));
  EXPECT_EQ(Outbox("1200000001", 3), (std::vector<std::uint64_t>{260}));
  EXPECT_EQ(Outbox("1200000001", 0, 2), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_TRUE(Outbox("1200000001", 260).empty());
  EXPECT_TRUE(Outbox("1400000001").empty());
  EXPECT_TRUE(Outbox("120000000").empty());  // a prefix of another recipient

  auto entries = store_->ScanOutbox("1200000001", 2, 1);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries.value().size(), 1u);
  EXPECT_EQ(entries.value()[0].interface_id, "IF-065");
}

TEST_F(RocksStoreTest, OutboxRecipientsAndFinish) {
  Append({Msg(1, "1100000001", "A", {"1200000001", "1300000001"}),
          Msg(2, "1100000001", "B", {"1300000001"})});
  auto recipients = store_->OutboxRecipients();
  ASSERT_TRUE(recipients.ok());
  EXPECT_EQ(recipients.value(), (std::vector<std::string>{"1200000001", "1300000001"}));

  std::vector<DeliveryOutcome> done = {
      {"1300000001", 1, OutboundStatus::kDelivered, 201, 1, 0, 0, ""},
      {"1200000001", 1, OutboundStatus::kRetriesExhausted, 500, 20, 0, 0, ""}};
  ASSERT_TRUE(store_->RecordOutcomes(done).ok());
  EXPECT_EQ(Outbox("1300000001"), (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(Outbox("1200000001").empty());
  recipients = store_->OutboxRecipients();
  ASSERT_TRUE(recipients.ok());
  EXPECT_EQ(recipients.value(), (std::vector<std::string>{"1300000001"}));
  // The message itself stays readable after delivery.
  std::vector<std::uint64_t> seqs = {1};
  EXPECT_TRUE(store_->GetMessages(seqs).ok());
}

TEST_F(RocksStoreTest, DataSurvivesCloseAndReopen) {
  Append({Msg(5, "1100000001", "A", {"1200000001"}), Msg(6, "1100000001", "B", {"1200000001"})});
  ASSERT_TRUE(store_->PutMeta("instance", "00AF").ok());
  ASSERT_TRUE(store_->PutParticipantOverride("1200000001", "dip_id: \"1200000001\"").ok());
  Open();
  EXPECT_EQ(store_->LastSeq(), 6u);
  EXPECT_TRUE(store_->IsDuplicate("1100000001", "A").value());
  EXPECT_EQ(Outbox("1200000001"), (std::vector<std::uint64_t>{5, 6}));
  std::vector<std::uint64_t> seqs = {5};
  auto got = store_->GetMessages(seqs);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value()[0].sender_unique_reference, "A");
  EXPECT_EQ(store_->GetMeta("instance").value(), "00AF");
  auto overrides = store_->ParticipantOverrides();
  ASSERT_TRUE(overrides.ok());
  ASSERT_EQ(overrides.value().size(), 1u);
  EXPECT_EQ(overrides.value()[0].first, "1200000001");
}

// The write-ahead log is compressed (StoreOptions::compress_wal): alike messages take a
// fraction of their size in it, and a store written with or without compression reopens
// either way, its messages replayed from the log.
TEST_F(RocksStoreTest, CompressedWalIsSmallAndReopensEitherWay) {
  const std::string dir = dir_.path() + "/wal";
  auto open = [&](bool compress) {
    StoreOptions o;
    o.compress_wal = compress;
    auto s = OpenRocksStore(dir, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  };
  auto log_bytes = [&] {
    std::uintmax_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".log") n += e.file_size();
    }
    return n;
  };
  constexpr std::uint64_t kMessages = 200;
  std::size_t raw_bytes = 0;
  {
    std::unique_ptr<Store> store = open(true);
    ASSERT_TRUE(store);
    for (std::uint64_t seq = 1; seq <= kMessages; ++seq) {
      MessageRecord m = Msg(seq, "1100000001", "C" + std::to_string(seq), {"1200000001"});
      m.raw = "{\"payload\":{\"n\":" + std::to_string(seq) + ",\"pad\":\"" +
              std::string(3000, 'a' + seq % 7) + "\"}}";
      raw_bytes += m.raw.size();
      const MessageRecord* ptrs[] = {&m};
      ASSERT_TRUE(store->Append(ptrs, Durability::kFsync).ok());
    }
  }
  EXPECT_LT(log_bytes(), raw_bytes / 4) << "the log holds " << log_bytes() << " bytes";
  {
    std::unique_ptr<Store> store = open(false);  // reads the compressed log
    ASSERT_TRUE(store);
    EXPECT_EQ(store->LastSeq(), kMessages);
    std::vector<std::uint64_t> seqs = {kMessages};
    auto got = store->GetMessages(seqs);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got.value()[0].sender_unique_reference, "C200");
    MessageRecord m = Msg(kMessages + 1, "1100000001", "PLAIN", {"1200000001"});
    const MessageRecord* ptrs[] = {&m};
    ASSERT_TRUE(store->Append(ptrs, Durability::kFsync).ok());
  }
  std::unique_ptr<Store> store = open(true);  // reads a log with plain records too
  ASSERT_TRUE(store);
  EXPECT_EQ(store->LastSeq(), kMessages + 1);
  EXPECT_TRUE(store->IsDuplicate("1100000001", "PLAIN").value());
  EXPECT_TRUE(store->IsDuplicate("1100000001", "C1").value());
}

// The memtable options (one-thread inserts, insert hints per recipient, byref's Bloom filter)
// are not part of the store's files, and SST files keep the checksum type and block size they
// were written with: a store written by this version (messages in 32 KiB blocks) opens with
// RocksDB's default options (as diphub before them opened it), which flush what its log held
// into SSTs of 4 KiB blocks checksummed with CRC32c; and that store opens here again, every
// message, reference and pending delivery read back, and takes new writes.
TEST_F(RocksStoreTest, StoreOpensWithAndWithoutTheMemtableAndTableOptions) {
  const std::string dir = dir_.path() + "/compat";
  StoreOptions small;
  small.memtable_bytes = 1u << 20;  // several flushes on the way
  const std::vector<std::string> to = {"1200000001", "1300000001"};
  constexpr std::uint64_t kMessages = 600;
  auto append = [&](Store& store, std::uint64_t first, std::uint64_t last) {
    for (std::uint64_t seq = first; seq <= last; ++seq) {
      MessageRecord m = Msg(seq, "1100000001", "R" + std::to_string(seq), to);
      m.raw = "{\"payload\":{\"n\":" + std::to_string(seq) + ",\"pad\":\"" +
              std::string(3000, 'a' + seq % 7) + "\"}}";
      const MessageRecord* ptrs[] = {&m};
      ASSERT_TRUE(store.Append(ptrs, Durability::kOsBuffered).ok());
    }
  };
  {
    auto s = OpenRocksStore(dir, small);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    append(*s.value(), 1, kMessages);
  }
  {
    // As an older diphub: RocksDB's defaults, SST blocks checksummed with CRC32c.
    rocksdb::BlockBasedTableOptions table;
    table.checksum = rocksdb::kCRC32c;
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : layout::kCfNames) cfs.emplace_back(name, cf);
    rocksdb::DBOptions db_options;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(db_options, dir, cfs, &handles, &raw);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value;
    EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), handles[layout::kMessages],
                        layout::SeqKey(kMessages), &value)
                    .ok());
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), h).ok());
      db->DestroyColumnFamilyHandle(h);
    }
    ASSERT_TRUE(db->Close().ok());
  }
  auto s = OpenRocksStore(dir, small);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Store& store = *s.value();
  EXPECT_EQ(store.LastSeq(), kMessages);
  append(store, kMessages + 1, kMessages + 50);
  std::vector<std::uint64_t> all;
  for (std::uint64_t seq = 1; seq <= kMessages + 50; ++seq) all.push_back(seq);
  auto got = store.GetMessages(all);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  for (std::uint64_t seq = 1; seq <= kMessages + 50; ++seq) {
    EXPECT_EQ(got.value()[seq - 1].sender_unique_reference, "R" + std::to_string(seq));
    EXPECT_TRUE(store.IsDuplicate("1100000001", "R" + std::to_string(seq)).value()) << seq;
  }
  EXPECT_FALSE(store.IsDuplicate("1100000001", "R0").value());
  for (const std::string& r : to) {
    auto pending = store.ScanOutbox(r, 0, 10'000);
    ASSERT_TRUE(pending.ok()) << pending.status().ToString();
    ASSERT_EQ(pending.value().size(), kMessages + 50) << r;
    for (std::size_t i = 0; i < pending.value().size(); ++i) {
      EXPECT_EQ(pending.value()[i].seq, i + 1) << r;
    }
  }
}

TEST_F(RocksStoreTest, ParticipantOverridesRoundTrip) {
  ASSERT_TRUE(store_->PutParticipantOverride("1300000001", "role: SUP").ok());
  ASSERT_TRUE(store_->PutParticipantOverride("1200000001", "role: MDR").ok());
  ASSERT_TRUE(store_->PutParticipantOverride("1300000001", "").ok());  // deleted at run time
  auto o = store_->ParticipantOverrides();
  ASSERT_TRUE(o.ok());
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(o.value(), (std::vector<Pair>{{"1200000001", "role: MDR"}, {"1300000001", ""}}));
}

TEST_F(RocksStoreTest, MetaRoundTrip) {
  EXPECT_EQ(store_->GetMeta("absent").value(), "");
  ASSERT_TRUE(store_->PutMeta("k", "v1").ok());
  ASSERT_TRUE(store_->PutMeta("k", "v2").ok());
  EXPECT_EQ(store_->GetMeta("k").value(), "v2");
}

}  // namespace
}  // namespace diphub::storage

namespace diphub::storage {
namespace {

// Retention may remove every message; sequence numbers (and so transaction IDs) must still never
// be reused after a restart.
TEST_F(RocksStoreTest, RetentionKeepsSequenceNumbersMonotonicAcrossRestart) {
  Append({Msg(7, "1100000001", "A", {"1200000001"}), Msg(8, "1100000001", "B", {"1200000001"})});
  std::vector<DeliveryOutcome> done = {
      {"1200000001", 7, OutboundStatus::kDelivered, 201, 1, 0, 0, ""},
      {"1200000001", 8, OutboundStatus::kDelivered, 201, 1, 0, 0, ""}};
  ASSERT_TRUE(store_->RecordOutcomes(done).ok());
  auto removed = store_->Expire(INT64_MAX, 1000);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed.value(), 2u);
  std::vector<std::uint64_t> seqs = {8};
  EXPECT_FALSE(store_->GetMessages(seqs).ok()) << "message 8 should have expired";
  EXPECT_FALSE(store_->IsDuplicate("1100000001", "B").value());
  Open();
  EXPECT_EQ(store_->LastSeq(), 8u);
}

}  // namespace
}  // namespace diphub::storage

namespace diphub::storage {
namespace {

TEST_F(RocksStoreTest, CountRequeuedCountsOnlyThatRequeuesPendingEntries) {
  Append({Msg(1, "1100000001", "A", {"1200000001"}), Msg(2, "1100000001", "B", {"1200000001"}),
          Msg(3, "1100000001", "C", {"1200000001"})});
  std::vector<OutboxEntry> again = {{"1200000001", 1, "IF-061", true, "req-1"},
                                    {"1200000001", 2, "IF-061", true, "req-1"}};
  ASSERT_TRUE(store_->Requeue("1200000001", again).ok());
  EXPECT_EQ(store_->CountRequeued("1200000001", "req-1").value(), 2u);
  EXPECT_EQ(store_->CountRequeued("1200000001", "req-2").value(), 0u);
  EXPECT_EQ(store_->CountRequeued("1300000001", "req-1").value(), 0u);
  std::vector<DeliveryOutcome> done = {
      {"1200000001", 1, OutboundStatus::kDelivered, 201, 1, 0, 0, ""}};
  ASSERT_TRUE(store_->RecordOutcomes(done).ok());
  EXPECT_EQ(store_->CountRequeued("1200000001", "req-1").value(), 1u);
}

}  // namespace
}  // namespace diphub::storage
