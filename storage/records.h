// What the hub stores per accepted message and per delivery.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"

namespace diphub::storage {

enum class Durability {
  kFsync,       // every group commit is fsync'd before anyone is answered (default)
  kOsBuffered,  // written to the OS only: a power loss can lose acknowledged messages (tests)
};

struct MessageRecord {
  std::uint64_t seq = 0;              // assigned by the committer; orders all messages
  std::string transaction_id;         // D0.transactionID, assigned by the committer
  std::string transaction_timestamp;  // D0.transactionTimestamp, assigned by the committer
  std::string interface_id;           // "IF-061"
  std::string sender_dip_id;
  std::string sender_role;
  std::string sender_unique_reference;
  std::optional<std::string> correlation_id;
  std::vector<std::string> primary_recipients;  // A0 as sent
  std::vector<std::string> recipients;          // resolved; one outbox entry each
  std::string raw;                              // the array element as received
  std::int64_t accepted_unix_ms = 0;            // when the committer took it (for latency)

  std::size_t ApproximateBytes() const { return raw.size() + 256; }
};

std::string EncodeMessage(const MessageRecord& r);
dip::Result<MessageRecord> DecodeMessage(std::uint64_t seq, std::string_view bytes);

// A pending delivery of message `seq` to `recipient`.
struct OutboxEntry {
  std::string recipient;
  std::uint64_t seq = 0;
  std::string interface_id;
};

// Outbound statuses, named as the DIP names them.
enum class OutboundStatus {
  kDelivered,
  kDeliveryFailure,
  kRejectedByRecipient,
  kRetrying,
  kRetriesExhausted,
  kPaused,
  kUnknownDeliveryStatus,
};
std::string_view OutboundStatusName(OutboundStatus s);

// The final outcome of one delivery, recorded when it leaves the outbox.
struct DeliveryOutcome {
  std::string recipient;
  std::uint64_t seq = 0;
  OutboundStatus status = OutboundStatus::kDelivered;
  int http_status = 0;
  std::uint32_t attempts = 0;
  std::int64_t unix_ms = 0;
};

std::string EncodeOutcome(const DeliveryOutcome& o);

}  // namespace diphub::storage
