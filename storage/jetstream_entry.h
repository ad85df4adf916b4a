// The log entries of storage.engine: jetstream. One entry is the list of Store mutations one
// writer round merged (the calls of two group committers and the delivery recorder, say); it is
// encoded once, published as one stream message (or a chain of parts when larger than the
// server's max payload), and applied in order to every node's local view.
//
// Entry bytes:   'D' 'E' version(1) count(varint32) then per mutation: kind(1)
// body(length-prefixed) Part payload:  'D' 'P' version(1) index(varint32) count(varint32) then a
// slice of the entry A reader refuses an unknown version or mutation kind (written by a newer
// diphub) and any truncated or malformed body, naming what it found; it never applies part of an
// entry.
//
// Thread-safety: EntryBuilder is used by one thread; the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"
#include "storage/records.h"
#include "storage/store.h"

namespace diphub::storage::jetstream {

inline constexpr std::uint8_t kEntryVersion = 1;

enum class MutationKind : std::uint8_t {
  kAppend = 1,
  kRecordOutcomes = 2,
  kRequeue = 3,
  kClearDeadLetters = 4,
  kExpire = 5,
  kPutParticipantOverride = 6,
  kPutAppointments = 7,
  kPutMeta = 8,
};

// One decoded mutation: the arguments of one Store call. Only the fields of its kind are set.
struct Mutation {
  MutationKind kind = MutationKind::kPutMeta;
  std::vector<MessageRecord> records;     // kAppend (with their appointment rows)
  std::vector<DeliveryOutcome> outcomes;  // kRecordOutcomes
  std::string recipient;                  // kRequeue, kClearDeadLetters
  std::vector<OutboxEntry> entries;       // kRequeue
  bool requeue = false;                   // kClearDeadLetters
  std::int64_t cutoff_ms = 0;             // kExpire
  std::uint64_t max_messages = 0;         // kExpire
  std::string key;                        // kPutParticipantOverride (DIP ID), kPutMeta
  std::string value;                      // kPutParticipantOverride (YAML text), kPutMeta
  std::vector<AppointmentRow> rows;       // kPutAppointments
};

// Builds one entry from Store calls' arguments (without copying them first).
class EntryBuilder {
 public:
  EntryBuilder();
  void Append(std::span<const MessageRecord* const> records);
  void RecordOutcomes(std::span<const DeliveryOutcome> outcomes);
  void Requeue(std::string_view recipient, std::span<const OutboxEntry> entries);
  void ClearDeadLetters(std::string_view recipient, bool requeue);
  void Expire(std::int64_t cutoff_ms, std::uint64_t max_messages);
  void PutParticipantOverride(std::string_view dip_id, std::string_view text);
  void PutAppointments(std::span<const AppointmentRow> rows);
  void PutMeta(std::string_view key, std::string_view value);
  std::size_t count() const { return count_; }
  // The entry's bytes. The builder is empty afterwards.
  std::string Finish();

 private:
  void Add(MutationKind kind, const std::string& body);
  std::string body_;  // the mutations
  std::uint32_t count_ = 0;
  std::string scratch_;
};

dip::Result<std::vector<Mutation>> DecodeEntry(std::string_view bytes);

// Calls the Store method `m` stands for. Returns the count ClearDeadLetters and Expire return
// (0 for the others).
dip::Result<std::uint64_t> ApplyMutation(const Mutation& m, Store* store);

// The entry as stream payloads of at most `max_payload` bytes each (one when it fits).
// REQUIRES: max_payload > 64.
std::vector<std::string> SplitIntoParts(std::string_view entry, std::size_t max_payload);

// Puts parts back together, in stream order. A chain cut short (its writer died between parts)
// is dropped when the next entry starts; the caller is told how many parts were dropped.
class PartAssembler {
 public:
  struct Entry {
    std::uint64_t first_seq = 0;  // the stream sequence of its first part
    std::uint64_t last_seq = 0;   // ... and of its last
    std::string bytes;
  };
  // The entry `payload` completes, if any; an error for a payload that is not a part.
  dip::Result<std::optional<Entry>> Add(std::uint64_t seq, std::string_view payload);
  std::uint64_t dropped_parts() const { return dropped_; }

 private:
  Entry open_;
  std::uint32_t next_index_ = 0;  // 0: no chain open
  std::uint32_t count_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace diphub::storage::jetstream
