// Stored messages read in place (Store::GetMessageViews): views of the stored bytes, and the
// owners that keep those bytes alive for as long as the batch lives (the recent group commits'
// write batches, values pinned or copied out of RocksDB, or decoded records).
//
// Thread-safety: none; a batch is built by one thread, then read (and moved) like a value.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dip/status.h"
#include "storage/records.h"

namespace diphub::storage {

class MessageBatch {
 public:
  MessageBatch() = default;
  MessageBatch(MessageBatch&&) = default;
  MessageBatch& operator=(MessageBatch&&) = default;

  std::size_t size() const { return views_.size(); }
  bool empty() const { return views_.empty(); }
  const MessageView& operator[](std::size_t i) const { return views_[i]; }
  auto begin() const { return views_.begin(); }
  auto end() const { return views_.end(); }
  // The elements of one of a view's lists.
  std::span<const std::string_view> List(ListRef ref) const {
    return std::span<const std::string_view>(ids_).subspan(ref.begin, ref.count);
  }

  // A copy of message `i` that owns its fields.
  MessageRecord Record(std::size_t i) const { return ToRecord(views_[i], ids_); }

  // Building (for Store implementations).
  // `n` empty slots, filled by Decode or SetRecord.
  void Resize(std::size_t n) { views_.resize(n); }
  // Keeps `owner` alive with the batch; what it holds may be viewed by the slots.
  void Keep(std::shared_ptr<const void> owner);
  // Slot `i` views the stored message `bytes` (kept alive by the caller's Keep).
  dip::Status Decode(std::size_t i, std::uint64_t seq, std::string_view bytes);
  // Slot `i`'s raw bytes, for a logged record (MessageView::raw_at): kept alive by the caller's
  // Keep.
  void SetRaw(std::size_t i, std::string_view raw) { views_[i].raw = raw; }
  // Slot `i` views `r`, which must outlive the batch (Keep its owner).
  void SetRecord(std::size_t i, const MessageRecord& r);
  // Reads a batch of owned records: moves them into the batch and views them.
  static MessageBatch FromRecords(std::vector<MessageRecord> records);

 private:
  ListRef AddList(const std::vector<std::string>& list);

  std::vector<MessageView> views_;
  std::vector<std::string_view> ids_;  // every view's list elements
  std::vector<std::shared_ptr<const void>> owners_;
};

}  // namespace diphub::storage
