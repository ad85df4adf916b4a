#include "storage/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace diphub::storage {
namespace {

// A RocksDB store whose Append can be held closed, so a test can make requests queue up.
class GatedStore final : public Store {
 public:
  explicit GatedStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}
  void Close() {
    std::lock_guard l(mu_);
    open_ = false;
  }
  void Open() {
    {
      std::lock_guard l(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Blocks until a commit is waiting at the closed gate.
  void AwaitBlockedAppend() {
    std::unique_lock l(mu_);
    cv_.wait(l, [this] { return waiting_ > 0; });
  }

  // The next Append fails (after the gate) with an I/O error, storing nothing.
  void FailNext() {
    std::lock_guard l(mu_);
    fail_next_ = true;
  }

  // The same for SyncWal: a closed sync gate holds every sync; FailNextSync fails the next one.
  void CloseSync() {
    std::lock_guard l(mu_);
    sync_open_ = false;
  }
  void OpenSync() {
    {
      std::lock_guard l(mu_);
      sync_open_ = true;
    }
    cv_.notify_all();
  }
  void FailNextSync(std::string help = "injected sync failure") {
    std::lock_guard l(mu_);
    fail_next_sync_ = true;
    sync_failure_ = std::move(help);
  }
  // Waits up to 5 s until a sync waits at the closed gate and `appends` Appends have returned.
  bool AwaitBlockedSync(int appends) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(5),
                        [&] { return syncs_waiting_ > 0 && appends_done_ >= appends; });
  }

  dip::Status SyncWal() override {
    {
      std::unique_lock l(mu_);
      ++syncs_waiting_;
      cv_.notify_all();
      cv_.wait(l, [this] { return sync_open_; });
      --syncs_waiting_;
      if (fail_next_sync_) {
        fail_next_sync_ = false;
        return dip::Status::Io(sync_failure_);
      }
    }
    return inner_->SyncWal();
  }

  dip::Status Append(std::span<const MessageRecord* const> records, Durability d) override {
    dip::Status s = GatedAppend(records, d);
    {
      std::lock_guard l(mu_);
      ++appends_done_;
    }
    cv_.notify_all();
    return s;
  }
  dip::Status GatedAppend(std::span<const MessageRecord* const> records, Durability d) {
    {
      std::unique_lock l(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait(l, [this] { return open_; });
      --waiting_;
      if (fail_next_) {
        fail_next_ = false;
        return dip::Status::Io("injected write failure");
      }
    }
    return inner_->Append(records, d);
  }
  dip::Result<bool> IsDuplicate(std::string_view s, std::string_view r) override {
    return inner_->IsDuplicate(s, r);
  }
  dip::Result<std::vector<MessageRecord>> GetMessages(std::span<const std::uint64_t> s) override {
    return inner_->GetMessages(s);
  }
  dip::Result<std::vector<OutboxEntry>> ScanOutbox(std::string_view r, std::uint64_t a,
                                                   std::size_t l) override {
    return inner_->ScanOutbox(r, a, l);
  }
  dip::Result<std::vector<std::string>> OutboxRecipients() override {
    return inner_->OutboxRecipients();
  }
  dip::Status RecordOutcomes(std::span<const DeliveryOutcome> o) override {
    return inner_->RecordOutcomes(o);
  }
  dip::Result<std::optional<OutboxEntry>> GetOutbox(std::string_view r,
                                                    std::uint64_t seq) override {
    return inner_->GetOutbox(r, seq);
  }
  dip::Result<std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>>> Journal(
      std::string_view ref) override {
    return inner_->Journal(ref);
  }
  dip::Result<std::vector<std::uint64_t>> ScanPublished(std::string_view r, std::string_view i,
                                                        std::int64_t f, std::int64_t t,
                                                        std::uint64_t a, std::size_t l) override {
    return inner_->ScanPublished(r, i, f, t, a, l);
  }
  dip::Status Requeue(std::string_view r, std::span<const OutboxEntry> e) override {
    return inner_->Requeue(r, e);
  }
  dip::Result<std::vector<DeliveryOutcome>> DeadLetters(std::string_view r,
                                                        std::size_t l) override {
    return inner_->DeadLetters(r, l);
  }
  dip::Result<std::uint64_t> ClearDeadLetters(std::string_view r, bool q) override {
    return inner_->ClearDeadLetters(r, q);
  }
  dip::Result<std::uint64_t> Expire(std::int64_t c, std::size_t m) override {
    return inner_->Expire(c, m);
  }
  std::uint64_t LastSeq() override { return inner_->LastSeq(); }
  dip::Result<std::uint64_t> CountOutbox(std::string_view r) override {
    return inner_->CountOutbox(r);
  }
  Stats GetStats() override { return inner_->GetStats(); }
  dip::Result<std::uint64_t> CountRequeued(std::string_view r, std::string_view id) override {
    return inner_->CountRequeued(r, id);
  }
  dip::Status PutParticipantOverride(std::string_view id, std::string_view t) override {
    return inner_->PutParticipantOverride(id, t);
  }
  dip::Result<std::vector<std::pair<std::string, std::string>>> ParticipantOverrides() override {
    return inner_->ParticipantOverrides();
  }
  dip::Status PutAppointments(std::span<const AppointmentRow> rows) override {
    return inner_->PutAppointments(rows);
  }
  dip::Status ScanAppointments(const std::function<bool(const AppointmentRow&)>& fn) override {
    return inner_->ScanAppointments(fn);
  }
  dip::Result<std::string> GetMeta(std::string_view k) override { return inner_->GetMeta(k); }
  dip::Status PutMeta(std::string_view k, std::string_view v) override {
    return inner_->PutMeta(k, v);
  }

 private:
  std::unique_ptr<Store> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  bool fail_next_ = false;
  int waiting_ = 0;
  bool sync_open_ = true;
  bool fail_next_sync_ = false;
  std::string sync_failure_;
  int syncs_waiting_ = 0;
  int appends_done_ = 0;
};

MessageRecord Msg(std::string sender, std::string ref, std::size_t raw_bytes = 20) {
  MessageRecord r;
  r.interface_id = "IF-061";
  r.sender_dip_id = std::move(sender);
  r.sender_role = "SDS";
  r.sender_unique_reference = std::move(ref);
  r.recipients = {"1200000001"};
  r.primary_recipients = r.recipients;
  r.raw = std::string(raw_bytes, 'x');
  return r;
}

struct Answer {
  dip::Status status;
  std::size_t failed_index = 0;
  std::vector<MessageRecord> records;
};

// Submits `records` and returns a future for the committer's answer.
std::future<Answer> Send(GroupCommitter& gc, std::vector<MessageRecord> records,
                         bool* accepted = nullptr) {
  auto promise = std::make_shared<std::promise<Answer>>();
  std::future<Answer> f = promise->get_future();
  GroupCommitter::Request req;
  req.records = std::move(records);
  req.done = [promise](const dip::Status& s, std::size_t i, std::vector<MessageRecord>& rs) {
    promise->set_value(Answer{s, i, rs});
  };
  bool ok = gc.Submit(std::move(req));
  if (accepted) *accepted = ok;
  return f;
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenRocksStore(dir_.path() + "/db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::make_unique<GatedStore>(std::move(s).value());
  }
  GroupCommitOptions Options() {
    GroupCommitOptions o;
    o.durability = Durability::kOsBuffered;
    return o;
  }
  bool Stored(const std::string& sender, const std::string& ref) {
    return store_->IsDuplicate(sender, ref).value();
  }

  testing::TempDir dir_;
  std::unique_ptr<GatedStore> store_;
};

TEST_F(GroupCommitTest, ConcurrentSubmitsGetDistinctSeqsAndTransactionIds) {
  GroupCommitOptions o = Options();
  o.instance_tag = "00AF";
  GroupCommitter gc(store_.get(), o, nullptr);
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::vector<std::future<Answer>>> futures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string sender = "110000000" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        futures[t].push_back(
            Send(gc, {Msg(sender, "A" + std::to_string(i)), Msg(sender, "B" + std::to_string(i))}));
      }
    });
  }
  for (std::thread& th : threads) th.join();

  const std::regex tid(R"(T-IF-061-110000000[0-3]-SDS-\d{8}-00AF[0-9A-F]{12})");
  std::set<std::uint64_t> seqs;
  std::set<std::string> tids;
  for (auto& per_thread : futures) {
    for (auto& f : per_thread) {
      Answer a = f.get();
      ASSERT_TRUE(a.status.ok()) << a.status.ToString();
      ASSERT_EQ(a.records.size(), 2u);
      EXPECT_EQ(a.records[1].seq, a.records[0].seq + 1);  // a request's messages stay together
      for (const MessageRecord& m : a.records) {
        seqs.insert(m.seq);
        tids.insert(m.transaction_id);
        EXPECT_TRUE(std::regex_match(m.transaction_id, tid)) << m.transaction_id;
        EXPECT_EQ(m.transaction_timestamp.size(), 25u);
      }
    }
  }
  EXPECT_EQ(seqs.size(), 2u * kThreads * kPerThread);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), 2u * kThreads * kPerThread);
  EXPECT_EQ(tids.size(), seqs.size());
  EXPECT_EQ(store_->LastSeq(), 2u * kThreads * kPerThread);
}

