// The hub's durable state. Callers see Store; the RocksDB implementation stays in its .cc.
//
// Thread-safety: all methods are safe from any thread; writes may run concurrently (RocksDB
// groups them). Append() is called by the group committers, which order their duplicate checks
// themselves (group_commit.h). The layout is in rocks_layout.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dip/status.h"
#include "storage/message_batch.h"
#include "storage/records.h"

namespace diphub::storage {

class Store {
 public:
  virtual ~Store() = default;

  // True when (sender, senderUniqueReference) was accepted before (and not yet expired).
  virtual dip::Result<bool> IsDuplicate(std::string_view sender, std::string_view reference) = 0;

  // Writes, in one atomic WriteBatch, for every record: the message record, its byref key
  // (duplicate check and journal look-up) and per recipient a published key, which makes the
  // delivery pending (past the recipient's cursor); plus one time-index key for the batch. With
  // the message log (StoreOptions::message_log) the raw bytes are written there first, in one
  // write, and the record holds their place. With kFsync both logs are fsync'd before
  // returning. A full disk gives a status whose help starts "disk full".
  virtual dip::Status Append(std::span<const MessageRecord* const> records,
                             Durability durability) = 0;

  // Makes every Append() that returned before this call began durable (fsyncs the message log,
  // then the write-ahead log), so Append(kSyncLater) then SyncWal() is Append(kFsync) in two steps;
  // Appends may run while it does. Until then what Append(kSyncLater) wrote is already seen by
  // IsDuplicate, GetMessages and the outbox scans (not by ScanPublished or Journal): the caller
  // must not act on it before the sync (group_commit.h). A failed sync leaves the store refusing
  // every later Append (whether the unsynced writes survive is known only after a restart), unless
  // its help starts "disk full": a later write failed and stopped the log, and RocksDB recovers
  // once space returns (the unsynced writes are in the memtable, flushed then). A store whose
  // Append is durable when it returns does nothing here.
  virtual dip::Status SyncWal() { return dip::Status::Ok(); }

  // The messages with these sequence numbers, in the same order. A missing one is an error.
  virtual dip::Result<std::vector<MessageRecord>> GetMessages(
      std::span<const std::uint64_t> seqs) = 0;
  // The same messages read in place: views of the stored bytes, which the batch keeps alive,
  // rather than a copy of every field (the delivery path). This default copies (GetMessages).
  virtual dip::Result<MessageBatch> GetMessageViews(std::span<const std::uint64_t> seqs) {
    dip::Result<std::vector<MessageRecord>> records = GetMessages(seqs);
    if (!records.ok()) return records.status();
    return MessageBatch::FromRecords(std::move(records).value());
  }

  // Pending deliveries of `recipient` with seq > `after`, in seq order, at most `limit`: its
  // publications past its cursor merged with its explicit (requeued) entries.
  virtual dip::Result<std::vector<OutboxEntry>> ScanOutbox(std::string_view recipient,
                                                           std::uint64_t after,
                                                           std::size_t limit) = 0;
  // Every recipient with at least one pending delivery.
  virtual dip::Result<std::vector<std::string>> OutboxRecipients() = 0;
  // How many deliveries of `recipient` are pending (a scan of its keys past the cursor).
  virtual dip::Result<std::uint64_t> CountOutbox(std::string_view recipient) = 0;
  // How many of `recipient`'s pending deliveries were put back by requeue `requeue_id` (a
  // streaming scan: bounded memory whatever the backlog).
  virtual dip::Result<std::uint64_t> CountRequeued(std::string_view recipient,
                                                   std::string_view requeue_id) = 0;
  // Whether (recipient, seq) is still pending, and how, if so.
  virtual dip::Result<std::optional<OutboxEntry>> GetOutbox(std::string_view recipient,
                                                            std::uint64_t seq) = 0;

  // Records attempt outcomes. A final outcome (Delivered, RejectedByRecipient,
  // RetriesExhausted) moves the recipient's cursor to its seq and removes an explicit entry;
  // the first final outcome of a publication is its `deliveries` record, every other outcome a
  // journal row; RetriesExhausted ones go to the dead letters. Atomic; not fsync'd: losing it
  // in a crash only means the delivery is made again (at least once).
  // REQUIRES: a recipient's final outcomes come in the seq order of its pending deliveries
  // (DeliveryScheduler's queue order): a final outcome for seq s means every pending
  // publication of the recipient before s is finished.
  virtual dip::Status RecordOutcomes(std::span<const DeliveryOutcome> outcomes) = 0;

