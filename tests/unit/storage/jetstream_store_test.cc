// storage.engine: jetstream against a real single-node JetStream server (nats-server started by
// the test on 127.0.0.1, data in temp dirs): a new node on an empty data dir rebuilds the same
// state from the stream; a node whose view is behind resumes without applying anything twice;
// a second writer fences the first; a stopped server fails calls without hanging or applying.
#include "storage/jetstream_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "storage/jetstream_log.h"
#include "tests/support/jetstream_server.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/storage/sample_record.h"

namespace diphub::storage {
namespace {

constexpr const char* kTo1 = diphub::testing::kRecordTo1;
constexpr const char* kTo2 = diphub::testing::kRecordTo2;
constexpr const char* kSender = diphub::testing::kRecordSender;

MessageRecord Record(std::uint64_t seq, std::size_t raw_bytes = 0) {
  return diphub::testing::SampleRecord(seq, raw_bytes);
}

// Everything a user of the hub could see of a store, as one comparable text.
std::string Snapshot(Store* s) {
  std::string out = "last=" + std::to_string(s->LastSeq()) + "\n";
  for (std::uint64_t seq = 1; seq <= s->LastSeq(); ++seq) {
    std::uint64_t one[] = {seq};
    auto m = s->GetMessages(one);
    if (!m.ok()) {
      out += "missing " + std::to_string(seq) + "\n";
      continue;
    }
    const MessageRecord& r = m.value()[0];
    out += "msg " + std::to_string(seq) + " " + r.transaction_id + " " + r.sender_unique_reference +
           " raw=" + std::to_string(r.raw.size()) + "\n";
    auto j = s->Journal(r.sender_unique_reference);
    if (j.ok()) {
      for (const auto& [jseq, rows] : j.value()) {
        for (const JournalRow& row : rows) {
          out += "  journal " + std::to_string(jseq) + " " + row.status + " " + row.recipient +
                 " " + std::to_string(row.attempt) + "\n";
        }
      }
    }
  }
  for (const char* to : {kTo1, kTo2}) {
    auto ob = s->ScanOutbox(to, 0, 1000);
    out += std::string("outbox ") + to + ":";
    if (ob.ok()) {
      for (const OutboxEntry& e : ob.value()) {
        out += " " + std::to_string(e.seq) + (e.replay ? "r" : "") + e.requeue_id;
      }
    }
    out += "\n";
    auto dl = s->DeadLetters(to, 1000);
    out += std::string("dead ") + to + ":";
    if (dl.ok()) {
      for (const DeliveryOutcome& o : dl.value()) out += " " + std::to_string(o.seq);
    }
    out += "\n";
  }
  auto po = s->ParticipantOverrides();
  if (po.ok()) {
    for (const auto& [id, text] : po.value()) out += "participant " + id + "=" + text + "\n";
  }
  (void)s->ScanAppointments([&out](const AppointmentRow& a) {
    out += "appointment " + std::to_string(a.mpan) + "/" + std::to_string(a.slot) + "=" + a.party +
           "\n";
    return true;
  });
  for (const char* key : {"paused", "instance_tag", "after"}) {
    auto v = s->GetMeta(key);
    out += std::string("meta ") + key + "=" + (v.ok() ? v.value() : "?") + "\n";
  }
  return out;
}

class JetStreamStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(testing::JetStreamServer::Binary().empty())
        << "nats-server is not installed (scripts/setup installs it)";
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
    options_.servers = {server_.url()};
    options_.replicas = 1;
    options_.ack_timeout_ms = 1000;
    options_.on_fatal = [this](const std::string& reason) {
      std::lock_guard lock(fatal_mu_);
      fatal_ = reason;
    };
  }

