// The RocksDB layout of the store (format "diphub-store-6"), shared by rocks_store.cc and the
// format-4 migration. Internal to storage/: callers see Store (store.h).
//
// Column families (`seq` is 8 bytes big-endian, so keys sort in seq order):
//   messages      seq                         -> EncodeLoggedMessage (metadata, recipients, and
//                                                where the raw bytes are in the message log,
//                                                storage/message_log.h), or EncodeMessage (the
//                                                raw bytes inline: messages stored before the log,
//                                                or by a store without one)
//   byref         reference \0 sender         -> seq   (duplicate check; journal look-up)
//                 reference \0 \0 seq         -> ""    (a status record: journal look-up only)
//   published     recipient \0 seq            -> interface ID (backlog, replay)
//   cursors       recipient                   -> seq: every publication to it up to here is done
//   outbox        recipient \0 seq            -> EncodeOutboxValue (explicit pending entries:
//                                                requeues and dead-letter replays only)
//   deliveries    recipient \0 seq            -> EncodeOutcome (the first final outcome)
//   deadletters   recipient \0 seq            -> EncodeOutcome (RetriesExhausted)
//   journal       seq '3' ms recipient attempt -> EncodeJournalRow (outbound rows that are not
//                                                a first final outcome: retries, repeats)
//   timeindex     acceptance ms, first seq of a batch -> ""   (time -> seq)
//   participants  dip ID                      -> YAML text, or "" (deleted at run time)
//   appointments  MPAN(8) slot(1) from_day(2) -> party DIP ID, or "" (vacant)
//   default       meta key                    -> value
// A message's deliveries are pending for a recipient when its published seq is past the
// recipient's cursor, or when it has an explicit outbox entry. Inbound and Addressing journal
// rows are derived from the message record; Outbound rows from deliveries and journal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/records.h"

namespace diphub::storage::layout {

enum Cf {
  kDefault,
  kMessages,
  kOutbox,
  kDeliveries,
  kPublished,
  kDeadLetters,
  kByRef,
  kJournal,
  kTimeIndex,
  kParticipants,
  kAppointments,
  kCursors,
  kCfCount
};
inline constexpr const char* kCfNames[kCfCount] = {
    "default", "messages", "outbox",    "deliveries",   "published",    "deadletters",
    "byref",   "journal",  "timeindex", "participants", "appointments", "cursors"};
// Column families of format 4 that format 5 no longer has; dropped by the migration.
inline constexpr const char* kLegacyDedupe = "dedupe";          // sender \0 reference -> seq
inline constexpr const char* kLegacyReferences = "references";  // reference \0 seq -> ""

inline constexpr std::string_view kFormatKey = "store_format";
inline constexpr std::string_view kFormat = "diphub-store-6";   // 5 + the message log
inline constexpr std::string_view kFormat5 = "diphub-store-5";  // every message inline
// The first seq whose record may be logged (SeqKey); messages before it are inline. Retention
// looks for the oldest segment still referred to from here.
inline constexpr std::string_view kLogFromKey = "message_log_from";
inline constexpr std::string_view kFormat4 = "diphub-store-4";
inline constexpr std::string_view kFormat3 = "diphub-store-3";  // 4 without appointments

std::string SeqKey(std::uint64_t seq);
std::string RecipientKey(std::string_view recipient, std::uint64_t seq);
std::string Prefix(std::string_view s);  // s \0
std::string RefKey(std::string_view reference, std::string_view sender);
std::string StatusRefKey(std::string_view reference, std::uint64_t seq);
std::string AppointmentKey(const AppointmentRow& a);
std::string OutboundJournalKey(const DeliveryOutcome& o);
JournalRow OutboundRow(const DeliveryOutcome& o);
bool IsFinal(OutboundStatus s);

}  // namespace diphub::storage::layout