  // The journal of every message whose senderUniqueReference is `reference` (every sender's,
  // and status records): (seq, rows) in seq order. Inbound and Addressing rows are derived
  // from the record, Outbound rows from the outcomes, in (time, recipient, attempt) order.
  virtual dip::Result<std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>>> Journal(
      std::string_view reference) = 0;

  // Messages published to `recipient` on `interface_id` accepted in [from_ms, to_ms], with
  // seq > `after`, in seq order, at most `limit`.
  virtual dip::Result<std::vector<std::uint64_t>> ScanPublished(
      std::string_view recipient, std::string_view interface_id, std::int64_t from_ms,
      std::int64_t to_ms, std::uint64_t after, std::size_t limit) = 0;

  // Puts messages back as explicit pending entries of `recipient` (as replays, tagged with
  // `requeue_id`).
  virtual dip::Status Requeue(std::string_view recipient, std::span<const OutboxEntry> entries) = 0;

  // Dead letters of `recipient` (RetriesExhausted), in seq order, at most `limit`.
  virtual dip::Result<std::vector<DeliveryOutcome>> DeadLetters(std::string_view recipient,
                                                                std::size_t limit) = 0;
  // Removes `recipient`'s dead letters; with `requeue`, puts them back in the outbox first.
  // Returns how many.
  virtual dip::Result<std::uint64_t> ClearDeadLetters(std::string_view recipient, bool requeue) = 0;

  // Retention: removes up to `max_messages` messages accepted before `cutoff_ms` that have no
  // pending delivery (for any recipient), with their indexes, journal rows and delivery
  // records. Returns how many.
  virtual dip::Result<std::uint64_t> Expire(std::int64_t cutoff_ms, std::size_t max_messages) = 0;

  struct Stats {
    std::uint64_t sst_bytes = 0;
    std::uint64_t memtable_bytes = 0;
    std::uint64_t pending_compaction_bytes = 0;
    std::uint64_t message_log_bytes = 0;  // the message log's segment files
  };
  // Sizes summed over every column family.
  virtual Stats GetStats() = 0;

  // The highest sequence number ever assigned (0 for an empty store).
  virtual std::uint64_t LastSeq() = 0;

  // Participant changes made at run time (admin API, pubconfig): the participant's YAML text,
  // or an empty text for one deleted at run time. Applied over the configuration at start.
  virtual dip::Status PutParticipantOverride(std::string_view dip_id, std::string_view text) = 0;
  virtual dip::Result<std::vector<std::pair<std::string, std::string>>> ParticipantOverrides() = 0;

  // Appointment rows outside a message (an import), in one atomic, fsync'd write.
  virtual dip::Status PutAppointments(std::span<const AppointmentRow> rows) = 0;
  // Every appointment row in key order (MPAN, slot, day); stops early when `fn` returns false.
  virtual dip::Status ScanAppointments(const std::function<bool(const AppointmentRow&)>& fn) = 0;

  // Small named values (the hub's instance ID, paused recipients, ...).
  virtual dip::Result<std::string> GetMeta(std::string_view key) = 0;  // "" when absent
  virtual dip::Status PutMeta(std::string_view key, std::string_view value) = 0;
};

struct StoreOptions {
  // RocksDB's memtable size; all column families' memtables together are kept near twice this
  // (db_write_buffer_size). The write-ahead log is preallocated at about 1.1 times this.
  std::size_t memtable_bytes = 64u << 20;  // Default: 64 MiB
  // Appends are refused ("disk full") while the data dir's filesystem has less free space than
  // this, so RocksDB itself never runs out of space (flushes and compactions keep headroom).
  std::uint64_t min_free_bytes = 256u << 20;  // Default: 256 MiB
  // Compress the write-ahead log (zstd; about 18 times fewer log bytes for IF-064 traffic, at
  // about the same CPU). Default: true
  bool compress_wal = true;
  // Keep the messages' raw bytes in the message log (`<dir>/message-log`, storage/message_log.h)
  // and only their records and keys in RocksDB. False: the bytes go into the records, as before
  // format 6 (the JetStream engine's local view). Default: true
  bool message_log = true;
  std::uint64_t message_log_segment_bytes = 64u << 20;  // Default: 64 MiB
  // False: no write is fsync'd, whatever its Durability (the local view of storage.engine
  // jetstream, where the replicated stream is what is durable). Default: true
  bool fsync = true;
};

// Opens (creating if needed) the RocksDB store in `dir`. Converts a store of the previous
// format ("diphub-store-4") in place. Refuses, with a clear error, a directory that holds
// something other than a diphub store, a corrupted store, and a format it does not know.
dip::Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir,
                                                   const StoreOptions& options = {});

}  // namespace diphub::storage
