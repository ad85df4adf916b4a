// Group commit: many senders' messages, one WriteBatch, one fsync, then every sender answered.
//
// `committers` threads (two by default, one per core) share the write path. Submit() queues a
// request (all the messages of one send, accepted or rejected together) and returns at once.
// One batch is written at a time (the write slot): when the slot is free, a committer takes
// everything queued — up to max_messages / max_bytes — claims the batch's (sender,
// senderUniqueReference) keys, checks them against the store, assigns sequence numbers,
// transaction IDs and timestamps, encodes and writes the batch, frees the slot, and only then
// calls each request's `done` — while the other committer takes and writes the next batch. So a
// batch is closed only when it can be written: every send queued during one write goes into the
// next, and none waits behind a batch that was itself waiting for a write (with two batches
// closed early, a send could wait for three fsyncs; docs/performance.md). Batches grow with load
// and no wait is added when idle.
//
// With Durability::kFsync the write is pipelined: the slot covers only Append(kSyncLater) (the
// memtable and the OS's copy of the log); the fsync (Store::SyncWal) runs after the slot is
// freed, so the next batch's CPU work (checks, seqs, encoding, its own write) overlaps this
// batch's fsync. One sync runs at a time and covers every batch written before it began; a
// batch written during a sync waits for the next one (started by whichever of its waiters gets
// there first). A batch is answered, and its keys released, only once a sync covering it is
// done. A failed sync fails every batch written so far (written during it too). Unless the
// store says "disk full" (a later write failed and stopped the log; RocksDB recovers once space
// returns), every later request is then refused (MSG1000) until a restart: a later fsync could
// succeed past the hole the failed one left in the log.
//
// Invariants with several committers:
// - Sequence numbers (and acceptance times) are assigned in take order, the order requests
//   were queued: a sender's sends (for one MPAN, say) keep their order across committers.
// - `done` calls run in that same order, one batch after another: a batch that is written
//   first waits for the batches taken before it, so the hand-off to delivery (made in `done`)
//   stays in seq order. `done` calls never run concurrently, and never before the batch is
//   durable (its sync done): no 201 and no delivery of a message a crash could lose.
// - A duplicate (sender, senderUniqueReference) is refused (MSG1006) even when the copies are
//   in different batches in flight at once, and only when the other copy is durable: a batch
//   looks its keys up in the store only once every batch taken before it and holding one of
//   them has been synced (or failed). So a refusal always means "stored", never "being
//   stored" (the store already shows a written, unsynced batch's keys).
//   Keys are matched by a 64-bit hash, seeded at random per GroupCommitter, to find those earlier
//   batches (a collision only makes a batch wait for one it need not wait for) and compared
//   exactly to refuse a message.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "dip/status.h"
#include "storage/records.h"
#include "storage/store.h"

namespace diphub::storage {

struct GroupCommitOptions {
  std::size_t max_messages = 4096;             // per batch. Default: 4096
  std::size_t max_bytes = 16u << 20;           // per batch. Default: 16 MiB
  std::size_t max_pending_bytes = 256u << 20;  // queued, not yet committed. Default: 256 MiB
  std::size_t committers = 2;                  // threads writing batches. Default: 2
  Durability durability = Durability::kFsync;  // Default: kFsync
  std::string instance_tag = "0000";           // 4 hex digits folded into transaction IDs
};

// One batch's figures, for the stage histograms (docs/metrics.md). Times in seconds.
struct BatchStats {
  std::size_t messages = 0;
  std::size_t bytes = 0;
  std::vector<double> queue_seconds;  // per request: Submit() -> taken into this batch
  double checks_seconds = 0;  // taken -> write begins (duplicate checks, waiting for seq turn)
  double write_seconds = 0;   // WriteBatch + fsync (waiting for a sync under way included)
  // The fsync part of write_seconds: written -> a sync covering the batch done (waiting for a
  // sync under way included). Only with Durability::kFsync.
  std::optional<double> sync_seconds;
  double answer_wait_seconds = 0;  // written -> answered (waiting for earlier batches' answers)
};

class GroupCommitter {
 public:
  struct Request {
    std::vector<MessageRecord> records;  // seq, transaction_id, timestamp filled by the committer
    // Called on the committer thread after the batch is durable (status OK), or with the reason
    // this request was not stored: MSG1006 with `failed_index` naming the duplicate message, or
    // an I/O error (MSG1000) for the whole batch.
    std::function<void(const dip::Status& status, std::size_t failed_index,
                       std::vector<MessageRecord>& records)>
        done;
    std::chrono::steady_clock::time_point submitted{};  // set by Submit()
  };

