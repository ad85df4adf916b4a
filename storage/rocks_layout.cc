#include "storage/rocks_layout.h"

#include "storage/codec.h"

namespace diphub::storage::layout {

std::string SeqKey(std::uint64_t seq) {
  std::string k;
  PutFixed64BE(&k, seq);
  return k;
}

std::string RecipientKey(std::string_view recipient, std::uint64_t seq) {
  std::string k;
  k.reserve(recipient.size() + 9);
  k.append(recipient).push_back('\0');
  PutFixed64BE(&k, seq);
  return k;
}

std::string Prefix(std::string_view s) {
  std::string p(s);
  p.push_back('\0');
  return p;
}

std::string RefKey(std::string_view reference, std::string_view sender) {
  std::string k;
  k.reserve(reference.size() + sender.size() + 1);
  k.append(reference).push_back('\0');
  k.append(sender);
  return k;
}

std::string StatusRefKey(std::string_view reference, std::uint64_t seq) {
  std::string k = Prefix(reference);
  k.push_back('\0');
  PutFixed64BE(&k, seq);
  return k;
}

std::string AppointmentKey(const AppointmentRow& a) {
  std::string k;
  PutFixed64BE(&k, a.mpan);
  k.push_back(static_cast<char>(a.slot));
  k.push_back(static_cast<char>(a.from_day >> 8));
  k.push_back(static_cast<char>(a.from_day & 0xff));
  return k;
}

std::string OutboundJournalKey(const DeliveryOutcome& o) {
  std::string k = SeqKey(o.seq);
  k.push_back('3');  // format 4 put Inbound under '1' and Addressing under '2'
  PutFixed64BE(&k, static_cast<std::uint64_t>(o.unix_ms));
  k.append(o.recipient).push_back('\0');
  PutFixed64BE(&k, o.attempts);
  return k;
}

JournalRow OutboundRow(const DeliveryOutcome& o) {
  return JournalRow{JournalRow::Stage::kOutbound,
                    std::string(OutboundStatusName(o.status)),
                    o.recipient,
                    o.unix_ms,
                    o.http_status,
                    o.duration_ms,
                    o.attempts,
                    o.detail};
}

bool IsFinal(OutboundStatus s) {
  return s == OutboundStatus::kDelivered || s == OutboundStatus::kRejectedByRecipient ||
         s == OutboundStatus::kRetriesExhausted;
}

}  // namespace diphub::storage::layout
