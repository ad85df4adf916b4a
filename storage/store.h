// The hub's durable state. Callers see Store; the RocksDB implementation stays in its .cc.
//
// Thread-safety: all methods are safe from any thread. Append() is called by the one group
// committer, so duplicate checks made by it before Append() cannot race with another writer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dip/status.h"
#include "storage/records.h"

namespace diphub::storage {

class Store {
 public:
  virtual ~Store() = default;

  // True when (sender, senderUniqueReference) was accepted before.
  virtual dip::Result<bool> IsDuplicate(std::string_view sender, std::string_view reference) = 0;

  // Writes the messages, their dedupe keys and one outbox entry per recipient in one atomic
  // WriteBatch; with kFsync the write-ahead log is fsync'd before returning.
  virtual dip::Status Append(std::span<const MessageRecord* const> records,
                             Durability durability) = 0;

  // The messages with these sequence numbers, in the same order. A missing one is an error.
  virtual dip::Result<std::vector<MessageRecord>> GetMessages(
      std::span<const std::uint64_t> seqs) = 0;

  // Pending deliveries of `recipient` with seq > `after`, in seq order, at most `limit`.
  virtual dip::Result<std::vector<OutboxEntry>> ScanOutbox(std::string_view recipient,
                                                           std::uint64_t after,
                                                           std::size_t limit) = 0;
  // Every recipient with at least one pending delivery.
  virtual dip::Result<std::vector<std::string>> OutboxRecipients() = 0;

  // Takes finished deliveries out of the outbox and records their final status, atomically.
  // Not fsync'd: losing it in a crash only means the delivery is made again (at least once).
  virtual dip::Status Finish(std::span<const DeliveryOutcome> outcomes) = 0;

  // How many deliveries of `recipient` are pending (a scan of its outbox keys).
  virtual dip::Result<std::uint64_t> CountOutbox(std::string_view recipient) = 0;

  struct Stats {
    std::uint64_t sst_bytes = 0;
    std::uint64_t memtable_bytes = 0;
    std::uint64_t pending_compaction_bytes = 0;
  };
  // Sizes summed over every column family.
  virtual Stats GetStats() = 0;

  // The highest sequence number ever assigned (0 for an empty store).
  virtual std::uint64_t LastSeq() = 0;

  // Participant changes made at run time (admin API, pubconfig): the participant's YAML text,
  // or an empty text for one deleted at run time. Applied over the configuration at start.
  virtual dip::Status PutParticipantOverride(std::string_view dip_id, std::string_view text) = 0;
  virtual dip::Result<std::vector<std::pair<std::string, std::string>>> ParticipantOverrides() = 0;

  // Small named values (the hub's instance ID, ...).
  virtual dip::Result<std::string> GetMeta(std::string_view key) = 0;  // "" when absent
  virtual dip::Status PutMeta(std::string_view key, std::string_view value) = 0;
};

// Opens (creating if needed) the RocksDB store in `dir`.
dip::Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir);

}  // namespace diphub::storage
