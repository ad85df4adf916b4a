#include "storage/group_commit.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <unordered_set>

#include "dip/codes.h"
#include "dip/dip_time.h"

namespace diphub::storage {
namespace {

std::size_t RequestBytes(const GroupCommitter::Request& r) {
  std::size_t n = 0;
  for (const MessageRecord& m : r.records) n += m.ApproximateBytes();
  return n;
}

std::string DedupeKey(const MessageRecord& m) {
  std::string key;
  key.reserve(m.sender_dip_id.size() + m.sender_unique_reference.size() + 1);
  key.append(m.sender_dip_id).push_back('\0');
  key.append(m.sender_unique_reference);
  return key;
}

dip::Status Duplicate(const MessageRecord& m) {
  return dip::Status::Dip(dip::codes::kDuplicateReference,
                          "S1.senderUniqueReference: \"" + m.sender_unique_reference +
                              "\" was already used by sender " + m.sender_dip_id);
}

}  // namespace

struct GroupCommitter::Batch {
  struct Verdict {
    dip::Status status;
    std::size_t failed_index = 0;
  };
  std::vector<Request> requests;
  std::vector<Verdict> verdicts;
  std::vector<std::string> keys;  // keys this batch holds in holders_
  std::size_t bytes = 0;
  std::uint64_t take = 0;  // take order: of the queues for keys, of seqs, of answers
  std::chrono::steady_clock::time_point taken;
};

GroupCommitter::GroupCommitter(Store* store, GroupCommitOptions options,
                               std::function<void(const BatchStats&)> on_batch)
    : store_(store),
      options_(std::move(options)),
      on_batch_(std::move(on_batch)),
      next_seq_(store->LastSeq() + 1) {
  const std::size_t n = std::max<std::size_t>(options_.committers, 1);
  for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

GroupCommitter::~GroupCommitter() { Stop(); }

bool GroupCommitter::Submit(Request request) {
  std::size_t bytes = RequestBytes(request);
  request.submitted = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    if (pending_bytes_ > 0 && pending_bytes_ + bytes > options_.max_pending_bytes) return false;
    pending_bytes_ += bytes;
    queue_.push_back(std::move(request));
  }
  cv_.notify_one();
  return true;
}

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool GroupCommitter::accepting() const {
  std::lock_guard lock(mu_);
  return !stopping_;
}

void GroupCommitter::Run() {
  for (;;) {
    Batch batch;
    {
      std::unique_lock lock(mu_);
      // A batch is closed only when it can be written: a committer waits for the write slot
      // before it takes, so whatever queues while a batch is written (its fsync) goes into the
      // next batch, and a send never waits behind a batch that queued behind another's fsync.
      cv_.wait(lock, [this] { return queue_.empty() ? stopping_ : !writing_; });
      if (queue_.empty()) return;  // stopping, nothing left
      writing_ = true;
      Take(batch);
    }
    CommitBatch(batch);
  }
}

void GroupCommitter::Take(Batch& batch) {
  std::size_t messages = 0;
  while (!queue_.empty()) {
    std::size_t n = queue_.front().records.size();
    std::size_t b = RequestBytes(queue_.front());
    if (!batch.requests.empty() &&
        (messages + n > options_.max_messages || batch.bytes + b > options_.max_bytes)) {
      break;
    }
    messages += n;
    batch.bytes += b;
    batch.requests.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  pending_bytes_ -= batch.bytes;
  batch.taken = std::chrono::steady_clock::now();
  batch.verdicts.resize(batch.requests.size());
  batch.take = next_take_++;
  // A request holding one key twice is refused here (nothing of it can be stored); every other
  // key joins the queue of batches holding it.
  std::unordered_set<std::string> mine;
  for (std::size_t ri = 0; ri < batch.requests.size(); ++ri) {
    const Request& req = batch.requests[ri];
    std::vector<std::string> keys;
    keys.reserve(req.records.size());
    for (std::size_t i = 0; i < req.records.size(); ++i) {
      const MessageRecord& m = req.records[i];
      if (m.interface_id == kStatusInterface) continue;  // no dedupe key (records.h)
      std::string key = DedupeKey(m);
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
        batch.verdicts[ri] = {Duplicate(m), i};
        break;
      }
      keys.push_back(std::move(key));
    }
    if (!batch.verdicts[ri].status.ok()) continue;
    for (std::string& k : keys) {
      if (!mine.insert(k).second) continue;  // another request of this batch holds it already
      holders_[k].push_back(batch.take);
      batch.keys.push_back(std::move(k));
    }
  }
}

bool GroupCommitter::FirstForKeys(const Batch& batch) const {
  for (const std::string& k : batch.keys) {
    auto it = holders_.find(k);
    if (it != holders_.end() && it->second.front() != batch.take) return false;
  }
  return true;
}

std::string GroupCommitter::NextTransactionId(const MessageRecord& r, const std::string& yyyymmdd) {
  // T-IF-061-<senderDIPID>-<role>-<yyyymmdd>-<16 hex>: 4 hex of instance tag, 12 of sequence.
  char hex[20];
  std::snprintf(hex, sizeof hex, "%012llX",
                static_cast<unsigned long long>(r.seq & 0xFFFFFFFFFFFFull));
  std::string id = "T-";
  id.append(r.interface_id).append("-").append(r.sender_dip_id).append("-");
  id.append(r.sender_role).append("-").append(yyyymmdd).append("-");
  id.append(options_.instance_tag).append(hex);
  return id;
}

void GroupCommitter::CommitBatch(Batch& batch) {
  std::vector<Request>& requests = batch.requests;
  {
    // Earlier batches holding one of these keys write (or fail) first; the store then says.
    std::unique_lock lock(mu_);
    released_.wait(lock, [&] { return FirstForKeys(batch); });
  }
  auto release = [&] {
    {
      std::lock_guard lock(mu_);
      for (const std::string& k : batch.keys) {
        auto it = holders_.find(k);
        it->second.pop_front();
        if (it->second.empty()) holders_.erase(it);
      }
    }
    released_.notify_all();
  };
  std::unordered_set<std::string> in_batch;  // keys of this batch's accepted requests
  for (std::size_t ri = 0; ri < requests.size(); ++ri) {
    if (!batch.verdicts[ri].status.ok()) continue;
    const std::vector<MessageRecord>& records = requests[ri].records;
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < records.size() && batch.verdicts[ri].status.ok(); ++i) {
      const MessageRecord& m = records[i];
      if (m.interface_id == kStatusInterface) continue;
      std::string key = DedupeKey(m);
      if (in_batch.count(key) > 0) {
        batch.verdicts[ri] = {Duplicate(m), i};
        break;
      }
      dip::Result<bool> stored = store_->IsDuplicate(m.sender_dip_id, m.sender_unique_reference);
      if (!stored.ok()) {
        batch.verdicts[ri] = {
            dip::Status::Dip(dip::codes::kProcessingFailed, "storage: " + stored.status().help()),
            i};
      } else if (stored.value()) {
        batch.verdicts[ri] = {Duplicate(m), i};
      }
      keys.push_back(std::move(key));
    }
    if (batch.verdicts[ri].status.ok()) in_batch.insert(keys.begin(), keys.end());
  }

