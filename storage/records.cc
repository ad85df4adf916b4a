#include "storage/records.h"

#include "storage/codec.h"

namespace diphub::storage {
namespace {

constexpr char kMessageFormat = 2;  // 2: accepted_unix_ms at the end

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

}  // namespace

std::string EncodeMessage(const MessageRecord& r) {
  std::string out;
  out.reserve(r.raw.size() + 160);
  out.push_back(kMessageFormat);
  PutLengthPrefixed(&out, r.transaction_id);
  PutLengthPrefixed(&out, r.transaction_timestamp);
  PutLengthPrefixed(&out, r.interface_id);
  PutLengthPrefixed(&out, r.sender_dip_id);
  PutLengthPrefixed(&out, r.sender_role);
  PutLengthPrefixed(&out, r.sender_unique_reference);
  out.push_back(r.correlation_id ? 1 : 0);
  PutLengthPrefixed(&out, r.correlation_id ? *r.correlation_id : std::string_view());
  PutList(&out, r.primary_recipients);
  PutList(&out, r.recipients);
  PutLengthPrefixed(&out, r.raw);
  PutFixed64BE(&out, static_cast<std::uint64_t>(r.accepted_unix_ms));
  return out;
}

dip::Result<MessageRecord> DecodeMessage(std::uint64_t seq, std::string_view in) {
  MessageRecord r;
  r.seq = seq;
  auto corrupt = [seq] {
    return dip::Status::Io("stored message " + std::to_string(seq) + " is corrupt");
  };
  if (in.empty() || in.front() != kMessageFormat) return corrupt();
  in.remove_prefix(1);
  std::string corr;
  if (!GetString(&in, &r.transaction_id) || !GetString(&in, &r.transaction_timestamp) ||
      !GetString(&in, &r.interface_id) || !GetString(&in, &r.sender_dip_id) ||
      !GetString(&in, &r.sender_role) || !GetString(&in, &r.sender_unique_reference) ||
      in.empty()) {
    return corrupt();
  }
  bool has_corr = in.front() == 1;
  in.remove_prefix(1);
  if (!GetString(&in, &corr) || !GetList(&in, &r.primary_recipients) ||
      !GetList(&in, &r.recipients) || !GetString(&in, &r.raw)) {
    return corrupt();
  }
  if (has_corr) r.correlation_id = std::move(corr);
  std::uint64_t accepted = 0;
  if (!GetFixed64BE(&in, &accepted) || !in.empty()) return corrupt();
  r.accepted_unix_ms = static_cast<std::int64_t>(accepted);
  return r;
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
  PutLengthPrefixed(&out, OutboundStatusName(o.status));
  PutVarint32(&out, static_cast<std::uint32_t>(o.http_status));
  PutVarint32(&out, o.attempts);
  PutFixed64BE(&out, static_cast<std::uint64_t>(o.unix_ms));
  return out;
}

}  // namespace diphub::storage
