// The messages of the last group commits, held as the write batches (and message log writes)
// that stored them, so that
// the delivery that follows a commit decodes them without reading them back from RocksDB (a
// MultiGet through the memtable per batch of deliveries). A miss is read from the store as
// before; the cache only saves work.
//
// Thread-safety: safe from any thread (one mutex). Bounded: at most `max_bytes` of batches are
// held; the oldest go first.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace diphub::storage {

class RecentMessages {
 public:
  explicit RecentMessages(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // One message's stored value, and its raw bytes when the value holds only their place in the
  // message log (else empty), as views of what the batch's owner keeps.
  struct Value {
    std::uint64_t seq;
    std::string_view value;
    std::string_view raw;
  };
  // After a batch of `bytes` bytes (kept valid by `owner`) was written: `values` (in ascending
  // seq) view the messages in it.
  void Add(std::shared_ptr<const void> owner, std::size_t bytes, std::vector<Value> values);
  // Message `seq` if it is held; `*keep` keeps the views valid.
  std::optional<Value> Find(std::uint64_t seq, std::shared_ptr<const void>* keep) const;
  // Forgets everything (messages are being removed from the store).
  void Clear();

 private:
  struct Batch {
    std::shared_ptr<const void> owner;
    std::size_t bytes;
    std::vector<Value> values;  // ascending seq
  };
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<Batch> batches_;  // oldest first; guarded by mu_
  std::size_t bytes_ = 0;      // guarded by mu_
};

}  // namespace diphub::storage