// The committers are named, so top -H and perf show them apart from the hub's other threads.
TEST_F(GroupCommitTest, CommitterThreadsAreNamed) {
  auto names = [] {
    std::multiset<std::string> out;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      out.insert(name);
    }
    return out;
  };
  GroupCommitOptions o = Options();
  o.committers = 2;
  GroupCommitter gc(store_.get(), o, nullptr);
  const std::multiset<std::string> running = names();
  EXPECT_EQ(running.count("diphub-commit-0"), 1u);
  EXPECT_EQ(running.count("diphub-commit-1"), 1u);
}

TEST_F(GroupCommitTest, SequenceContinuesAfterRestart) {
  {
    GroupCommitter gc(store_.get(), Options(), nullptr);
    ASSERT_TRUE(Send(gc, {Msg("1100000001", "A")}).get().status.ok());
  }
  GroupCommitter gc(store_.get(), Options(), nullptr);
  Answer a = Send(gc, {Msg("1100000001", "B")}).get();
  ASSERT_TRUE(a.status.ok());
  EXPECT_EQ(a.records[0].seq, 2u);
}

TEST_F(GroupCommitTest, DuplicateOfStoredMessageRejectsWholeRequest) {
  GroupCommitter gc(store_.get(), Options(), nullptr);
  ASSERT_TRUE(Send(gc, {Msg("1100000001", "A")}).get().status.ok());
  Answer a = Send(gc, {Msg("1100000001", "NEW"), Msg("1100000001", "A")}).get();
  EXPECT_EQ(a.status.code(), "MSG1006");
  EXPECT_EQ(a.failed_index, 1u);
  EXPECT_NE(a.status.help().find("\"A\""), std::string::npos) << a.status.help();
  EXPECT_FALSE(Stored("1100000001", "NEW"));
  // Another sender may use the same reference.
  EXPECT_TRUE(Send(gc, {Msg("1300000001", "A")}).get().status.ok());
}

