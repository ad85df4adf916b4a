// The format-5 layout: pending deliveries derived from a per-recipient cursor plus explicit
// (requeued) entries, the journal derived from the record and the outcomes, and the journal
// look-up of status records.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/unit/storage/store_fixture.h"

namespace diphub::storage {
namespace {

constexpr const char* kTo = "1200000001";
constexpr const char* kOther = "1300000001";

MessageRecord Msg(std::uint64_t seq, std::string ref, std::vector<std::string> recipients,
                  std::string iface = "IF-061") {
  MessageRecord r;
  r.seq = seq;
  r.transaction_id = "T-" + std::to_string(seq);
  r.transaction_timestamp = "2025-08-11T08:30:00+00:00";
  r.accepted_unix_ms = 1000 + static_cast<std::int64_t>(seq);
  r.interface_id = std::move(iface);
  r.sender_dip_id = "1100000001";
  r.sender_role = "SDS";
  r.sender_unique_reference = std::move(ref);
  r.primary_recipients = recipients;
  r.recipients = std::move(recipients);
  r.raw = "{}";
  return r;
}

DeliveryOutcome Outcome(std::string to, std::uint64_t seq, OutboundStatus s, std::uint32_t attempt,
                        std::int64_t ms) {
  return {std::move(to), seq, s, s == OutboundStatus::kDelivered ? 201 : 503, attempt, ms, 5, ""};
}

class DeliveryStateTest : public StoreFixture {
 protected:
  void Record(std::vector<DeliveryOutcome> outcomes) {
    ASSERT_TRUE(store_->RecordOutcomes(outcomes).ok());
  }
  std::vector<std::uint64_t> Pending(const std::string& to) {
    std::vector<std::uint64_t> seqs;
    auto r = store_->ScanOutbox(to, 0, 100);
    EXPECT_TRUE(r.ok());
    if (r.ok()) {
      for (const OutboxEntry& e : r.value()) seqs.push_back(e.seq);
    }
    return seqs;
  }
  std::uint64_t Count(const std::string& to) { return store_->CountOutbox(to).value(); }
  std::vector<std::string> Recipients() { return store_->OutboxRecipients().value(); }
  // "stage status recipient attempt" per journal row of the first message with `ref`.
  std::vector<std::string> JournalOf(const std::string& ref, std::size_t which = 0) {
    std::vector<std::string> out;
    auto j = store_->Journal(ref);
    EXPECT_TRUE(j.ok());
    if (!j.ok() || j.value().size() <= which) return out;
    for (const JournalRow& r : j.value()[which].second) {
      out.push_back(
          std::string(JournalStageName(r.stage)) + " " + r.status +
          (r.recipient.empty() ? "" : " " + r.recipient + " " + std::to_string(r.attempt)));
    }
    return out;
  }
};

TEST_F(DeliveryStateTest, FinalOutcomesMoveTheCursorAndSurviveReopen) {
  Append({Msg(1, "A", {kTo, kOther}), Msg(2, "B", {kTo}), Msg(3, "C", {kTo, kOther})});
  EXPECT_EQ(Pending(kTo), (std::vector<std::uint64_t>{1, 2, 3}));
  Record({Outcome(kTo, 1, OutboundStatus::kDelivered, 1, 10),
          Outcome(kTo, 2, OutboundStatus::kRetrying, 1, 11)});
  EXPECT_EQ(Pending(kTo), (std::vector<std::uint64_t>{2, 3}));  // Retrying is not final
  EXPECT_EQ(Count(kTo), 2u);
  EXPECT_FALSE(store_->GetOutbox(kTo, 1).value());
  ASSERT_TRUE(store_->GetOutbox(kTo, 2).value());
  EXPECT_EQ(store_->GetOutbox(kTo, 2).value()->interface_id, "IF-061");
  EXPECT_EQ(Pending(kOther), (std::vector<std::uint64_t>{1, 3}));  // another recipient's cursor
  Record({Outcome(kTo, 2, OutboundStatus::kRejectedByRecipient, 2, 12),
          Outcome(kTo, 3, OutboundStatus::kDelivered, 1, 12)});
  EXPECT_TRUE(Pending(kTo).empty());
  EXPECT_EQ(Count(kTo), 0u);
  EXPECT_EQ(Recipients(), (std::vector<std::string>{kOther}));

  Open();
  EXPECT_TRUE(Pending(kTo).empty());
  EXPECT_EQ(Pending(kOther), (std::vector<std::uint64_t>{1, 3}));
  Append({Msg(4, "D", {kTo})});  // a new publication is pending past the stored cursor
  EXPECT_EQ(Pending(kTo), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(Recipients(), (std::vector<std::string>{kTo, kOther}));
}

TEST_F(DeliveryStateTest, RequeuedEntriesMergeWithTheBacklogInSeqOrder) {
  Append({Msg(1, "A", {kTo}), Msg(2, "B", {kTo}), Msg(3, "C", {kTo}), Msg(4, "D", {kTo})});
  Record({Outcome(kTo, 1, OutboundStatus::kDelivered, 1, 10),
          Outcome(kTo, 2, OutboundStatus::kDelivered, 1, 10)});
  // 1 was delivered (behind the cursor); 3 is still pending and requeued too.
  std::vector<OutboxEntry> rq = {{kTo, 1, "IF-061", true, "rq1"}, {kTo, 3, "IF-061", true, "rq1"}};
  ASSERT_TRUE(store_->Requeue(kTo, rq).ok());
  auto scan = store_->ScanOutbox(kTo, 0, 100).value();
  ASSERT_EQ(scan.size(), 3u);
  EXPECT_EQ(scan[0].seq, 1u);
  EXPECT_TRUE(scan[0].replay);
  EXPECT_EQ(scan[1].seq, 3u);
  EXPECT_TRUE(scan[1].replay);  // one entry for 3, the requeued one
  EXPECT_EQ(scan[2].seq, 4u);
  EXPECT_FALSE(scan[2].replay);
  EXPECT_EQ(Count(kTo), 3u);
  EXPECT_EQ(store_->CountRequeued(kTo, "rq1").value(), 2u);

  Record({Outcome(kTo, 1, OutboundStatus::kDelivered, 1, 20)});
  EXPECT_EQ(Pending(kTo), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_EQ(store_->CountRequeued(kTo, "rq1").value(), 1u);
  // Both deliveries of message 1 stay in its journal.
  EXPECT_EQ(JournalOf("A"), (std::vector<std::string>{"Inbound Accepted", "Addressing Routed",
                                                      "Outbound Delivered 1200000001 1",
                                                      "Outbound Delivered 1200000001 1"}));
  Record({Outcome(kTo, 3, OutboundStatus::kDelivered, 1, 21),
          Outcome(kTo, 4, OutboundStatus::kDelivered, 1, 21)});
  EXPECT_TRUE(Pending(kTo).empty());
  Open();  // explicit entries are found again after a restart
  EXPECT_TRUE(Pending(kTo).empty());
  EXPECT_TRUE(Recipients().empty());
}

TEST_F(DeliveryStateTest, JournalIsDerivedFromTheRecordAndOutcomesInTimeOrder) {
  Append({Msg(7, "REF", {kTo, kOther})});
  Record({Outcome(kOther, 7, OutboundStatus::kRetrying, 1, 30),
          Outcome(kTo, 7, OutboundStatus::kDelivered, 1, 20)});
  Record({Outcome(kOther, 7, OutboundStatus::kDelivered, 2, 40)});
  auto j = store_->Journal("REF").value();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].first, 7u);
  const auto& rows = j[0].second;
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].detail, "T-7");  // Inbound carries the transaction ID
  EXPECT_EQ(rows[0].unix_ms, 1007);
  EXPECT_EQ(rows[1].detail, "1200000001,1300000001");  // Addressing: the resolved recipients
  EXPECT_EQ(JournalOf("REF"),
            (std::vector<std::string>{
                "Inbound Accepted", "Addressing Routed", "Outbound Delivered 1200000001 1",
                "Outbound Retrying 1300000001 1", "Outbound Delivered 1300000001 2"}));
  EXPECT_EQ(rows[2].http_status, 201);
  EXPECT_EQ(rows[3].http_status, 503);
}

