#include "storage/records.h"

#include "dip/envelope.h"
#include "storage/codec.h"

namespace diphub::storage {
namespace {

constexpr char kMessageFormat = 4;   // 4: secondary and always recipients
constexpr char kMessageFormat3 = 3;  // 3: event code, MPAN and acceptance time

void PutList(std::string* dst, const std::vector<std::string>& v) {
  PutVarint32(dst, static_cast<std::uint32_t>(v.size()));
  for (const std::string& s : v) PutLengthPrefixed(dst, s);
}

bool GetString(std::string_view* in, std::string* out) {
  std::string_view s;
  if (!GetLengthPrefixed(in, &s)) return false;
  out->assign(s);
  return true;
}

bool GetList(std::string_view* in, std::vector<std::string>* out) {
  std::uint32_t n;
  if (!GetVarint32(in, &n) || n > in->size()) return false;
  out->resize(n);
  for (std::string& s : *out) {
    if (!GetString(in, &s)) return false;
  }
  return true;
}

void PutOptional(std::string* dst, const std::optional<std::string>& v) {
  dst->push_back(v ? 1 : 0);
  PutLengthPrefixed(dst, v ? std::string_view(*v) : std::string_view());
}

bool GetOptional(std::string_view* in, std::optional<std::string>* out) {
  if (in->empty()) return false;
  bool has = in->front() == 1;
  in->remove_prefix(1);
  std::string v;
  if (!GetString(in, &v)) return false;
  if (has) {
    *out = std::move(v);
  } else {
    out->reset();
  }
  return true;
}

bool GetI64(std::string_view* in, std::int64_t* v) {
  std::uint64_t u;
  if (!GetFixed64BE(in, &u)) return false;
  *v = static_cast<std::int64_t>(u);
  return true;
}

}  // namespace

void EncodeMessageAround(const MessageRecord& r, std::string* head, std::string* tail) {
  std::string& out = *head;
  out.push_back(kMessageFormat);
  PutLengthPrefixed(&out, r.transaction_id);
  PutLengthPrefixed(&out, r.transaction_timestamp);
  PutFixed64BE(&out, static_cast<std::uint64_t>(r.accepted_unix_ms));
  PutLengthPrefixed(&out, r.interface_id);
  PutLengthPrefixed(&out, r.event_code);
  PutOptional(&out, r.mpan);
  PutLengthPrefixed(&out, r.sender_dip_id);
  PutLengthPrefixed(&out, r.sender_role);
  PutLengthPrefixed(&out, r.sender_unique_reference);
  PutOptional(&out, r.correlation_id);
  PutList(&out, r.primary_recipients);
  PutList(&out, r.recipients);
  PutVarint32(&out, static_cast<std::uint32_t>(r.Raw().size()));  // the raw bytes come between
  PutList(tail, r.secondary_recipients);
  PutList(tail, r.always_recipients);
}

std::string EncodeMessage(const MessageRecord& r) {
  std::string head, tail;
  EncodeMessageAround(r, &head, &tail);
  head.reserve(head.size() + r.Raw().size() + tail.size());
  head.append(r.Raw());
  head.append(tail);
  return head;
}

dip::Result<MessageRecord> DecodeMessage(std::uint64_t seq, std::string_view in) {
  MessageRecord r;
  r.seq = seq;
  auto corrupt = [seq] {
    return dip::Status::Io("stored message " + std::to_string(seq) + " is corrupt");
  };
  if (in.empty() || (in.front() != kMessageFormat && in.front() != kMessageFormat3)) {
    return corrupt();
  }
  const bool format3 = in.front() == kMessageFormat3;
  in.remove_prefix(1);
  std::string_view raw;
  if (!GetString(&in, &r.transaction_id) || !GetString(&in, &r.transaction_timestamp) ||
      !GetI64(&in, &r.accepted_unix_ms) || !GetString(&in, &r.interface_id) ||
      !GetString(&in, &r.event_code) || !GetOptional(&in, &r.mpan) ||
      !GetString(&in, &r.sender_dip_id) || !GetString(&in, &r.sender_role) ||
      !GetString(&in, &r.sender_unique_reference) || !GetOptional(&in, &r.correlation_id) ||
      !GetList(&in, &r.primary_recipients) || !GetList(&in, &r.recipients) ||
      !GetLengthPrefixed(&in, &raw)) {
    return corrupt();
  }
  // With room for the JSON parser's padding, so egress reads it in place.
  r.raw.reserve(raw.size() + dip::kBodyPadding);
  r.raw.assign(raw);
  if (!format3 && (!GetList(&in, &r.secondary_recipients) || !GetList(&in, &r.always_recipients))) {
    return corrupt();
  }
  if (!in.empty()) return corrupt();
  return r;
}

std::string EncodeOutboxValue(const OutboxEntry& e) {
  std::string v = e.interface_id;
  if (e.replay) {
    v.push_back('\x01');
    v += e.requeue_id;
  }
  return v;
}

void DecodeOutboxValue(std::string_view value, OutboxEntry* e) {
  std::size_t mark = value.find('\x01');
  e->interface_id.assign(value.substr(0, mark));
  e->replay = mark != std::string_view::npos;
  e->requeue_id = e->replay ? std::string(value.substr(mark + 1)) : std::string();
}

std::string_view OutboundStatusName(OutboundStatus s) {
  switch (s) {
    case OutboundStatus::kDelivered:
      return "Delivered";
    case OutboundStatus::kDeliveryFailure:
      return "DeliveryFailure";
    case OutboundStatus::kRejectedByRecipient:
      return "RejectedByRecipient";
    case OutboundStatus::kRetrying:
      return "Retrying";
    case OutboundStatus::kRetriesExhausted:
      return "RetriesExhausted";
    case OutboundStatus::kPaused:
      return "Paused";
    case OutboundStatus::kUnknownDeliveryStatus:
      return "UnknownDeliveryStatus";
  }
  return "UnknownDeliveryStatus";
}

std::string EncodeOutcome(const DeliveryOutcome& o) {
  std::string out;
  out.push_back(static_cast<char>(o.status));
  PutVarint32(&out, static_cast<std::uint32_t>(o.http_status));
  PutVarint32(&out, o.attempts);
  PutFixed64BE(&out, static_cast<std::uint64_t>(o.unix_ms));
  PutFixed64BE(&out, static_cast<std::uint64_t>(o.duration_ms));
  PutLengthPrefixed(&out, o.detail);
  return out;
}

dip::Result<DeliveryOutcome> DecodeOutcome(std::string_view recipient, std::uint64_t seq,
                                           std::string_view in) {
  DeliveryOutcome o;
  o.recipient.assign(recipient);
  o.seq = seq;
  std::uint32_t http = 0;
  if (in.empty() || static_cast<unsigned char>(in.front()) > 6) {
    return dip::Status::Io("stored delivery outcome is corrupt");
  }
  o.status = static_cast<OutboundStatus>(in.front());
  in.remove_prefix(1);
  if (!GetVarint32(&in, &http) || !GetVarint32(&in, &o.attempts) || !GetI64(&in, &o.unix_ms) ||
      !GetI64(&in, &o.duration_ms) || !GetString(&in, &o.detail)) {
    return dip::Status::Io("stored delivery outcome is corrupt");
  }
  o.http_status = static_cast<int>(http);
  return o;
}

std::string_view JournalStageName(JournalRow::Stage s) {
  switch (s) {
    case JournalRow::Stage::kInbound:
      return "Inbound";
    case JournalRow::Stage::kAddressing:
      return "Addressing";
    case JournalRow::Stage::kOutbound:
      return "Outbound";
    case JournalRow::Stage::kStatusMessage:
      return "StatusMessage";
  }
  return "Inbound";
}

std::string EncodeJournalRow(const JournalRow& r) {
  std::string out;
  out.push_back(static_cast<char>(r.stage));
  PutLengthPrefixed(&out, r.status);
  PutLengthPrefixed(&out, r.recipient);
  PutFixed64BE(&out, static_cast<std::uint64_t>(r.unix_ms));
  PutVarint32(&out, static_cast<std::uint32_t>(r.http_status));
  PutFixed64BE(&out, static_cast<std::uint64_t>(r.duration_ms));
  PutVarint32(&out, r.attempt);
  PutLengthPrefixed(&out, r.detail);
  return out;
}

dip::Result<JournalRow> DecodeJournalRow(std::string_view in) {
  JournalRow r;
  std::uint32_t http = 0;
  if (in.empty() || static_cast<unsigned char>(in.front()) > 3) {
    return dip::Status::Io("stored journal row is corrupt");
  }
  r.stage = static_cast<JournalRow::Stage>(in.front());
  in.remove_prefix(1);
  if (!GetString(&in, &r.status) || !GetString(&in, &r.recipient) || !GetI64(&in, &r.unix_ms) ||
      !GetVarint32(&in, &http) || !GetI64(&in, &r.duration_ms) || !GetVarint32(&in, &r.attempt) ||
      !GetString(&in, &r.detail)) {
    return dip::Status::Io("stored journal row is corrupt");
  }
  r.http_status = static_cast<int>(http);
  return r;
}

}  // namespace diphub::storage