TEST_F(GroupCommitTest, DuplicateWithinOneRequest) {
  GroupCommitter gc(store_.get(), Options(), nullptr);
  Answer a =
      Send(gc, {Msg("1100000001", "X"), Msg("1100000001", "Y"), Msg("1100000001", "X")}).get();
  EXPECT_EQ(a.status.code(), "MSG1006");
  EXPECT_EQ(a.failed_index, 2u);
  EXPECT_FALSE(Stored("1100000001", "X"));
  EXPECT_FALSE(Stored("1100000001", "Y"));
  EXPECT_EQ(store_->LastSeq(), 0u);
}

TEST_F(GroupCommitTest, DuplicateAcrossRequestsOfOneBatch) {
  std::vector<std::size_t> batch_sizes;
  GroupCommitter gc(store_.get(), Options(),
                    [&](const BatchStats& s) { batch_sizes.push_back(s.messages); });
  store_->Close();
  auto first = Send(gc, {Msg("1100000001", "HOLD")});
  store_->AwaitBlockedAppend();  // the committer is inside a batch; the next ones queue up
  auto ok = Send(gc, {Msg("1100000001", "Z")});
  auto dup = Send(gc, {Msg("1100000001", "W"), Msg("1100000001", "Z")});
  store_->Open();
  EXPECT_TRUE(first.get().status.ok());
  EXPECT_TRUE(ok.get().status.ok());
  Answer a = dup.get();
  EXPECT_EQ(a.status.code(), "MSG1006");
  EXPECT_EQ(a.failed_index, 1u);
  EXPECT_TRUE(Stored("1100000001", "Z"));
  EXPECT_FALSE(Stored("1100000001", "W"));
  gc.Stop();
  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{1, 1}));
}

