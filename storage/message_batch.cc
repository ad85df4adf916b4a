#include "storage/message_batch.h"

namespace diphub::storage {

void MessageBatch::Keep(std::shared_ptr<const void> owner) {
  // Consecutive messages usually come from the same write batch: keep it once.
  if (!owners_.empty() && owners_.back() == owner) return;
  owners_.push_back(std::move(owner));
}

dip::Status MessageBatch::Decode(std::size_t i, std::uint64_t seq, std::string_view bytes) {
  return DecodeMessageView(seq, bytes, &views_[i], &ids_);
}

ListRef MessageBatch::AddList(const std::vector<std::string>& list) {
  ListRef ref{static_cast<std::uint32_t>(ids_.size()), static_cast<std::uint32_t>(list.size())};
  ids_.insert(ids_.end(), list.begin(), list.end());
  return ref;
}

void MessageBatch::SetRecord(std::size_t i, const MessageRecord& r) {
  MessageView& v = views_[i];
  v.seq = r.seq;
  v.transaction_id = r.transaction_id;
  v.transaction_timestamp = r.transaction_timestamp;
  v.accepted_unix_ms = r.accepted_unix_ms;
  v.interface_id = r.interface_id;
  v.event_code = r.event_code;
  v.mpan = r.mpan ? std::optional<std::string_view>(*r.mpan) : std::nullopt;
  v.sender_dip_id = r.sender_dip_id;
  v.sender_role = r.sender_role;
  v.sender_unique_reference = r.sender_unique_reference;
  v.correlation_id =
      r.correlation_id ? std::optional<std::string_view>(*r.correlation_id) : std::nullopt;
  v.primary_recipients = AddList(r.primary_recipients);
  v.recipients = AddList(r.recipients);
  v.secondary_recipients = AddList(r.secondary_recipients);
  v.always_recipients = AddList(r.always_recipients);
  v.raw = r.Raw();
}

MessageBatch MessageBatch::FromRecords(std::vector<MessageRecord> records) {
  auto owned = std::make_shared<const std::vector<MessageRecord>>(std::move(records));
  MessageBatch batch;
  batch.Resize(owned->size());
  for (std::size_t i = 0; i < owned->size(); ++i) batch.SetRecord(i, (*owned)[i]);
  batch.Keep(std::move(owned));
  return batch;
}

}  // namespace diphub::storage