  std::unique_ptr<Store> Open(const std::string& dir) {
    auto s = OpenJetStreamStore(dir, StoreOptions{}, options_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  static void Append(Store* s, std::vector<MessageRecord> msgs) {
    std::vector<const MessageRecord*> ptrs;
    for (const MessageRecord& m : msgs) ptrs.push_back(&m);
    dip::Status st = s->Append(ptrs, Durability::kFsync);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::string fatal() {
    std::lock_guard lock(fatal_mu_);
    return fatal_;
  }

  testing::JetStreamServer server_;
  testing::TempDir dir_;
  JetStreamOptions options_;
  std::mutex fatal_mu_;
  std::string fatal_;
};

TEST_F(JetStreamStoreTest, ANewNodeOnAnEmptyDataDirRebuildsTheSameState) {
  auto a = Open(dir_.File("a"));
  ASSERT_TRUE(a);
  Append(a.get(), {Record(1), Record(2), Record(3)});
  // Bigger than the server's max payload (1 MiB): published as a chain of parts.
  Append(a.get(), {Record(4, 1500000), Record(5)});
  // Concurrent writers (two committers and the recorder, say): merged into rounds.
  std::vector<std::thread> writers;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::uint64_t seq = 6 + static_cast<std::uint64_t>(t * 10 + i);
        MessageRecord r = Record(seq);
        const MessageRecord* p[] = {&r};
        if (!a->Append(p, Durability::kFsync).ok()) ++failed;
      }
    });
  }
  for (std::thread& w : writers) w.join();
  ASSERT_EQ(failed.load(), 0);
  const DeliveryOutcome outcomes[] = {
      {kTo1, 1, OutboundStatus::kDelivered, 200, 1, 1700000001000, 5, ""},
      {kTo1, 2, OutboundStatus::kRetriesExhausted, 500, 20, 1700000002000, 5, "boom"},
      {kTo2, 1, OutboundStatus::kRetrying, 503, 1, 1700000003000, 5, "busy"},
  };
  ASSERT_TRUE(a->RecordOutcomes(outcomes).ok());
  const OutboxEntry requeue[] = {{kTo1, 1, "IF-061", true, "rq-1"}};
  ASSERT_TRUE(a->Requeue(kTo1, requeue).ok());
  ASSERT_TRUE(a->PutMeta("paused", kTo2).ok());
  ASSERT_TRUE(a->PutMeta("instance_tag", "ABCD").ok());
  ASSERT_TRUE(a->PutParticipantOverride("4000000004", "dip_id: \"4000000004\"\n").ok());
  const AppointmentRow rows[] = {{1111111111111u, 1, 19000, kTo2}};
  ASSERT_TRUE(a->PutAppointments(rows).ok());
  auto cleared = a->ClearDeadLetters(kTo1, true);
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared.value(), 1u);
  // Last, a final outcome (the entry a reopened view resumes from).
  const DeliveryOutcome last[] = {
      {kTo1, 3, OutboundStatus::kDelivered, 200, 1, 1700000005000, 5, ""}};
  ASSERT_TRUE(a->RecordOutcomes(last).ok());

  const std::string before = Snapshot(a.get());
  EXPECT_NE(before.find("last=45"), std::string::npos) << before;
  EXPECT_NE(before.find("raw=1500000"), std::string::npos);

  auto b = Open(dir_.File("b"));  // an empty data dir, the same stream
  ASSERT_TRUE(b);
  EXPECT_EQ(Snapshot(b.get()), before);
  EXPECT_EQ(b->LastSeq(), 45u);
  auto dup = b->IsDuplicate(kSender, "ref-3");
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup.value()) << "the same reference must be refused (MSG1006) after a failover";

  // b writes on; a, reopened, applies only what it lacks: no journal row twice.
  a.reset();
  const DeliveryOutcome more[] = {
      {kTo2, 1, OutboundStatus::kDelivered, 200, 2, 1700000004000, 5, ""}};
  ASSERT_TRUE(b->RecordOutcomes(more).ok());
  ASSERT_TRUE(b->PutMeta("after", "1").ok());
  const std::string later = Snapshot(b.get());
  b.reset();
  a = Open(dir_.File("a"));
  ASSERT_TRUE(a);
  EXPECT_EQ(Snapshot(a.get()), later);
  EXPECT_EQ(fatal(), "");
}