// Sends queued while a batch is being written (its fsync) go into the next batch together: a
// batch is closed only when it can be written, so no send waits behind a batch that is itself
// waiting for another's fsync (a second fsync's worth of latency at half load, issue #15).
TEST_F(GroupCommitTest, SendsQueuedDuringAWriteShareTheNextCommit) {
  GroupCommitOptions o = Options();
  o.committers = 2;
  std::mutex mu;
  std::vector<std::size_t> batch_sizes;
  GroupCommitter gc(store_.get(), o, [&](const BatchStats& s) {
    std::lock_guard l(mu);
    batch_sizes.push_back(s.messages);
  });
  store_->Close();
  auto first = Send(gc, {Msg("1100000001", "W1")});
  store_->AwaitBlockedAppend();  // the first batch is being written
  auto second = Send(gc, {Msg("1100000001", "W2")});
  // Time for the other committer to take "W2" alone, if it would (the old design did).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto third = Send(gc, {Msg("1100000001", "W3")});
  store_->Open();
  EXPECT_TRUE(first.get().status.ok());
  EXPECT_TRUE(second.get().status.ok());
  EXPECT_TRUE(third.get().status.ok());
  gc.Stop();
  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{1, 2}));
}

TEST_F(GroupCommitTest, SubmitBeyondMaxPendingBytesIsRefused) {
  GroupCommitOptions o = Options();
  o.max_pending_bytes = 1000;  // a record counts raw.size() + 256
  o.committers = 1;            // a second committer would take "B" out of the queue at once
  GroupCommitter gc(store_.get(), o, nullptr);
  store_->Close();
  auto first = Send(gc, {Msg("1100000001", "A")});
  store_->AwaitBlockedAppend();
  bool accepted = false;
  auto queued = Send(gc, {Msg("1100000001", "B", 100)}, &accepted);
  EXPECT_TRUE(accepted);
  auto refused = Send(gc, {Msg("1100000001", "C", 800)}, &accepted);
  EXPECT_FALSE(accepted);
  auto small = Send(gc, {Msg("1100000001", "D", 100)}, &accepted);
  EXPECT_TRUE(accepted);
  store_->Open();
  EXPECT_TRUE(first.get().status.ok());
  EXPECT_TRUE(queued.get().status.ok());
  EXPECT_TRUE(small.get().status.ok());
  EXPECT_FALSE(Stored("1100000001", "C"));
  // Once the queue drained, the large request fits again.
  EXPECT_TRUE(Send(gc, {Msg("1100000001", "C", 800)}).get().status.ok());
}

TEST_F(GroupCommitTest, StopAnswersEverythingQueued) {
  auto gc = std::make_unique<GroupCommitter>(store_.get(), Options(), nullptr);
  store_->Close();
  std::vector<std::future<Answer>> answers;
  answers.push_back(Send(*gc, {Msg("1100000001", "R0")}));
  store_->AwaitBlockedAppend();
  for (int i = 1; i < 20; ++i)
    answers.push_back(Send(*gc, {Msg("1100000001", "R" + std::to_string(i))}));
  std::thread stopper([&] { gc->Stop(); });
  store_->Open();
  stopper.join();
  for (auto& f : answers) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_TRUE(f.get().status.ok());
  }
  bool accepted = true;
  Send(*gc, {Msg("1100000001", "late")}, &accepted);
  EXPECT_FALSE(accepted);
  EXPECT_EQ(store_->LastSeq(), 20u);
}

