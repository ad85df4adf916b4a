// The messages of the last group commits, held as the write batches that stored them, so that
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

  // Where one message's stored value lies in a batch's bytes.
  struct Value {
    std::uint64_t seq;
    std::size_t offset, size;
  };
  // After `data` (kept valid by `owner`) was written: `values` (in ascending seq) locate the
  // messages' encoded values in it.
  void Add(std::shared_ptr<const void> owner, std::string_view data, std::vector<Value> values);
  // The stored value of message `seq` if it is held; `*keep` keeps the view valid.
  std::optional<std::string_view> Find(std::uint64_t seq, std::shared_ptr<const void>* keep) const;
  // Forgets everything (messages are being removed from the store).
  void Clear();

 private:
  struct Batch {
    std::shared_ptr<const void> owner;
    std::string_view data;
    std::vector<Value> values;  // ascending seq
  };
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<Batch> batches_;  // oldest first; guarded by mu_
  std::size_t bytes_ = 0;      // guarded by mu_
};

}  // namespace diphub::storage