TEST_F(DeliveryStateTest, JournalFindsEverySenderAndStatusRecordsOfAReference) {
  MessageRecord other_sender = Msg(2, "SAME", {kTo});
  other_sender.sender_dip_id = "1400000001";
  MessageRecord status = Msg(3, "SAME", {"1100000001"}, std::string(kStatusInterface));
  status.sender_dip_id = kTo;
  Append({Msg(1, "SAME", {kTo}), other_sender, status, Msg(4, "SAMEX", {kTo})});
  auto j = store_->Journal("SAME").value();
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0].first, 1u);
  EXPECT_EQ(j[1].first, 2u);
  EXPECT_EQ(j[2].first, 3u);
  // A status record has no duplicate-check key: the reporter may report again.
  EXPECT_FALSE(store_->IsDuplicate(kTo, "SAME").value());
  EXPECT_TRUE(store_->IsDuplicate("1400000001", "SAME").value());
}

TEST_F(DeliveryStateTest, RetentionKeepsWhatIsPendingForAnyRecipient) {
  Append({Msg(1, "A", {kTo, kOther}), Msg(2, "B", {kTo}), Msg(3, "C", {kTo})});
  Record({Outcome(kTo, 1, OutboundStatus::kDelivered, 1, 10),
          Outcome(kTo, 2, OutboundStatus::kRetriesExhausted, 3, 10)});
  // 1 is pending for kOther, 3 for kTo: only 2 (dead-lettered, final) goes.
  EXPECT_EQ(store_->Expire(5000, 100).value(), 1u);
  std::vector<std::uint64_t> two = {2};
  EXPECT_FALSE(store_->GetMessages(two).ok());
  EXPECT_FALSE(store_->IsDuplicate("1100000001", "B").value());
  EXPECT_TRUE(store_->Journal("B").value().empty());
  EXPECT_TRUE(store_->DeadLetters(kTo, 10).value().empty());
  EXPECT_EQ(Pending(kTo), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(Pending(kOther), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(store_->LastSeq(), 3u);
}

TEST_F(DeliveryStateTest, DeadLetterReplayIsPendingAgain) {
  Append({Msg(1, "A", {kTo}), Msg(2, "B", {kTo})});
  Record({Outcome(kTo, 1, OutboundStatus::kRetriesExhausted, 3, 10),
          Outcome(kTo, 2, OutboundStatus::kDelivered, 1, 11)});
  EXPECT_TRUE(Pending(kTo).empty());
  ASSERT_EQ(store_->DeadLetters(kTo, 10).value().size(), 1u);
  EXPECT_EQ(store_->ClearDeadLetters(kTo, true).value(), 1u);
  EXPECT_EQ(Pending(kTo), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(Count(kTo), 1u);
  EXPECT_EQ(store_->CountRequeued(kTo, "deadletters").value(), 1u);
  Record({Outcome(kTo, 1, OutboundStatus::kDelivered, 1, 20)});
  EXPECT_TRUE(Pending(kTo).empty());
}

}  // namespace
}  // namespace diphub::storage