// Four threads each submit `per_thread` requests of two messages (references `tag`1-i and
// `tag`2-i) at once; every request must be accepted, the answers must come in seq order, and
// the store must end at the last seq.
void ExpectAnswersInSeqOrder(GroupCommitter& gc, Store& store, int per_thread,
                             const std::string& tag) {
  std::mutex mu;
  std::vector<std::uint64_t> answered;  // first seq of each accepted request, in answer order
  constexpr int kThreads = 4;
  std::atomic<int> left{kThreads * per_thread};
  std::promise<void> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        GroupCommitter::Request req;
        req.records = {Msg("110000000" + std::to_string(t), tag + "1-" + std::to_string(i)),
                       Msg("110000000" + std::to_string(t), tag + "2-" + std::to_string(i))};
        req.done = [&](const dip::Status& s, std::size_t, std::vector<MessageRecord>& rs) {
          if (s.ok()) {
            std::lock_guard l(mu);
            answered.push_back(rs[0].seq);
          }
          if (--left == 0) all.set_value();
        };
        ASSERT_TRUE(gc.Submit(std::move(req)));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  all.get_future().wait();
  ASSERT_EQ(answered.size(), static_cast<std::size_t>(kThreads * per_thread));
  for (std::size_t i = 1; i < answered.size(); ++i) {
    ASSERT_LT(answered[i - 1], answered[i]) << "answer " << i << " overtook an earlier seq";
  }
  EXPECT_EQ(store.LastSeq(), 2u * kThreads * per_thread);
}

TEST_F(GroupCommitTest, TwoCommittersAnswerInSeqOrder) {
  GroupCommitOptions o = Options();
  o.committers = 2;
  o.max_messages = 8;  // many small batches, so the two committers overlap
  GroupCommitter gc(store_.get(), o, nullptr);
  ExpectAnswersInSeqOrder(gc, *store_, 60, "O");
}

TEST_F(GroupCommitTest, CopyInFlightInAnotherBatchIsRefusedOnceTheFirstIsStored) {
  GroupCommitOptions o = Options();
  o.committers = 2;
  GroupCommitter gc(store_.get(), o, nullptr);
  store_->Close();
  auto first = Send(gc, {Msg("1100000001", "K")});
  store_->AwaitBlockedAppend();  // "K" is in one committer's batch, not yet written
  auto copy = Send(gc, {Msg("1100000001", "K2"), Msg("1100000001", "K")});
  // The other committer takes the copy but cannot know yet whether "K" will be stored.
  EXPECT_EQ(copy.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  store_->Open();
  EXPECT_TRUE(first.get().status.ok());
  Answer a = copy.get();
  EXPECT_EQ(a.status.code(), "MSG1006");
  EXPECT_EQ(a.failed_index, 1u);
  EXPECT_TRUE(Stored("1100000001", "K"));
  EXPECT_FALSE(Stored("1100000001", "K2"));
  EXPECT_EQ(store_->LastSeq(), 1u);
}

// MSG1006 tells the sender its message is stored (senders resend after an unknown outcome and
// count a duplicate as accepted), so a copy must not be refused because of a first copy whose
// write then failed.
TEST_F(GroupCommitTest, CopyOfAFirstWhoseWriteFailedIsAccepted) {
  GroupCommitOptions o = Options();
  o.committers = 2;
  GroupCommitter gc(store_.get(), o, nullptr);
  store_->Close();
  store_->FailNext();
  auto first = Send(gc, {Msg("1100000001", "F")});
  store_->AwaitBlockedAppend();
  auto copy = Send(gc, {Msg("1100000001", "F")});
  store_->Open();
  Answer f = first.get();
  EXPECT_EQ(f.status.code(), "MSG1000") << f.status.ToString();
  Answer a = copy.get();
  EXPECT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_TRUE(Stored("1100000001", "F"));
}

TEST_F(GroupCommitTest, RacingCopiesOfAReferenceAreStoredOnce) {
  GroupCommitOptions o = Options();
  o.committers = 2;
  GroupCommitter gc(store_.get(), o, nullptr);
  constexpr int kRounds = 40, kCopies = 4;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::future<Answer>> answers(kCopies);
    std::vector<std::thread> threads;
    for (int c = 0; c < kCopies; ++c) {
      threads.emplace_back(
          [&, c] { answers[c] = Send(gc, {Msg("1100000001", "R" + std::to_string(round))}); });
    }
    for (std::thread& th : threads) th.join();
    int ok = 0, dup = 0;
    for (auto& f : answers) {
      Answer a = f.get();
      ok += a.status.ok();
      dup += a.status.code() == "MSG1006";
    }
    ASSERT_EQ(ok, 1) << "round " << round;
    ASSERT_EQ(dup, kCopies - 1) << "round " << round;
  }
  EXPECT_EQ(store_->LastSeq(), static_cast<std::uint64_t>(kRounds));
}

