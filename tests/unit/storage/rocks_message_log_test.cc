// The RocksDB store with its message log (format 6): raw bytes in the log, records in RocksDB,
// and what an open does when the two disagree after a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/message_log.h"
#include "storage/store.h"
#include "tests/unit/storage/store_fixture.h"

namespace diphub::storage {
namespace {

namespace fs = std::filesystem;

MessageRecord Msg(std::uint64_t seq, std::string ref, std::vector<std::string> recipients,
                  std::size_t raw_bytes = 100) {
  MessageRecord r;
  r.seq = seq;
  r.transaction_id = "T-" + std::to_string(seq);
  r.transaction_timestamp = "2025-08-11T08:30:00+00:00";
  r.accepted_unix_ms = 1700000000000 + static_cast<std::int64_t>(seq);
  r.interface_id = "IF-061";
  r.sender_dip_id = "1100000001";
  r.sender_role = "SDS";
  r.sender_unique_reference = std::move(ref);
  r.primary_recipients = recipients;
  r.recipients = std::move(recipients);
  r.raw = "{\"n\":" + std::to_string(seq) + ",\"pad\":\"" +
          std::string(raw_bytes, static_cast<char>('a' + seq % 26)) + "\"}";
  return r;
}

class RocksMessageLogTest : public StoreFixture {
 protected:
  std::string LogDir() const { return dir_.path() + "/db/message-log"; }
  std::uint64_t LogBytes() const {
    std::uint64_t n = 0;
    for (const auto& e : fs::directory_iterator(LogDir())) n += fs::file_size(e.path());
    return n;
  }
  std::vector<std::uint64_t> Outbox(const std::string& recipient) {
    auto r = store_->ScanOutbox(recipient, 0, 1000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::uint64_t> seqs;
    if (r.ok()) {
      for (const OutboxEntry& e : r.value()) seqs.push_back(e.seq);
    }
    return seqs;
  }
  std::string RawOf(std::uint64_t seq) {
    std::vector<std::uint64_t> seqs = {seq};
    auto got = store_->GetMessages(seqs);
    return got.ok() ? got.value()[0].raw : "error: " + got.status().help();
  }
};

// The raw bytes are in the log, not in RocksDB: the log grows by about the messages' size, and
// every message reads back the same from the recent commits, after a restart, and mixed.
TEST_F(RocksMessageLogTest, MessagesKeepTheirBytesInTheLogAndReadTheSame) {
  const std::uint64_t empty = LogBytes();
  std::vector<MessageRecord> sent;
  for (std::uint64_t seq = 1; seq <= 20; ++seq)
    sent.push_back(Msg(seq, "R" + std::to_string(seq), {"1200000001"}, 3000));
  Append(std::vector<MessageRecord>(sent.begin(), sent.begin() + 10));
  Append(std::vector<MessageRecord>(sent.begin() + 10, sent.end()));
  std::uint64_t raw_total = 0;
  for (const MessageRecord& m : sent) raw_total += m.raw.size();
  EXPECT_GE(LogBytes() - empty, raw_total);
  EXPECT_LT(LogBytes() - empty, raw_total + 20 * 64 + 2 * MessageLog::kBlock);  // 2 writes
  EXPECT_EQ(store_->GetStats().message_log_bytes, LogBytes());
  std::vector<std::uint64_t> seqs = {20, 3, 11};
  auto recent = store_->GetMessages(seqs);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  Open();
  Append({Msg(21, "R21", {"1200000001"})});
  std::vector<std::uint64_t> mixed = {20, 21, 3, 11};
  auto views = store_->GetMessageViews(mixed);
  ASSERT_TRUE(views.ok()) << views.status().ToString();
  EXPECT_EQ(views.value()[0].raw, sent[19].raw);
  EXPECT_EQ(views.value()[1].raw, Msg(21, "R21", {"1200000001"}).raw);
  EXPECT_EQ(views.value()[2].raw, sent[2].raw);
  EXPECT_EQ(views.value()[3].raw, sent[10].raw);
  for (std::size_t i : {0u, 2u, 3u}) {
    EXPECT_EQ(EncodeMessage(views.value().Record(i)),
              EncodeMessage(recent.value()[i == 0 ? 0 : i - 1]));
  }
  auto journal = store_->Journal("R3");
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  ASSERT_EQ(journal.value().size(), 1u);
  EXPECT_EQ(journal.value()[0].first, 3u);
}

// A power loss after RocksDB's log reached the disk but before the message log did: the
// records of the last messages point past the log's end. They were never acknowledged (the
// message log is synced before every 201); the open removes them with their keys: no pending
// delivery, no duplicate check, no journal, and their seqs are not given out again.
TEST_F(RocksMessageLogTest, RecordsWhoseBytesNeverReachedTheLogAreRemovedAtOpen) {
  Append({Msg(1, "A", {"1200000001"}), Msg(2, "B", {"1200000001", "1300000001"})});
  const std::uint64_t whole = LogBytes();
  Append({Msg(3, "C", {"1200000001"}), Msg(4, "D", {"1300000001"})});
  store_.reset();
  // Of the second write, only part of its first record reached the disk.
  fs::resize_file(LogDir() + "/000001.msg", whole + 30);
  Open();
  EXPECT_EQ(Outbox("1200000001"), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(Outbox("1300000001"), (std::vector<std::uint64_t>{2}));
  EXPECT_FALSE(store_->IsDuplicate("1100000001", "C").value());
  EXPECT_FALSE(store_->IsDuplicate("1100000001", "D").value());
  EXPECT_TRUE(store_->IsDuplicate("1100000001", "B").value());
  EXPECT_EQ(RawOf(2), Msg(2, "B", {}).raw);
  EXPECT_EQ(RawOf(3).rfind("error: ", 0), 0u);
  auto journal = store_->Journal("C");
  ASSERT_TRUE(journal.ok());
  EXPECT_TRUE(journal.value().empty());
  EXPECT_EQ(store_->LastSeq(), 4u);  // 3 and 4 are not reused
  EXPECT_EQ(LogBytes(), whole);      // the torn record was cut
  // The next messages go where the removed ones were, and read back.
  Append({Msg(5, "C", {"1200000001"})});
  EXPECT_EQ(Outbox("1200000001"), (std::vector<std::uint64_t>{1, 2, 5}));
  Open();
  EXPECT_EQ(RawOf(5), Msg(5, "C", {}).raw);
  EXPECT_EQ(RawOf(1), Msg(1, "A", {}).raw);
}

// The other way round: the message log has records no stored message refers to (RocksDB's
// write of their batch was lost, or failed). The open cuts them, so the log ends with the last
// stored message's bytes.
TEST_F(RocksMessageLogTest, LogRecordsNoMessageRefersToAreCutAtOpen) {
  Append({Msg(1, "A", {"1200000001"})});
  const std::uint64_t referenced = LogBytes();
  store_.reset();
  {
    auto log = MessageLog::Open(LogDir(), {});
    ASSERT_TRUE(log.ok());
    std::string orphan(500, 'o');
    std::string_view views[] = {orphan, orphan};
    ASSERT_TRUE(log.value()->Append(views).ok());
  }
  EXPECT_GT(LogBytes(), referenced);
  Open();
  EXPECT_EQ(LogBytes(), referenced);
  Append({Msg(2, "B", {"1200000001"})});
  EXPECT_EQ(RawOf(1), Msg(1, "A", {}).raw);
  EXPECT_EQ(RawOf(2), Msg(2, "B", {}).raw);
}

// A store written without the log (a format-5 store converted at open keeps its messages
// inline) reads its old messages from their records and its new ones from the log; switched
// off again, it still reads the logged ones, and switched back on, it keeps the log whole
// although its newest message is inline.
TEST_F(RocksMessageLogTest, InlineAndLoggedMessagesReadTogether) {
  options_.message_log = false;
  Open();
  Append({Msg(1, "A", {"1200000001"}), Msg(2, "B", {"1200000001"})});
  options_.message_log = true;
  Open();
  Append({Msg(3, "C", {"1200000001"})});
  Open();
  std::vector<std::uint64_t> seqs = {1, 2, 3};
  auto views = store_->GetMessageViews(seqs);
  ASSERT_TRUE(views.ok()) << views.status().ToString();
  EXPECT_EQ(views.value()[0].raw, Msg(1, "A", {}).raw);
  EXPECT_EQ(views.value()[0].raw_at.segment, 0u);
  EXPECT_EQ(views.value()[2].raw, Msg(3, "C", {}).raw);
  EXPECT_EQ(views.value()[2].raw_at.segment, 1u);
  options_.message_log = false;
  Open();
  Append({Msg(4, "D", {"1200000001"})});
  EXPECT_EQ(RawOf(3), Msg(3, "C", {}).raw);
  const std::uint64_t log_bytes = LogBytes();
  options_.message_log = true;
  Open();
  EXPECT_EQ(LogBytes(), log_bytes);
  Append({Msg(5, "E", {"1200000001"})});
  Open();
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    EXPECT_EQ(RawOf(seq), Msg(seq, "", {}).raw) << seq;
  }
  std::vector<std::uint64_t> all = {4, 5};
  auto placed = store_->GetMessageViews(all);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed.value()[0].raw_at.segment, 0u);
  EXPECT_EQ(placed.value()[1].raw_at.segment, 1u);
}

// Retention removes the log's segments once no stored message refers to them; a message still
// pending keeps its segment (and every later one).
TEST_F(RocksMessageLogTest, RetentionDeletesSegmentsNoMessageRefersTo) {
  options_.message_log_segment_bytes = 4096;
  Open();
  for (std::uint64_t seq = 1; seq <= 40; ++seq) {
    Append({Msg(seq, "R" + std::to_string(seq), {"1200000001"}, 1000)});
  }
  std::vector<fs::path> before;
  for (const auto& e : fs::directory_iterator(LogDir())) before.push_back(e.path());
  ASSERT_GT(before.size(), 5u);
  // Delivered up to 20: messages 1..20 may go, 21..40 are pending.
  std::vector<DeliveryOutcome> done;
  for (std::uint64_t seq = 1; seq <= 20; ++seq) {
    DeliveryOutcome o;
    o.recipient = "1200000001";
    o.seq = seq;
    o.status = OutboundStatus::kDelivered;
    o.unix_ms = 1700000000000;
    done.push_back(o);
  }
  ASSERT_TRUE(store_->RecordOutcomes(done).ok());
  auto expired = store_->Expire(INT64_MAX, 1000);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_EQ(expired.value(), 20u);
  std::size_t after = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(LogDir())) ++after;
  EXPECT_LT(after, before.size());
  EXPECT_GT(after, 1u);
  for (std::uint64_t seq = 21; seq <= 40; ++seq) {
    EXPECT_EQ(RawOf(seq), Msg(seq, "", {}, 1000).raw) << seq;
  }
  Open();
  EXPECT_EQ(RawOf(21), Msg(21, "", {}, 1000).raw);
}

}  // namespace
}  // namespace diphub::storage
