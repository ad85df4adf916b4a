#include "storage/group_commit.h"

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

}  // namespace

GroupCommitter::GroupCommitter(Store* store, GroupCommitOptions options,
                               std::function<void(const BatchStats&)> on_batch)
    : store_(store),
      options_(std::move(options)),
      on_batch_(std::move(on_batch)),
      next_seq_(store->LastSeq() + 1),
      thread_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() { Stop(); }

bool GroupCommitter::Submit(Request request) {
  std::size_t bytes = RequestBytes(request);
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
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool GroupCommitter::accepting() const {
  std::lock_guard lock(mu_);
  return !stopping_;
}

void GroupCommitter::Run() {
  std::vector<Request> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      std::size_t messages = 0, bytes = 0;
      while (!queue_.empty()) {
        std::size_t n = queue_.front().records.size();
        std::size_t b = RequestBytes(queue_.front());
        if (!batch.empty() &&
            (messages + n > options_.max_messages || bytes + b > options_.max_bytes)) {
          break;
        }
        messages += n;
        bytes += b;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      pending_bytes_ -= bytes;
    }
    CommitBatch(batch);
  }
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

void GroupCommitter::CommitBatch(std::vector<Request>& batch) {
  const auto now = dip::Clock::now();
  const std::string timestamp = dip::FormatDipTimestamp(now);
  const std::string yyyymmdd = dip::FormatYyyymmdd(now);
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();

  struct Verdict {
    dip::Status status;
    std::size_t failed_index = 0;
  };
  std::vector<Verdict> verdicts(batch.size());
  std::vector<const MessageRecord*> accepted;
  std::unordered_set<std::string> in_batch;  // sender \0 reference of accepted records
  BatchStats stats;

  for (std::size_t ri = 0; ri < batch.size(); ++ri) {
    Request& req = batch[ri];
    // Check every message of the request before taking any: accepted or rejected together.
    std::vector<std::string> keys;
    keys.reserve(req.records.size());
    for (std::size_t i = 0; i < req.records.size() && verdicts[ri].status.ok(); ++i) {
      const MessageRecord& m = req.records[i];
      if (m.interface_id == kStatusInterface) continue;  // no dedupe key (records.h)
      std::string key = m.sender_dip_id + '\0' + m.sender_unique_reference;
      bool dup = in_batch.count(key) > 0;
      for (const std::string& k : keys) dup = dup || k == key;
      if (!dup) {
        dip::Result<bool> stored = store_->IsDuplicate(m.sender_dip_id, m.sender_unique_reference);
        if (!stored.ok()) {
          verdicts[ri] = {
              dip::Status::Dip(dip::codes::kProcessingFailed, "storage: " + stored.status().help()),
              i};
          break;
        }
        dup = stored.value();
      }
      if (dup) {
        verdicts[ri] = {
            dip::Status::Dip(dip::codes::kDuplicateReference,
                             "S1.senderUniqueReference: \"" + m.sender_unique_reference +
                                 "\" was already used by sender " + m.sender_dip_id),
            i};
      }
      keys.push_back(std::move(key));
    }
    if (!verdicts[ri].status.ok()) continue;
    for (std::string& k : keys) in_batch.insert(std::move(k));
    for (MessageRecord& m : req.records) {
      m.seq = next_seq_++;
      m.transaction_timestamp = timestamp;
      m.accepted_unix_ms = now_ms;
      m.transaction_id = NextTransactionId(m, yyyymmdd);
      accepted.push_back(&m);
      stats.messages++;
      stats.bytes += m.ApproximateBytes();
    }
  }

  if (!accepted.empty()) {
    auto t0 = std::chrono::steady_clock::now();
    dip::Status s = store_->Append(accepted, options_.durability);
    stats.write_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok()) {
      for (std::size_t ri = 0; ri < batch.size(); ++ri) {
        if (verdicts[ri].status.ok()) {
          verdicts[ri] = {dip::Status::Dip(dip::codes::kProcessingFailed,
                                           "storage: " + s.help() + "; nothing was stored"),
                          0};
        }
      }
    } else if (on_batch_) {
      on_batch_(stats);
    }
  }
  for (std::size_t ri = 0; ri < batch.size(); ++ri) {
    batch[ri].done(verdicts[ri].status, verdicts[ri].failed_index, batch[ri].records);
  }
}

}  // namespace diphub::storage