  // `store` must outlive the committer. `on_batch` (may be empty) sees every batch's figures.
  GroupCommitter(Store* store, GroupCommitOptions options,
                 std::function<void(const BatchStats&)> on_batch);
  ~GroupCommitter();  // Stop()s

  // False (request dropped, `done` not called) when stopped or when max_pending_bytes is
  // reached: the caller answers "429 Too Many Requests". Safe from any thread.
  bool Submit(Request request);

  // Commits what is queued, answers it, and joins the thread. Idempotent.
  void Stop();
  // False once Stop() has begun: a refused Submit() then means "shutting down", not "full".
  bool accepting() const;
  // OK, or the failed fsync that stopped the committer: after it every send is refused until a
  // restart (a full disk does not count: writes resume with free space). Safe from any thread.
  dip::Status SyncFailure() const;

 private:
  struct Batch;
  void Run();
  // Takes queued requests into `batch` and queues it for their keys. REQUIRES: mu_ held.
  void Take(Batch& batch);
  // True when no batch taken before `batch` and holding one of its keys is not yet durable.
  // REQUIRES: mu_ held.
  bool FirstForKeys(const Batch& batch) const;
  void CommitBatch(Batch& batch);
  // Returns once a sync covering batch `take` (written) is done, syncing itself when no sync is
  // under way: OK, or the failed sync's error.
  dip::Status AwaitSync(std::uint64_t take);
  std::string NextTransactionId(const MessageRecord& r, const std::string& yyyymmdd);

  Store* store_;
  const GroupCommitOptions options_;
  std::function<void(const BatchStats&)> on_batch_;
  const std::uint64_t key_seed_;  // of the keys' hash (random: senders cannot aim at a collision)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;      // guarded by mu_
  std::size_t pending_bytes_ = 0;  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  // Batches taken and not yet durable (at most one per committer), each with the sorted
  // hashes of its keys; a batch waits for the earlier ones among them that share a hash.
  // Guarded by mu_.
  std::vector<const Batch*> unwritten_;
  std::condition_variable released_;  // a batch left holders_
  std::uint64_t next_take_ = 0;       // guarded by mu_
  bool writing_ = false;        // a committer holds the write slot (taken, not yet written); mu_
  std::uint64_t next_seq_;      // guarded by mu_
  std::uint64_t seq_turn_ = 0;  // the take number whose seqs come next; guarded by mu_
  std::condition_variable seq_turn_cv_;

  // Syncs: one at a time, each covering every batch written before it began. Guarded by sync_mu_.
  mutable std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool syncing_ = false;
  std::uint64_t written_through_ = 0;            // take number of the last batch written
  std::optional<std::uint64_t> synced_through_;  // batches up to here are durable
  std::optional<std::uint64_t> failed_through_;  // a sync failed for the batches up to here
  // A sync failed other than for a full disk: no batch not yet synced, and no later request,
  // is answered OK (until a restart).
  bool sync_broken_ = false;
  dip::Status sync_error_ = dip::Status::Ok();

  std::mutex answer_mu_;
  std::condition_variable answer_cv_;
  std::uint64_t answered_ = 0;  // batches answered so far; guarded by answer_mu_
  std::vector<std::thread> threads_;
};

}  // namespace diphub::storage
