// What the hub stores per accepted message, per delivery and per journal stage.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"

namespace diphub::storage {

enum class Durability {
  kFsync,       // every group commit is fsync'd before anyone is answered (default)
  kOsBuffered,  // written to the OS only: a power loss can lose acknowledged messages (tests)
  // Written to the OS now, durable once a later Store::SyncWal() returns OK: the group commit
  // writes the next batch while this one is synced (never a configured value).
  kSyncLater,
};

// Where a message's raw bytes lie in the message log (storage/message_log.h): segment number
// (from 1; 0: not in the log), byte offset of the payload in the segment file, and its size.
struct LogPosition {
  std::uint32_t segment = 0;
  std::uint64_t offset = 0;
  std::uint32_t size = 0;
  std::uint64_t End() const { return offset + size; }
};

// One effective-dated appointment: `party` (a DIP ID; "" = nobody) holds appointment slot
// `slot` (routing::Slot) of MPAN `mpan` (13 digits as a number) from day `from_day` (days since
// 1970-01-01).
struct AppointmentRow {
  std::uint64_t mpan = 0;
  std::uint8_t slot = 0;
  std::uint16_t from_day = 0;
  std::string party;
};

// The interface ID of a status record: a recipient's status message (POST /statusmessage) about
// a message it received, stored like a message and delivered like one to the original
// sender's status webhook (the participant's webhook under this key). A status record has no
// duplicate check, and its senderUniqueReference is the original message's, so the journal of the
// original message finds it.
inline constexpr std::string_view kStatusInterface = "statusmessage";

struct MessageRecord {
  std::uint64_t seq = 0;              // assigned by the committer; orders all messages
  std::string transaction_id;         // D0.transactionID, assigned by the committer
  std::string transaction_timestamp;  // D0.transactionTimestamp, assigned by the committer
  std::int64_t accepted_unix_ms = 0;  // when the committer took it, assigned by the committer
  std::string interface_id;           // "IF-061"
  std::string event_code;             // "[MDRStart]"
  std::optional<std::string> mpan;    // M0.MPANCore, when present
  std::string sender_dip_id;
  std::string sender_role;
  std::string sender_unique_reference;
  std::optional<std::string> correlation_id;
  std::vector<std::string> primary_recipients;    // A0 as sent
  std::vector<std::string> recipients;            // resolved; one outbox entry each
  std::vector<std::string> secondary_recipients;  // A0.secondaryRecipients on publication
  std::vector<std::string> always_recipients;     // A0.always on publication
  // Appointment changes the message carries; written with it (not part of its encoding).
  std::vector<AppointmentRow> appointments;
  std::string raw;  // the array element as received (empty when raw_owner holds it)
  // Or, for the messages of a send on their way to the store: the element's bytes in the buffer
  // the send arrived in, which raw_owner keeps alive, so they are copied once, into the message
  // log's write (or the WriteBatch without the log). Records read back from the store own `raw`.
  std::shared_ptr<const void> raw_owner;
  std::string_view raw_view;

  // The array element as received, wherever it is held.
  std::string_view Raw() const { return raw_owner ? raw_view : std::string_view(raw); }
  std::size_t ApproximateBytes() const { return Raw().size() + 256; }
};

std::string EncodeMessage(const MessageRecord& r);
// EncodeMessage(r) is `*head` + r.raw + `*tail` (appended to): a writer can pass the three parts
// without copying raw into one string first.
void EncodeMessageAround(const MessageRecord& r, std::string* head, std::string* tail);
// The record of a message whose raw bytes are in the message log at `at`: the same fields, with
// the position in place of the bytes (appended to `*out`).
void EncodeLoggedMessage(const MessageRecord& r, const LogPosition& at, std::string* out);
// A logged record decodes with `raw` empty: its fields only (the journal, retention).
dip::Result<MessageRecord> DecodeMessage(std::uint64_t seq, std::string_view bytes);

// Where one list of a MessageView lies in the string views beside it (MessageBatch::List).
struct ListRef {
  std::uint32_t begin = 0;
  std::uint32_t count = 0;
};

// A stored message read in place: the fields of MessageRecord (but appointments) as views of
// the stored bytes, which whoever decoded it keeps alive (storage/message_batch.h). Lists are
// ranges of the string views decoded beside it.
struct MessageView {
  std::uint64_t seq = 0;
  std::string_view transaction_id;
  std::string_view transaction_timestamp;
  std::int64_t accepted_unix_ms = 0;
  std::string_view interface_id;
  std::string_view event_code;
  std::optional<std::string_view> mpan;
  std::string_view sender_dip_id;
  std::string_view sender_role;
  std::string_view sender_unique_reference;
  std::optional<std::string_view> correlation_id;
  ListRef primary_recipients;
  ListRef recipients;
  ListRef secondary_recipients;
  ListRef always_recipients;
  std::string_view raw;  // the array element as received
  // A logged record (EncodeLoggedMessage) decodes with `raw` empty and its bytes' place here;
  // the store reads them and sets `raw` before anyone else sees the view.
  LogPosition raw_at;
};

// Decodes EncodeMessage's (or EncodeLoggedMessage's) bytes without copying them: `*out` views
// `bytes`, and its lists' elements are appended to `*ids` (ListRef indexes into it). On error
// `*ids` may have grown.
dip::Status DecodeMessageView(std::uint64_t seq, std::string_view bytes, MessageView* out,
                              std::vector<std::string_view>* ids);
// A copy of `v` that owns its fields (`ids`: the string views its ListRefs index).
MessageRecord ToRecord(const MessageView& v, std::span<const std::string_view> ids);

// A pending delivery of message `seq` to `recipient`.
struct OutboxEntry {
  std::string recipient;
  std::uint64_t seq = 0;
  std::string interface_id;
  bool replay = false;     // requeued: published with D0.replayIndicator true
  std::string requeue_id;  // the requeue that put it back, if any
  // When the group commit handed it to delivery (not stored; unset when read from the store).
  std::chrono::steady_clock::time_point handed_off{};
};
std::string EncodeOutboxValue(const OutboxEntry& e);
void DecodeOutboxValue(std::string_view value, OutboxEntry* e);

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

// One delivery attempt's outcome. Final ones (Delivered, RejectedByRecipient, RetriesExhausted)
// end the pending delivery; every one shows in the journal (Store::RecordOutcomes).
struct DeliveryOutcome {
  std::string recipient;
  std::uint64_t seq = 0;
  OutboundStatus status = OutboundStatus::kDelivered;
  int http_status = 0;
  std::uint32_t attempts = 0;
  std::int64_t unix_ms = 0;
  std::int64_t duration_ms = 0;
  std::string detail;  // transport error, if any
};

std::string EncodeOutcome(const DeliveryOutcome& o);
dip::Result<DeliveryOutcome> DecodeOutcome(std::string_view recipient, std::uint64_t seq,
                                           std::string_view bytes);

// One stage of a message's journal (GET .../deliveryStatus).
struct JournalRow {
  enum class Stage { kInbound, kAddressing, kOutbound, kStatusMessage };
  Stage stage = Stage::kInbound;
  std::string status;     // "Accepted", "Routed", an outbound status
  std::string recipient;  // Outbound rows
  std::int64_t unix_ms = 0;
  int http_status = 0;
  std::int64_t duration_ms = 0;
  std::uint32_t attempt = 0;
  std::string detail;
};
std::string_view JournalStageName(JournalRow::Stage s);
std::string EncodeJournalRow(const JournalRow& r);
dip::Result<JournalRow> DecodeJournalRow(std::string_view bytes);

}  // namespace diphub::storage