// With fsync the commit is pipelined (group_commit.h): the next batch is written while one is
// synced, and a batch is answered only once a sync covering it is done.
class PipelinedCommitTest : public GroupCommitTest {
 protected:
  GroupCommitOptions Options() {
    GroupCommitOptions o;
    o.durability = Durability::kFsync;
    o.committers = 2;
    return o;
  }
};

TEST_F(PipelinedCommitTest, NextBatchIsWrittenWhileOneIsSyncedAndNeitherIsAnsweredBefore) {
  GroupCommitter gc(store_.get(), Options(), nullptr);
  store_->CloseSync();
  auto first = Send(gc, {Msg("1100000001", "S1")});
  ASSERT_TRUE(store_->AwaitBlockedSync(1));  // "S1" written, its sync held
  auto second = Send(gc, {Msg("1100000001", "S2")});
  // The other committer takes, checks and writes "S2" while "S1" is being synced.
  ASSERT_TRUE(store_->AwaitBlockedSync(2));
  // Written is not durable: nobody is answered (no 201, no hand-off to delivery) yet.
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  store_->OpenSync();
  Answer a = first.get(), b = second.get();
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  ASSERT_TRUE(b.status.ok()) << b.status.ToString();
  EXPECT_LT(a.records[0].seq, b.records[0].seq);
}

