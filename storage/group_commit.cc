#include "storage/group_commit.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string_view>
#include <tuple>

#include "dip/codes.h"
#include "dip/dip_time.h"
#include "dip/thread_name.h"

namespace diphub::storage {
namespace {

std::size_t RequestBytes(const GroupCommitter::Request& r) {
  std::size_t n = 0;
  for (const MessageRecord& m : r.records) n += m.ApproximateBytes();
  return n;
}

// The duplicate key of a message is (sender, senderUniqueReference); status records have none.
bool HasKey(const MessageRecord& m) { return m.interface_id != kStatusInterface; }

bool SameKey(const MessageRecord& a, const MessageRecord& b) {
  return a.sender_unique_reference == b.sender_unique_reference &&
         a.sender_dip_id == b.sender_dip_id;
}

// Seeded at random per GroupCommitter (so per hub start): the references are the senders' choice,
// and with a fixed hash a sender could make many keys share one value offline, so that its batches
// (and everybody's) wait for one another's syncs. A shared value only costs that wait.
std::uint64_t KeyHash(const MessageRecord& m, std::uint64_t seed) {
  const std::uint64_t s =
      XXH3_64bits_withSeed(m.sender_dip_id.data(), m.sender_dip_id.size(), seed);
  return XXH3_64bits_withSeed(m.sender_unique_reference.data(), m.sender_unique_reference.size(),
                              s);
}

// One message's key: its hash and where the message is in the batch.
struct KeyRef {
  std::uint64_t hash;
  std::uint32_t request;
  std::uint32_t index;
  bool operator<(const KeyRef& o) const {
    return std::tie(hash, request, index) < std::tie(o.hash, o.request, o.index);
  }
};

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
  std::vector<std::uint64_t> hashes;  // of the keys this batch holds, sorted, unique
  // Per request, per message: its key's number among the batch's distinct keys (kNoKey for a
  // status record), so equal keys are found without comparing strings again.
  static constexpr std::uint32_t kNoKey = UINT32_MAX;
  std::vector<std::vector<std::uint32_t>> keys;
  std::uint32_t distinct_keys = 0;
  std::size_t bytes = 0;
  std::uint64_t take = 0;  // take order: of the waits for keys, of seqs, of answers
  std::chrono::steady_clock::time_point taken;
};

GroupCommitter::GroupCommitter(Store* store, GroupCommitOptions options,
                               std::function<void(const BatchStats&)> on_batch)
    : store_(store),
      options_(std::move(options)),
      on_batch_(std::move(on_batch)),
      key_seed_((static_cast<std::uint64_t>(std::random_device()()) << 32) |
                std::random_device()()),
      next_seq_(store->LastSeq() + 1) {
  const std::size_t n = std::max<std::size_t>(options_.committers, 1);
  for (std::size_t i = 0; i < n; ++i) {
    threads_.emplace_back([this] { Run(); });
    dip::NameThread(threads_.back(), "diphub-commit-" + std::to_string(i));
  }
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

dip::Status GroupCommitter::SyncFailure() const {
  std::lock_guard lock(sync_mu_);
  return sync_broken_ ? sync_error_ : dip::Status::Ok();
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
  // Every key of the batch, sorted by hash: equal keys end up side by side, and get one number.
  std::vector<KeyRef> refs;
  refs.reserve(messages);
  batch.keys.resize(batch.requests.size());
  for (std::size_t ri = 0; ri < batch.requests.size(); ++ri) {
    const std::vector<MessageRecord>& records = batch.requests[ri].records;
    batch.keys[ri].assign(records.size(), Batch::kNoKey);
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (!HasKey(records[i])) continue;
      refs.push_back({KeyHash(records[i], key_seed_), static_cast<std::uint32_t>(ri),
                      static_cast<std::uint32_t>(i)});
    }
  }
  std::sort(refs.begin(), refs.end());
  auto record = [&](const KeyRef& r) -> const MessageRecord& {
    return batch.requests[r.request].records[r.index];
  };
  std::vector<std::size_t> firsts;  // per distinct key of one hash: its first ref
  for (std::size_t a = 0; a < refs.size();) {
    std::size_t b = a + 1;
    while (b < refs.size() && refs[b].hash == refs[a].hash) ++b;
    firsts.clear();
    for (std::size_t j = a; j < b; ++j) {
      std::uint32_t number = Batch::kNoKey;
      for (std::size_t f : firsts) {  // one, unless two keys share a hash
        if (SameKey(record(refs[f]), record(refs[j]))) {
          number = batch.keys[refs[f].request][refs[f].index];
          break;
        }
      }
      if (number == Batch::kNoKey) {
        number = batch.distinct_keys++;
        firsts.push_back(j);
      }
      batch.keys[refs[j].request][refs[j].index] = number;
    }
    a = b;
  }
  // A request holding one key twice is refused here (nothing of it can be stored), at the first
  // message whose key an earlier one of it has.
  std::vector<std::uint32_t> seen_in(batch.distinct_keys, UINT32_MAX);  // key -> last request
  for (std::size_t ri = 0; ri < batch.requests.size(); ++ri) {
    const std::vector<std::uint32_t>& keys = batch.keys[ri];
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == Batch::kNoKey) continue;
      if (seen_in[keys[i]] == ri) {
        batch.verdicts[ri] = {Duplicate(batch.requests[ri].records[i]), i};
        break;
      }
      seen_in[keys[i]] = static_cast<std::uint32_t>(ri);
    }
  }
  batch.hashes.reserve(refs.size());
  for (const KeyRef& r : refs) {
    if (!batch.verdicts[r.request].status.ok()) continue;
    if (batch.hashes.empty() || batch.hashes.back() != r.hash) batch.hashes.push_back(r.hash);
  }
  unwritten_.push_back(&batch);
}

