// The log entry codec of storage.engine: jetstream: every mutation comes back as written, big
// entries split into parts and come back whole, and a corrupt, unknown or truncated entry is
// refused (never partly applied).
#include "storage/jetstream_entry.h"

#include <gtest/gtest.h>

#include "tests/unit/storage/sample_record.h"

namespace diphub::storage::jetstream {
namespace {

MessageRecord Record(std::uint64_t seq) { return diphub::testing::SampleRecord(seq); }

std::string SampleEntry() {
  MessageRecord r7 = Record(7), r8 = Record(8);
  const MessageRecord* recs[] = {&r7, &r8};
  DeliveryOutcome o{"2000000002", 7, OutboundStatus::kRetriesExhausted, 500, 3, 1700, 12, "boom"};
  OutboxEntry e{"2000000002", 7, "IF-061", true, "rq-1"};
  AppointmentRow row{1234567890123u, 1, 19000, ""};
  EntryBuilder b;
  b.Append(recs);
  b.RecordOutcomes(std::span<const DeliveryOutcome>(&o, 1));
  b.Requeue("2000000002", std::span<const OutboxEntry>(&e, 1));
  b.ClearDeadLetters("2000000002", true);
  b.Expire(-5, 20000);
  b.PutParticipantOverride("4000000004", "dip_id: \"4000000004\"\n");
  b.PutAppointments(std::span<const AppointmentRow>(&row, 1));
  b.PutMeta("paused", "2000000002");
  EXPECT_EQ(b.count(), 8u);
  return b.Finish();
}

TEST(JetStreamEntry, EveryMutationRoundTrips) {
  auto decoded = DecodeEntry(SampleEntry());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const std::vector<Mutation>& m = decoded.value();
  ASSERT_EQ(m.size(), 8u);

  ASSERT_EQ(m[0].kind, MutationKind::kAppend);
  ASSERT_EQ(m[0].records.size(), 2u);
  const MessageRecord& r = m[0].records[1];
  EXPECT_EQ(r.seq, 8u);
  EXPECT_EQ(r.transaction_id, "T8");
  EXPECT_EQ(r.sender_unique_reference, "ref-8");
  EXPECT_EQ(r.recipients, (std::vector<std::string>{"2000000002", "3000000003"}));
  EXPECT_EQ(r.raw, Record(8).raw);
  ASSERT_EQ(r.appointments.size(), 1u);
  EXPECT_EQ(r.appointments[0].mpan, Record(8).appointments[0].mpan);
  EXPECT_EQ(r.appointments[0].slot, 2);
  EXPECT_EQ(r.appointments[0].from_day, 20000);
  EXPECT_EQ(r.appointments[0].party, "2000000002");

  ASSERT_EQ(m[1].kind, MutationKind::kRecordOutcomes);
  ASSERT_EQ(m[1].outcomes.size(), 1u);
  EXPECT_EQ(m[1].outcomes[0].recipient, "2000000002");
  EXPECT_EQ(m[1].outcomes[0].seq, 7u);
  EXPECT_EQ(m[1].outcomes[0].status, OutboundStatus::kRetriesExhausted);
  EXPECT_EQ(m[1].outcomes[0].attempts, 3u);
  EXPECT_EQ(m[1].outcomes[0].detail, "boom");

  ASSERT_EQ(m[2].kind, MutationKind::kRequeue);
  EXPECT_EQ(m[2].recipient, "2000000002");
  ASSERT_EQ(m[2].entries.size(), 1u);
  EXPECT_EQ(m[2].entries[0].seq, 7u);
  EXPECT_TRUE(m[2].entries[0].replay);
  EXPECT_EQ(m[2].entries[0].requeue_id, "rq-1");

  EXPECT_EQ(m[3].kind, MutationKind::kClearDeadLetters);
  EXPECT_TRUE(m[3].requeue);
  EXPECT_EQ(m[4].kind, MutationKind::kExpire);
  EXPECT_EQ(m[4].cutoff_ms, -5);
  EXPECT_EQ(m[4].max_messages, 20000u);
  EXPECT_EQ(m[5].kind, MutationKind::kPutParticipantOverride);
  EXPECT_EQ(m[5].key, "4000000004");
  EXPECT_EQ(m[6].kind, MutationKind::kPutAppointments);
  ASSERT_EQ(m[6].rows.size(), 1u);
  EXPECT_EQ(m[6].rows[0].party, "");
  EXPECT_EQ(m[7].kind, MutationKind::kPutMeta);
  EXPECT_EQ(m[7].value, "2000000002");
}

TEST(JetStreamEntry, RefusesUnknownVersionKindAndCorruptBytes) {
  const std::string good = SampleEntry();

  std::string newer = good;
  newer[2] = 9;  // version
  auto v = DecodeEntry(newer);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().help().find("version 9"), std::string::npos) << v.status().help();

  std::string kind = good;
  kind[4] = 42;  // the first mutation's kind (after magic, version, count)
  auto k = DecodeEntry(kind);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().help().find("unknown kind 42"), std::string::npos) << k.status().help();

  for (std::size_t cut : {good.size() - 1, good.size() / 2, std::size_t{5}, std::size_t{1}}) {
    auto t = DecodeEntry(std::string_view(good).substr(0, cut));
    EXPECT_FALSE(t.ok()) << "truncated to " << cut << " bytes was accepted";
  }
  auto extra = DecodeEntry(good + "x");
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().help().find("corrupt"), std::string::npos);

  auto foreign = DecodeEntry("{\"hello\":1}");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().help().find("entry header"), std::string::npos);
}

TEST(JetStreamEntry, BigEntriesSplitIntoPartsAndComeBackWhole) {
  EntryBuilder b;
  b.PutMeta("big", std::string(10000, 'z'));
  const std::string entry = b.Finish();
  const std::vector<std::string> parts = SplitIntoParts(entry, 1000);
  ASSERT_GT(parts.size(), 10u);
  for (const std::string& p : parts) EXPECT_LE(p.size(), 1000u);

  PartAssembler a;
  std::optional<PartAssembler::Entry> whole;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto r = a.Add(100 + i, parts[i]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (i + 1 < parts.size()) {
      EXPECT_FALSE(r.value().has_value());
    }
    whole = r.value();
  }
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->first_seq, 100u);
  EXPECT_EQ(whole->last_seq, 100u + parts.size() - 1);
  EXPECT_EQ(whole->bytes, entry);
}

TEST(JetStreamEntry, AChainCutShortIsDroppedAndTheNextEntryStillComes) {
  EntryBuilder b;
  b.PutMeta("big", std::string(5000, 'z'));
  const std::vector<std::string> cut = SplitIntoParts(b.Finish(), 1000);
  b.PutMeta("small", "v");
  const std::string next = b.Finish();
  const std::vector<std::string> one = SplitIntoParts(next, 1000);
  ASSERT_EQ(one.size(), 1u);

  PartAssembler a;
  ASSERT_TRUE(a.Add(1, cut[0]).ok());
  ASSERT_TRUE(a.Add(2, cut[1]).ok());  // its writer stopped here
  auto r = a.Add(3, one[0]);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.value().has_value());
  EXPECT_EQ(r.value()->bytes, next);
  EXPECT_EQ(a.dropped_parts(), 2u);

  auto bad = a.Add(4, "not a part");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace diphub::storage::jetstream