// The fsync's part of a commit is reported apart (the commit_sync stage, docs/metrics.md): an
// operator sees whether a commit's time goes to the disk's flush or to the write itself.
TEST_F(PipelinedCommitTest, BatchStatsGiveTheSyncsPartOfTheWrite) {
  std::vector<BatchStats> stats;  // on_batch calls run one at a time; read after Stop()
  GroupCommitter gc(store_.get(), Options(), [&](const BatchStats& s) { stats.push_back(s); });
  store_->CloseSync();
  auto first = Send(gc, {Msg("1100000001", "T1")});
  ASSERT_TRUE(store_->AwaitBlockedSync(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a slow fsync
  store_->OpenSync();
  ASSERT_TRUE(first.get().status.ok());
  gc.Stop();
  ASSERT_EQ(stats.size(), 1u);
  ASSERT_TRUE(stats[0].sync_seconds.has_value());
  EXPECT_GE(*stats[0].sync_seconds, 0.05);
  EXPECT_LE(*stats[0].sync_seconds, stats[0].write_seconds);
}

// Without fsync there is no sync to time.
TEST_F(GroupCommitTest, BatchStatsHaveNoSyncTimeWithoutFsync) {
  std::vector<BatchStats> stats;  // on_batch calls run one at a time; read after Stop()
  GroupCommitter gc(store_.get(), Options(), [&](const BatchStats& s) { stats.push_back(s); });
  ASSERT_TRUE(Send(gc, {Msg("1100000001", "U1")}).get().status.ok());
  gc.Stop();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_FALSE(stats[0].sync_seconds.has_value());
}

TEST_F(PipelinedCommitTest, CopyOfAWrittenMessageIsRefusedOnlyOnceItIsSynced) {
  GroupCommitter gc(store_.get(), Options(), nullptr);
  store_->CloseSync();
  auto first = Send(gc, {Msg("1100000001", "K")});
  ASSERT_TRUE(store_->AwaitBlockedSync(1));  // "K" is written (the store shows it), not synced
  auto copy = Send(gc, {Msg("1100000001", "K2"), Msg("1100000001", "K")});
  EXPECT_EQ(copy.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  store_->OpenSync();
  EXPECT_TRUE(first.get().status.ok());
  Answer a = copy.get();
  EXPECT_EQ(a.status.code(), "MSG1006");
  EXPECT_EQ(a.failed_index, 1u);
  EXPECT_FALSE(Stored("1100000001", "K2"));
}

// MSG1006 means "stored": after a failed sync nobody knows whether the first copy is, so its
// copy is not refused as a duplicate (both get MSG1000), nor is anything stored afterwards.
TEST_F(PipelinedCommitTest, AfterAFailedSyncNothingIsRefusedAsDuplicateOrStored) {
  GroupCommitter gc(store_.get(), Options(), nullptr);
  store_->CloseSync();
  store_->FailNextSync();
  auto first = Send(gc, {Msg("1100000001", "F")});
  ASSERT_TRUE(store_->AwaitBlockedSync(1));
  // Written during the failing sync: a sync of its own could succeed, but the log may have a
  // hole before it (the failed pages), so it is not answered OK either.
  auto next = Send(gc, {Msg("1100000001", "H")});
  ASSERT_TRUE(store_->AwaitBlockedSync(2));
  auto copy = Send(gc, {Msg("1100000001", "F")});
  // The other committer takes the copy, and must not ask the store (which shows "F") yet.
  EXPECT_EQ(copy.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  store_->OpenSync();
  Answer f = first.get();
  EXPECT_EQ(f.status.code(), "MSG1000") << f.status.ToString();
  EXPECT_NE(f.status.help().find("may or may not be stored"), std::string::npos) << f.status.help();
  Answer n = next.get();
  EXPECT_EQ(n.status.code(), "MSG1000") << n.status.ToString();
  EXPECT_NE(n.status.help().find("may or may not be stored"), std::string::npos) << n.status.help();
  Answer c = copy.get();
  EXPECT_EQ(c.status.code(), "MSG1000") << c.status.ToString();
  Answer later = Send(gc, {Msg("1100000001", "G")}).get();
  EXPECT_EQ(later.status.code(), "MSG1000") << later.status.ToString();
  EXPECT_FALSE(Stored("1100000001", "G"));
  // The hub reports it (/readyz 503, diphub_ready 0) so that it is restarted.
  EXPECT_NE(gc.SyncFailure().help().find("injected sync failure"), std::string::npos);
}

// A sync that fails because a later write found the disk full (RocksDB then stops the log until
// it recovers) fails the batches written so far, but not the hub: once writes work again,
// sends are stored and answered as before.
TEST_F(PipelinedCommitTest, ASyncFailedByAFullDiskFailsItsBatchesButNotLaterOnes) {
  GroupCommitter gc(store_.get(), Options(), nullptr);
  store_->CloseSync();
  store_->FailNextSync("disk full: injected");
  auto first = Send(gc, {Msg("1100000001", "D")});
  ASSERT_TRUE(store_->AwaitBlockedSync(1));
  store_->OpenSync();
  Answer f = first.get();
  EXPECT_EQ(f.status.code(), "MSG1000") << f.status.ToString();
  EXPECT_NE(f.status.help().find("disk full"), std::string::npos) << f.status.help();
  EXPECT_NE(f.status.help().find("may or may not be stored"), std::string::npos) << f.status.help();
  EXPECT_TRUE(gc.SyncFailure().ok());  // not a reason to restart
  Answer later = Send(gc, {Msg("1100000001", "E")}).get();
  EXPECT_TRUE(later.status.ok()) << later.status.ToString();
  EXPECT_TRUE(Stored("1100000001", "E"));
}

TEST_F(PipelinedCommitTest, TwoCommittersAnswerInSeqOrderWithFsync) {
  GroupCommitOptions o = Options();
  o.max_messages = 8;  // many small batches, so writes and syncs overlap
  GroupCommitter gc(store_.get(), o, nullptr);
  ExpectAnswersInSeqOrder(gc, *store_, 40, "Q");
}

}  // namespace
}  // namespace diphub::storage
