// Group commit: many senders' messages, one WriteBatch, one fsync, then every sender answered.
//
// One committer thread owns the write path. Submit() queues a request (all the messages of one
// send, accepted or rejected together) and returns at once; the committer takes everything
// queued — up to max_messages / max_bytes — checks duplicates against the store and within the
// batch, assigns sequence numbers, transaction IDs and timestamps, writes the batch with one
// fsync, and only then calls each request's `done`. While one fsync runs the next batch fills,
// so batches grow with load and no artificial wait is added when the hub is idle.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
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
  Durability durability = Durability::kFsync;  // Default: kFsync
  std::string instance_tag = "0000";           // 4 hex digits folded into transaction IDs
};

struct BatchStats {
  std::size_t messages = 0;
  std::size_t bytes = 0;
  double write_seconds = 0;  // WriteBatch + fsync
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

 private:
  void Run();
  void CommitBatch(std::vector<Request>& batch);
  std::string NextTransactionId(const MessageRecord& r, const std::string& yyyymmdd);

  Store* store_;
  const GroupCommitOptions options_;
  std::function<void(const BatchStats&)> on_batch_;
  std::uint64_t next_seq_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;      // guarded by mu_
  std::size_t pending_bytes_ = 0;  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::thread thread_;
};

}  // namespace diphub::storage
