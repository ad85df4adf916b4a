#include "storage/records.h"

#include "dip/envelope.h"
#include "storage/codec.h"

namespace diphub::storage {
namespace {

constexpr char kMessageFormat = 4;   // 4: secondary and always recipients
constexpr char kMessageFormat3 = 3;  // 3: event code, MPAN and acceptance time
constexpr char kMessageLogged = 5;   // 5: 4 with the raw bytes' place in the message log

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

void PutOptional(std::string* dst, const std::optional<std::string>& v) {
  dst->push_back(v ? 1 : 0);
  PutLengthPrefixed(dst, v ? std::string_view(*v) : std::string_view());
}

bool GetI64(std::string_view* in, std::int64_t* v) {
  std::uint64_t u;
  if (!GetFixed64BE(in, &u)) return false;
  *v = static_cast<std::int64_t>(u);
  return true;
}

}  // namespace

namespace {

// The fields before the raw bytes, and those after them.
void PutHead(const MessageRecord& r, char format, std::string* out) {
  out->push_back(format);
  PutLengthPrefixed(out, r.transaction_id);
  PutLengthPrefixed(out, r.transaction_timestamp);
  PutFixed64BE(out, static_cast<std::uint64_t>(r.accepted_unix_ms));
  PutLengthPrefixed(out, r.interface_id);
  PutLengthPrefixed(out, r.event_code);
  PutOptional(out, r.mpan);
  PutLengthPrefixed(out, r.sender_dip_id);
  PutLengthPrefixed(out, r.sender_role);
  PutLengthPrefixed(out, r.sender_unique_reference);
  PutOptional(out, r.correlation_id);
  PutList(out, r.primary_recipients);
  PutList(out, r.recipients);
}
void PutTail(const MessageRecord& r, std::string* out) {
  PutList(out, r.secondary_recipients);
  PutList(out, r.always_recipients);
}

}  // namespace

void EncodeMessageAround(const MessageRecord& r, std::string* head, std::string* tail) {
  PutHead(r, kMessageFormat, head);
  PutVarint32(head, static_cast<std::uint32_t>(r.Raw().size()));  // the raw bytes come between
  PutTail(r, tail);
}

void EncodeLoggedMessage(const MessageRecord& r, const LogPosition& at, std::string* out) {
  PutHead(r, kMessageLogged, out);
  PutVarint32(out, at.size);
  PutVarint32(out, at.segment);
  PutFixed64BE(out, at.offset);
  PutTail(r, out);
}

std::string EncodeMessage(const MessageRecord& r) {
  std::string head, tail;
  EncodeMessageAround(r, &head, &tail);
  head.reserve(head.size() + r.Raw().size() + tail.size());
  head.append(r.Raw());
  head.append(tail);
  return head;
}

namespace {

bool GetViewList(std::string_view* in, ListRef* ref, std::vector<std::string_view>* ids) {
  std::uint32_t n;
  if (!GetVarint32(in, &n) || n > in->size()) return false;
  ref->begin = static_cast<std::uint32_t>(ids->size());
  ref->count = n;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!GetLengthPrefixed(in, &s)) return false;
    ids->push_back(s);
  }
  return true;
}

bool GetViewOptional(std::string_view* in, std::optional<std::string_view>* out) {
  if (in->empty()) return false;
  const bool has = in->front() == 1;
  in->remove_prefix(1);
  std::string_view v;
  if (!GetLengthPrefixed(in, &v)) return false;
  if (has) {
    *out = v;
  } else {
    out->reset();
  }
  return true;
}

std::optional<std::string> Owned(const std::optional<std::string_view>& v) {
  return v ? std::optional<std::string>(std::in_place, *v) : std::nullopt;
}

std::vector<std::string> OwnedList(std::span<const std::string_view> ids, ListRef ref) {
  std::span<const std::string_view> list = ids.subspan(ref.begin, ref.count);
  return std::vector<std::string>(list.begin(), list.end());
}

}  // namespace

dip::Status DecodeMessageView(std::uint64_t seq, std::string_view in, MessageView* out,
                              std::vector<std::string_view>* ids) {
  MessageView& r = *out;
  r = MessageView();
  r.seq = seq;
  auto corrupt = [seq] {
    return dip::Status::Io("stored message " + std::to_string(seq) + " is corrupt");
  };
  if (in.empty() || (in.front() != kMessageFormat && in.front() != kMessageFormat3 &&
                     in.front() != kMessageLogged)) {
    return corrupt();
  }
  const bool format3 = in.front() == kMessageFormat3;
  const bool logged = in.front() == kMessageLogged;
  in.remove_prefix(1);
  if (!GetLengthPrefixed(&in, &r.transaction_id) ||
      !GetLengthPrefixed(&in, &r.transaction_timestamp) || !GetI64(&in, &r.accepted_unix_ms) ||
      !GetLengthPrefixed(&in, &r.interface_id) || !GetLengthPrefixed(&in, &r.event_code) ||
      !GetViewOptional(&in, &r.mpan) || !GetLengthPrefixed(&in, &r.sender_dip_id) ||
      !GetLengthPrefixed(&in, &r.sender_role) ||
      !GetLengthPrefixed(&in, &r.sender_unique_reference) ||
      !GetViewOptional(&in, &r.correlation_id) || !GetViewList(&in, &r.primary_recipients, ids) ||
      !GetViewList(&in, &r.recipients, ids)) {
    return corrupt();
  }
  if (logged) {
    if (!GetVarint32(&in, &r.raw_at.size) || !GetVarint32(&in, &r.raw_at.segment) ||
        !GetFixed64BE(&in, &r.raw_at.offset) || r.raw_at.segment == 0) {
      return corrupt();
    }
  } else if (!GetLengthPrefixed(&in, &r.raw)) {
    return corrupt();
  }
  if (!format3 && (!GetViewList(&in, &r.secondary_recipients, ids) ||
                   !GetViewList(&in, &r.always_recipients, ids))) {
    return corrupt();
  }
  if (!in.empty()) return corrupt();
  return dip::Status::Ok();
}

MessageRecord ToRecord(const MessageView& v, std::span<const std::string_view> ids) {
  MessageRecord r;
  r.seq = v.seq;
  r.transaction_id.assign(v.transaction_id);
  r.transaction_timestamp.assign(v.transaction_timestamp);
  r.accepted_unix_ms = v.accepted_unix_ms;
  r.interface_id.assign(v.interface_id);
  r.event_code.assign(v.event_code);
  r.mpan = Owned(v.mpan);
  r.sender_dip_id.assign(v.sender_dip_id);
  r.sender_role.assign(v.sender_role);
  r.sender_unique_reference.assign(v.sender_unique_reference);
  r.correlation_id = Owned(v.correlation_id);
  r.primary_recipients = OwnedList(ids, v.primary_recipients);
  r.recipients = OwnedList(ids, v.recipients);
  r.secondary_recipients = OwnedList(ids, v.secondary_recipients);
  r.always_recipients = OwnedList(ids, v.always_recipients);
  // With room for the JSON parser's padding, so egress reads it in place.
  r.raw.reserve(v.raw.size() + dip::kBodyPadding);
  r.raw.assign(v.raw);
  return r;
}

dip::Result<MessageRecord> DecodeMessage(std::uint64_t seq, std::string_view in) {
  std::vector<std::string_view> ids;
  MessageView v;
  if (dip::Status s = DecodeMessageView(seq, in, &v, &ids); !s.ok()) return s;
  return ToRecord(v, ids);
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