TEST_F(JetStreamStoreTest, ASecondWriterFencesTheFirst) {
  auto a = Open(dir_.File("a"));
  ASSERT_TRUE(a);
  Append(a.get(), {Record(1)});
  auto b = Open(dir_.File("b"));  // took over (a standby promoted while a still runs)
  ASSERT_TRUE(b);
  Append(b.get(), {Record(2)});

  MessageRecord r = Record(3);
  const MessageRecord* p[] = {&r};
  dip::Status s = a->Append(p, Durability::kFsync);
  ASSERT_FALSE(s.ok()) << "a node that lost the stream must not be able to acknowledge";
  EXPECT_NE(s.help().find("fenced"), std::string::npos) << s.ToString();
  for (int i = 0; i < 100 && fatal().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // told after the answer
  }
  EXPECT_NE(fatal().find("fenced"), std::string::npos) << fatal();
  // Nothing applied on the fenced node, and the stream holds only b's entry.
  EXPECT_EQ(a->LastSeq(), 1u);
  auto dup = a->IsDuplicate(kSender, "ref-3");
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(dup.value());
  EXPECT_FALSE(a->PutMeta("later", "x").ok()) << "a fenced node writes nothing more";
  auto c = Open(dir_.File("c"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->LastSeq(), 2u);
  EXPECT_EQ(c->GetMeta("later").value(), "");
}

TEST_F(JetStreamStoreTest, OnAnEmptyStreamTheFirstWriterFencesTheOther) {
  auto a = Open(dir_.File("a"));
  auto b = Open(dir_.File("b"));  // both opened on the empty stream
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(b->PutMeta("first", "b").ok());
  dip::Status s = a->PutMeta("first", "a");
  ASSERT_FALSE(s.ok()) << "the stream was not empty any more";
  EXPECT_NE(s.help().find("fenced"), std::string::npos) << s.ToString();
  EXPECT_EQ(a->GetMeta("first").value(), "");
  auto c = Open(dir_.File("c"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->GetMeta("first").value(), "b");
}

TEST_F(JetStreamStoreTest, AStoppedServerFailsCallsWithinTheAckTimeoutAndItsReturnIsResumed) {
  auto a = Open(dir_.File("a"));
  ASSERT_TRUE(a);
  Append(a.get(), {Record(1)});
  server_.Kill();
  // Once the client has seen the connection close (else a publish already on its way could
  // still land when the server is back, and the node would rightly stop: see the fencing tests).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  MessageRecord r = Record(2);
  const MessageRecord* p[] = {&r};
  std::atomic<bool> returned{false};
  dip::Status s = dip::Status::Ok();
  std::thread caller([&] {
    s = a->Append(p, Durability::kFsync);
    returned = true;
  });
  // ack_timeout_ms is 1 s: a call that has not returned after 15 s hangs.
  for (int i = 0; i < 150 && !returned; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(returned.load()) << "Append hung with the server down";
  caller.join();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), dip::Status::kIoCode) << s.ToString();
  EXPECT_EQ(a->LastSeq(), 1u);
  auto dup = a->IsDuplicate(kSender, "ref-2");
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(dup.value()) << "a message without a PubAck must not be stored";
  // The next call fails too (and also without hanging): the stream cannot be reached.
  EXPECT_FALSE(a->PutMeta("k", "v").ok());
  EXPECT_EQ(a->GetMeta("k").value(), "");

  // The server comes back: the client reconnects, the store finds the stream where it left it
  // and writes again (the node did not have to restart).
  std::string error;
  ASSERT_TRUE(server_.Restart(&error)) << error;
  dip::Status again = dip::Status::Io("not tried");
  for (int i = 0; i < 30 && !again.ok(); ++i) {
    again = a->Append(p, Durability::kFsync);
    if (!again.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(a->LastSeq(), 2u);
  EXPECT_EQ(fatal(), "");
  auto b = Open(dir_.File("b"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->LastSeq(), 2u);
  EXPECT_EQ(b->GetMeta("k").value(), "");
}

// What the store's retry after a lost PubAck relies on: JetStream answers a publish that repeats
// a stored one's Nats-Msg-Id with that one's sequence (a duplicate), even though the stream has
// moved past the expected last sequence; a different id with that stale expectation is fenced.
TEST_F(JetStreamStoreTest, APublishRepeatedWithItsMsgIdIsAnsweredWithTheFirstOnesSequence) {
  auto log = jetstream::Log::Open(options_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  using Error = jetstream::Log::PublishError;
  jetstream::Log::Published first = log.value()->Publish("entry one", 0, "writer.0");
  ASSERT_EQ(first.error, Error::kNone) << first.detail;
  EXPECT_FALSE(first.duplicate);
  jetstream::Log::Published again = log.value()->Publish("entry one", 0, "writer.0");
  ASSERT_EQ(again.error, Error::kNone) << again.detail;
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.seq, first.seq);
  EXPECT_EQ(log.value()->Publish("entry two", 0, "writer.0b").error, Error::kFenced);
  jetstream::Log::Published next = log.value()->Publish("entry two", first.seq, "writer.1");
  ASSERT_EQ(next.error, Error::kNone) << next.detail;
  EXPECT_EQ(next.seq, first.seq + 1);
  auto state = log.value()->GetState();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state.value().messages, 2u);
}

// A publish whose PubAck does not come in time (the server paused past ack_timeout_ms, as when
// a nats node dies with the publish or the stream elects a leader) is published again with its
// Nats-Msg-Id: the call succeeds once the server answers, the message is stored once, and the
// node goes on writing. (It failed before: the call was refused although the entry had landed,
// and the next round found the stream moved and stopped the node.)
TEST_F(JetStreamStoreTest, APublishWhosePubAckIsLateIsStoredOnceAndTheNodeGoesOn) {
  auto a = Open(dir_.File("a"));
  ASSERT_TRUE(a);
  Append(a.get(), {Record(1)});
  server_.Pause();
  MessageRecord r = Record(2);
  const MessageRecord* p[] = {&r};
  dip::Status s = dip::Status::Io("not returned");
  std::thread caller([&] { s = a->Append(p, Durability::kFsync); });
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // ack_timeout_ms is 1 s
  server_.Resume();
  caller.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(a->LastSeq(), 2u);
  Append(a.get(), {Record(3)});
  EXPECT_EQ(fatal(), "");
  auto b = Open(dir_.File("b"));
  ASSERT_TRUE(b);
  EXPECT_EQ(Snapshot(b.get()), Snapshot(a.get()));
}

TEST_F(JetStreamStoreTest, RefusesAStreamConfiguredOtherwiseAndARocksDbDataDir) {
  {
    auto a = Open(dir_.File("a"));
    ASSERT_TRUE(a);
  }
  JetStreamOptions other = options_;
  other.subject = "other.log";
  auto s = OpenJetStreamStore(dir_.File("b"), StoreOptions{}, other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().help().find("diphub.log"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().help().find("other.log"), std::string::npos) << s.status().ToString();

  other = options_;
  other.replicas = 3;
  s = OpenJetStreamStore(dir_.File("b"), StoreOptions{}, other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().help().find("1 replicas"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().help().find("replicas is 3"), std::string::npos) << s.status().ToString();

  {
    auto rocks = OpenRocksStore(dir_.File("r"));
    ASSERT_TRUE(rocks.ok());
    ASSERT_TRUE(rocks.value()->PutMeta("instance_tag", "1234").ok());
  }
  s = OpenJetStreamStore(dir_.File("r"), StoreOptions{}, options_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().help().find("storage.engine rocksdb"), std::string::npos)
      << s.status().ToString();
}

}  // namespace
}  // namespace diphub::storage