bool GroupCommitter::FirstForKeys(const Batch& batch) const {
  for (const Batch* other : unwritten_) {
    if (other->take >= batch.take) continue;
    // Both sorted: a merge finds a shared hash.
    auto a = batch.hashes.begin(), b = other->hashes.begin();
    while (a != batch.hashes.end() && b != other->hashes.end()) {
      if (*a == *b) return false;
      if (*a < *b) {
        ++a;
      } else {
        ++b;
      }
    }
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

dip::Status GroupCommitter::AwaitSync(std::uint64_t take) {
  std::unique_lock lock(sync_mu_);
  for (;;) {
    if (synced_through_ && *synced_through_ >= take) return dip::Status::Ok();
    if (failed_through_ && *failed_through_ >= take) return sync_error_;
    // After a failed fsync no later one can be trusted (the kernel may have dropped an earlier
    // batch's pages, leaving a hole in the log before this one's): every unsynced batch fails.
    if (sync_broken_) return sync_error_;
    if (syncing_) {
      sync_cv_.wait(lock);
      continue;
    }
    // No sync under way: this thread syncs, for every batch written so far (this one included;
    // a sync covers every write that returned before it began).
    syncing_ = true;
    const std::uint64_t target = written_through_;
    lock.unlock();
    dip::Status s = store_->SyncWal();
    lock.lock();
    syncing_ = false;
    if (s.ok()) {
      synced_through_ = target;
    } else {
      // Every batch written so far fails, also one written while this sync ran. A full disk
      // (a later write failed and RocksDB stopped the log; it recovers with free space) is
      // not a lost fsync: batches written after it are synced again.
      failed_through_ = written_through_;
      sync_error_ = s;
      if (s.help().rfind("disk full", 0) != 0) sync_broken_ = true;
    }
    sync_cv_.notify_all();
  }
}

void GroupCommitter::CommitBatch(Batch& batch) {
  std::vector<Request>& requests = batch.requests;
  {
    // Earlier batches holding one of these keys are durable (or fail) first; the store then says.
    std::unique_lock lock(mu_);
    released_.wait(lock, [&] { return FirstForKeys(batch); });
  }
  {
    // After a failed sync the store's contents are unknown until a restart: no duplicate
    // check can be trusted, and the store refuses writes.
    std::lock_guard lock(sync_mu_);
    if (sync_broken_) {
      for (Batch::Verdict& v : batch.verdicts) {
        if (v.status.ok()) {
          v = {dip::Status::Dip(dip::codes::kProcessingFailed,
                                "storage: " + sync_error_.help() + "; nothing was stored"),
               0};
        }
      }
    }
  }
  auto release = [&] {
    {
      std::lock_guard lock(mu_);
      std::erase(unwritten_, &batch);
    }
    released_.notify_all();
  };
  // Keys of this batch's requests accepted so far: a later request holding one is refused.
  std::vector<char> in_batch(batch.distinct_keys, 0);
  for (std::size_t ri = 0; ri < requests.size(); ++ri) {
    if (!batch.verdicts[ri].status.ok()) continue;
    const std::vector<MessageRecord>& records = requests[ri].records;
    const std::vector<std::uint32_t>& keys = batch.keys[ri];
    for (std::size_t i = 0; i < records.size() && batch.verdicts[ri].status.ok(); ++i) {
      const MessageRecord& m = records[i];
      if (keys[i] == Batch::kNoKey) continue;
      if (in_batch[keys[i]]) {
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
    }
    if (!batch.verdicts[ri].status.ok()) continue;
    for (std::uint32_t k : keys) {
      if (k != Batch::kNoKey) in_batch[k] = 1;
    }
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

  // With fsync the write is made in two steps: written (memtable and the OS's copy of the log)
  // holding the write slot, then synced without it, so the next batch's checks, seqs and
  // encoding run while this one's log is fsync'd.
  const bool sync_later = options_.durability == Durability::kFsync;
  using Seconds = std::chrono::duration<double>;
  dip::Status written = dip::Status::Ok();
  bool unsynced = false;  // written, but the sync failed: stored or not is known after a restart
  auto written_at = std::chrono::steady_clock::now();
  auto free_slot = [&] {
    {
      std::lock_guard lock(mu_);
      writing_ = false;  // the next batch may close and write while this one is synced/answered
    }
    cv_.notify_all();
  };
  if (accepted.empty()) {
    free_slot();
  } else {
    auto t0 = written_at;
    stats.checks_seconds = Seconds(t0 - batch.taken).count();
    stats.queue_seconds.reserve(requests.size());
    for (const Request& r : requests) {
      stats.queue_seconds.push_back(Seconds(batch.taken - r.submitted).count());
    }
    written = store_->Append(accepted, sync_later ? Durability::kSyncLater : options_.durability);
    if (sync_later && written.ok()) {
      {
        std::lock_guard lock(sync_mu_);
        written_through_ = batch.take;  // writes are made in take order (the write slot)
      }
      free_slot();
      const auto sync_from = std::chrono::steady_clock::now();
      written = AwaitSync(batch.take);
      stats.sync_seconds = Seconds(std::chrono::steady_clock::now() - sync_from).count();
      unsynced = !written.ok();
    } else {
      free_slot();
    }
    written_at = std::chrono::steady_clock::now();
    stats.write_seconds = Seconds(written_at - t0).count();
    if (!written.ok()) {
      for (std::size_t ri = 0; ri < requests.size(); ++ri) {
        if (batch.verdicts[ri].status.ok()) {
          batch.verdicts[ri] = {
              dip::Status::Dip(dip::codes::kProcessingFailed,
                               "storage: " + written.help() +
                                   (unsynced ? "; the messages may or may not be stored (a resent "
                                               "copy that was stored is refused with MSG1006)"
                                             : "; nothing was stored")),
              0};
        }
      }
    }
  }
  release();  // durable (or failed): a later copy of these keys now asks the store

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