  // Sequence numbers and times in take order (the order sends were queued), so a sender's
  // sends keep their order whichever committer takes them.
  BatchStats stats;
  std::vector<const MessageRecord*> accepted;
  {
    std::unique_lock lock(mu_);
    seq_turn_cv_.wait(lock, [&] { return seq_turn_ == batch.take; });
    const auto now = dip::Clock::now();
    const std::string timestamp = dip::FormatDipTimestamp(now);
    const std::string yyyymmdd = dip::FormatYyyymmdd(now);
    const std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    for (std::size_t ri = 0; ri < requests.size(); ++ri) {
      if (!batch.verdicts[ri].status.ok()) continue;
      for (MessageRecord& m : requests[ri].records) {
        m.seq = next_seq_++;
        m.transaction_timestamp = timestamp;
        m.accepted_unix_ms = now_ms;
        m.transaction_id = NextTransactionId(m, yyyymmdd);
        accepted.push_back(&m);
        stats.messages++;
        stats.bytes += m.ApproximateBytes();
      }
    }
    ++seq_turn_;
  }
  seq_turn_cv_.notify_all();

  // The write runs beside the other committers' writes (encoding included).
  using Seconds = std::chrono::duration<double>;
  dip::Status written = dip::Status::Ok();
  auto written_at = std::chrono::steady_clock::now();
  if (!accepted.empty()) {
    auto t0 = written_at;
    stats.checks_seconds = Seconds(t0 - batch.taken).count();
    stats.queue_seconds.reserve(requests.size());
    for (const Request& r : requests) {
      stats.queue_seconds.push_back(Seconds(batch.taken - r.submitted).count());
    }
    written = store_->Append(accepted, options_.durability);
    written_at = std::chrono::steady_clock::now();
    stats.write_seconds = Seconds(written_at - t0).count();
    if (!written.ok()) {
      for (std::size_t ri = 0; ri < requests.size(); ++ri) {
        if (batch.verdicts[ri].status.ok()) {
          batch.verdicts[ri] = {
              dip::Status::Dip(dip::codes::kProcessingFailed,
                               "storage: " + written.help() + "; nothing was stored"),
              0};
        }
      }
    }
  }
  release();  // written (or failed): a later copy of these keys now asks the store
  {
    std::lock_guard lock(mu_);
    writing_ = false;  // the next batch may close and write while this one is answered
  }
  cv_.notify_all();

  // Answers in batch order.
  std::unique_lock lock(answer_mu_);
  answer_cv_.wait(lock, [&] { return answered_ == batch.take; });
  if (written.ok() && !accepted.empty() && on_batch_) {
    stats.answer_wait_seconds = Seconds(std::chrono::steady_clock::now() - written_at).count();
    on_batch_(stats);
  }
  for (std::size_t ri = 0; ri < requests.size(); ++ri) {
    requests[ri].done(batch.verdicts[ri].status, batch.verdicts[ri].failed_index,
                      requests[ri].records);
  }
  ++answered_;
  lock.unlock();
  answer_cv_.notify_all();
}

}  // namespace diphub::storage
