// Store on RocksDB. Column families (keys; `seq` is big-endian, so keys sort in seq order):
//   messages      seq                              -> EncodeMessage
//   outbox        recipient \0 seq                 -> EncodeOutboxValue   (pending deliveries)
//   deliveries    recipient \0 seq                 -> EncodeOutcome       (final outcomes)
//   published     recipient \0 seq                 -> interface ID        (for replay)
//   deadletters   recipient \0 seq                 -> EncodeOutcome       (RetriesExhausted)
//   dedupe        sender \0 senderUniqueReference  -> seq
//   references    senderUniqueReference \0 seq     -> ""                  (journal look-up)
//   journal       seq stage [ms recipient attempt] -> EncodeJournalRow
//   timeindex     acceptance ms, first seq of batch -> ""                 (time -> seq)
//   participants  dip ID                           -> YAML text, or "" (deleted at run time)
//   appointments  MPAN(8) slot(1) from_day(2)      -> party DIP ID, or "" (vacant)
//   default       meta key                         -> value
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "storage/codec.h"
#include "storage/store.h"

namespace diphub::storage {
namespace {

enum Cf {
  kDefault,
  kMessages,
  kOutbox,
  kDeliveries,
  kPublished,
  kDeadLetters,
  kDedupe,
  kReferences,
  kJournal,
  kTimeIndex,
  kParticipants,
  kAppointments,
  kCfCount
};
constexpr const char* kCfNames[kCfCount] = {
    "default", "messages",   "outbox",  "deliveries", "published",    "deadletters",
    "dedupe",  "references", "journal", "timeindex",  "participants", "appointments"};

constexpr std::string_view kFormatKey = "store_format";
constexpr std::string_view kFormat = "diphub-store-4";
// Format 3 lacks the appointments column family; opening one adds it (empty) and moves it to 4.
constexpr std::string_view kFormat3 = "diphub-store-3";
constexpr const char* kAddedIn4 = "appointments";

std::string AppointmentKey(const AppointmentRow& a) {
  std::string k;
  PutFixed64BE(&k, a.mpan);
  k.push_back(static_cast<char>(a.slot));
  k.push_back(static_cast<char>(a.from_day >> 8));
  k.push_back(static_cast<char>(a.from_day & 0xff));
  return k;
}

dip::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return dip::Status::Ok();
  if (s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos) {
    return dip::Status::Io("disk full: " + std::string(what) + ": " + s.ToString());
  }
  return dip::Status::Io(std::string(what) + ": " + s.ToString());
}

std::string Seq(std::uint64_t seq) {
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

std::string DedupeKey(std::string_view sender, std::string_view reference) {
  std::string k;
  k.reserve(sender.size() + reference.size() + 1);
  k.append(sender).push_back('\0');
  k.append(reference);
  return k;
}

// Journal keys: seq, then a stage digit so rows sort Inbound, Addressing, Outbound...
std::string JournalKey(std::uint64_t seq, char stage) {
  std::string k = Seq(seq);
  k.push_back(stage);
  return k;
}

std::string OutboundJournalKey(const DeliveryOutcome& o) {
  std::string k = JournalKey(o.seq, '3');
  PutFixed64BE(&k, static_cast<std::uint64_t>(o.unix_ms));
  k.append(o.recipient).push_back('\0');
  PutFixed64BE(&k, o.attempts);
  return k;
}

bool IsFinal(OutboundStatus s) {
  return s == OutboundStatus::kDelivered || s == OutboundStatus::kRejectedByRecipient ||
         s == OutboundStatus::kRetriesExhausted;
}

class RocksStore final : public Store {
 public:
  static dip::Result<std::unique_ptr<Store>> Open(const std::string& dir,
                                                  const StoreOptions& store_options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return dip::Status::Io("cannot create data dir " + dir + ": " + ec.message());
    const bool existing = fs::exists(fs::path(dir) / "CURRENT");
    if (!existing) {
      // A directory with other things in it is not ours to turn into a store.
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name != "hub-key.pem" && name != "hub-cert.pem") {
          return dip::Status::Config("data dir " + dir + " is not empty (\"" + name +
                                     "\") and holds no diphub store; point storage.data_dir "
                                     "at an empty directory or an existing diphub data dir");
        }
      }
    }

    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.paranoid_checks = true;
    options.write_buffer_size = store_options.memtable_bytes;
    // One budget for the memtables of all column families together: without it each of the
    // twelve may hold two memtables of memtable_bytes (about 1.5 GiB at the default). Past the
    // budget RocksDB flushes the largest, so the total stays near twice memtable_bytes (one
    // memtable filling while another flushes) whatever the mix of writes.
    options.db_write_buffer_size = 2 * store_options.memtable_bytes;
    // With an SstFileManager RocksDB notices when space returns after a full disk and recovers.
    options.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default()));
    options.IncreaseParallelism(2);
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions cf_options(options);
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

    if (existing) {
      std::vector<std::string> names;
      rocksdb::Status ls = rocksdb::DB::ListColumnFamilies(options, dir, &names);
      if (!ls.ok()) {
        return dip::Status::Config("data dir " + dir + ": the store cannot be read (" +
                                   ls.ToString() + "); restore it from a backup");
      }
      std::set<std::string> have(names.begin(), names.end());
      for (const char* name : kCfNames) {
        if (!have.count(name) && std::string_view(name) != kAddedIn4) {
          return dip::Status::Config(
              "data dir " + dir + " holds a RocksDB database that is corrupt or not a diphub " +
              "store of this version (no column family \"" + name + "\"); restore the data " +
              "dir from a backup, or point storage.data_dir at an empty directory");
        }
      }
    }

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : kCfNames) cfs.emplace_back(name, cf_options);
    auto store = std::unique_ptr<RocksStore>(new RocksStore());
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, cfs, &store->handles_, &db);
    if (!s.ok()) {
      std::string hint = s.IsCorruption() ? "; the store is corrupt: restore the data dir from a "
                                            "backup (docs/operations.md)"
                                          : "";
      return dip::Status::Config("cannot open the store in " + dir + ": " + s.ToString() + hint);
    }
    store->db_.reset(db);
    store->dir_ = dir;
    store->min_free_bytes_ = store_options.min_free_bytes;
    auto format = store->GetMeta(kFormatKey);
    if (!format.ok()) return format.status();
    if (format.value().empty() && !existing) {
      if (auto w = store->PutMeta(kFormatKey, kFormat); !w.ok()) return w;
    } else if (format.value() == kFormat3) {
      if (auto w = store->PutMeta(kFormatKey, kFormat); !w.ok()) return w;
    } else if (format.value() != kFormat) {
      return dip::Status::Config("data dir " + dir + " holds a store of format \"" +
                                 format.value() + "\", not \"" + std::string(kFormat) + "\"");
    }
    return std::unique_ptr<Store>(std::move(store));
  }

  ~RocksStore() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (db_) db_->Close().PermitUncheckedError();
  }

  dip::Result<bool> IsDuplicate(std::string_view sender, std::string_view reference) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), handles_[kDedupe], DedupeKey(sender, reference), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "dedupe lookup");
    return true;
  }

  dip::Status Append(std::span<const MessageRecord* const> records,
                     Durability durability) override {
    if (records.empty()) return dip::Status::Ok();
    // One statvfs per group commit keeps a reserve of free space (see StoreOptions).
    struct statvfs fs_stat {};
    if (statvfs(dir_.c_str(), &fs_stat) == 0) {
      const std::uint64_t free_bytes =
          static_cast<std::uint64_t>(fs_stat.f_bavail) * fs_stat.f_frsize;
      if (free_bytes < min_free_bytes_) {
        return dip::Status::Io("disk full: " + std::to_string(free_bytes) + " bytes free in " +
                               dir_ + ", below storage.min_free_bytes (" +
                               std::to_string(min_free_bytes_) + ")");
      }
    }
    rocksdb::WriteBatch batch;
    std::string seq_value;
    for (const MessageRecord* r : records) {
      const std::string seq = Seq(r->seq);
      batch.Put(handles_[kMessages], seq, EncodeMessage(*r));
      if (r->interface_id != kStatusInterface) {
        batch.Put(handles_[kDedupe], DedupeKey(r->sender_dip_id, r->sender_unique_reference), seq);
      }
      batch.Put(handles_[kReferences], RecipientKey(r->sender_unique_reference, r->seq), "");
      JournalRow inbound{JournalRow::Stage::kInbound,
                         "Accepted",
                         "",
                         r->accepted_unix_ms,
                         201,
                         0,
                         0,
                         r->transaction_id};
      batch.Put(handles_[kJournal], JournalKey(r->seq, '1'), EncodeJournalRow(inbound));
      std::string routed;
      for (const std::string& to : r->recipients) routed += (routed.empty() ? "" : ",") + to;
      JournalRow addressing{
          JournalRow::Stage::kAddressing, "Routed", "", r->accepted_unix_ms, 0, 0, 0, routed};
      batch.Put(handles_[kJournal], JournalKey(r->seq, '2'), EncodeJournalRow(addressing));
      OutboxEntry e{"", r->seq, r->interface_id, false, ""};
      const std::string outbox_value = EncodeOutboxValue(e);
      for (const std::string& recipient : r->recipients) {
        const std::string key = RecipientKey(recipient, r->seq);
        batch.Put(handles_[kOutbox], key, outbox_value);
        batch.Put(handles_[kPublished], key, r->interface_id);
      }
      for (const AppointmentRow& a : r->appointments) {
        batch.Put(handles_[kAppointments], AppointmentKey(a), a.party);
      }
    }
    std::string tkey;
    PutFixed64BE(&tkey, static_cast<std::uint64_t>(records.front()->accepted_unix_ms));
    PutFixed64BE(&tkey, records.front()->seq);
    batch.Put(handles_[kTimeIndex], tkey, "");
    return Write(&batch, durability == Durability::kFsync, "group commit");
  }

  dip::Result<std::vector<MessageRecord>> GetMessages(
      std::span<const std::uint64_t> seqs) override {
    std::vector<std::string> keys(seqs.size());
    std::vector<rocksdb::Slice> slices;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(seqs.size(), handles_[kMessages]);
    slices.reserve(seqs.size());
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      keys[i] = Seq(seqs[i]);
      slices.emplace_back(keys[i]);
    }
    std::vector<std::string> values;
    std::vector<rocksdb::Status> statuses =
        db_->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
    std::vector<MessageRecord> out;
    out.reserve(seqs.size());
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      if (!statuses[i].ok()) {
        return FromRocks(statuses[i], "read message " + std::to_string(seqs[i]));
      }
      dip::Result<MessageRecord> r = DecodeMessage(seqs[i], values[i]);
      if (!r.ok()) return r.status();
      out.push_back(std::move(r).value());
    }
    return out;
  }

  dip::Result<std::vector<OutboxEntry>> ScanOutbox(std::string_view recipient, std::uint64_t after,
                                                   std::size_t limit) override {
    std::vector<OutboxEntry> out;
    const std::string prefix = Prefix(recipient);
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kOutbox));
    for (it->Seek(RecipientKey(recipient, after + 1)); it->Valid() && out.size() < limit;
         it->Next()) {
      rocksdb::Slice k = it->key();
      if (!k.starts_with(prefix) || k.size() != prefix.size() + 8) break;
      OutboxEntry e;
      e.recipient.assign(recipient);
      e.seq = DecodeFixed64BE(k.data() + prefix.size());
      DecodeOutboxValue(std::string_view(it->value().data(), it->value().size()), &e);
      out.push_back(std::move(e));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "outbox scan");
    return out;
  }

  dip::Result<std::vector<std::string>> OutboxRecipients() override {
    std::vector<std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kOutbox));
    it->SeekToFirst();
    while (it->Valid()) {
      std::string_view k(it->key().data(), it->key().size());
      std::size_t nul = k.find('\0');
      if (nul == std::string_view::npos) {
        it->Next();
        continue;
      }
      out.emplace_back(k.substr(0, nul));
      std::string next(k.substr(0, nul));
      next.push_back('\x01');  // past every key of this recipient
      it->Seek(next);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "outbox recipients");
    return out;
  }

  dip::Result<std::uint64_t> CountOutbox(std::string_view recipient) override {
    const std::string prefix = Prefix(recipient);
    std::uint64_t n = 0;
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kOutbox));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    if (!it->status().ok()) return FromRocks(it->status(), "outbox count");
    return n;
  }

  dip::Result<std::uint64_t> CountRequeued(std::string_view recipient,
                                           std::string_view requeue_id) override {
    const std::string prefix = Prefix(recipient);
    std::uint64_t n = 0;
    OutboxEntry e;
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kOutbox));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      DecodeOutboxValue(std::string_view(it->value().data(), it->value().size()), &e);
      if (e.replay && e.requeue_id == requeue_id) ++n;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "outbox count");
    return n;
  }

  dip::Result<std::optional<OutboxEntry>> GetOutbox(std::string_view recipient,
                                                    std::uint64_t seq) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), handles_[kOutbox], RecipientKey(recipient, seq), &value);
    if (s.IsNotFound()) return std::optional<OutboxEntry>();
    if (!s.ok()) return FromRocks(s, "outbox read");
    OutboxEntry e;
    e.recipient.assign(recipient);
    e.seq = seq;
    DecodeOutboxValue(value, &e);
    return std::optional<OutboxEntry>(std::move(e));
  }

  dip::Status RecordOutcomes(std::span<const DeliveryOutcome> outcomes) override {
    rocksdb::WriteBatch batch;
    for (const DeliveryOutcome& o : outcomes) {
      JournalRow row{JournalRow::Stage::kOutbound,
                     std::string(OutboundStatusName(o.status)),
                     o.recipient,
                     o.unix_ms,
                     o.http_status,
                     o.duration_ms,
                     o.attempts,
                     o.detail};
      batch.Put(handles_[kJournal], OutboundJournalKey(o), EncodeJournalRow(row));
      if (!IsFinal(o.status)) continue;
      const std::string key = RecipientKey(o.recipient, o.seq);
      batch.Delete(handles_[kOutbox], key);
      batch.Put(handles_[kDeliveries], key, EncodeOutcome(o));
      if (o.status == OutboundStatus::kRetriesExhausted) {
        batch.Put(handles_[kDeadLetters], key, EncodeOutcome(o));
      }
    }
    return Write(&batch, false, "record deliveries");
  }

  dip::Result<std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>>> Journal(
      std::string_view reference) override {
    std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>> out;
    const std::string prefix = Prefix(reference);
    std::unique_ptr<rocksdb::Iterator> refs(NewIterator(kReferences));
    for (refs->Seek(prefix); refs->Valid() && refs->key().starts_with(prefix); refs->Next()) {
      if (refs->key().size() != prefix.size() + 8) continue;
      std::uint64_t seq = DecodeFixed64BE(refs->key().data() + prefix.size());
      std::vector<JournalRow> rows;
      const std::string jprefix = Seq(seq);
      std::unique_ptr<rocksdb::Iterator> it(NewIterator(kJournal));
      for (it->Seek(jprefix); it->Valid() && it->key().starts_with(jprefix); it->Next()) {
        auto row = DecodeJournalRow(std::string_view(it->value().data(), it->value().size()));
        if (!row.ok()) return row.status();
        rows.push_back(std::move(row).value());
      }
      if (!it->status().ok()) return FromRocks(it->status(), "journal read");
      out.emplace_back(seq, std::move(rows));
    }
    if (!refs->status().ok()) return FromRocks(refs->status(), "reference look-up");
    return out;
  }

  dip::Result<std::vector<std::uint64_t>> ScanPublished(std::string_view recipient,
                                                        std::string_view interface_id,
                                                        std::int64_t from_ms, std::int64_t to_ms,
                                                        std::uint64_t after,
                                                        std::size_t limit) override {
    // The time index turns [from_ms, to_ms] into a range of sequence numbers.
    std::uint64_t first = after + 1;
    std::uint64_t end = UINT64_MAX;
    {
      std::unique_ptr<rocksdb::Iterator> t(NewIterator(kTimeIndex));
      t->Seek(Seq(static_cast<std::uint64_t>(std::max<std::int64_t>(from_ms, 0))));
      if (!t->Valid()) return std::vector<std::uint64_t>();  // nothing accepted since from_ms
      if (t->key().size() == 16) first = std::max(first, DecodeFixed64BE(t->key().data() + 8));
      if (to_ms < INT64_MAX) {
        t->Seek(Seq(static_cast<std::uint64_t>(to_ms) + 1));
        if (t->Valid() && t->key().size() == 16) end = DecodeFixed64BE(t->key().data() + 8);
      }
      if (!t->status().ok()) return FromRocks(t->status(), "time index");
    }
    std::vector<std::uint64_t> out;
    const std::string prefix = Prefix(recipient);
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kPublished));
    for (it->Seek(RecipientKey(recipient, first)); it->Valid() && out.size() < limit; it->Next()) {
      rocksdb::Slice k = it->key();
      if (!k.starts_with(prefix) || k.size() != prefix.size() + 8) break;
      std::uint64_t seq = DecodeFixed64BE(k.data() + prefix.size());
      if (seq >= end) break;
      if (it->value() == rocksdb::Slice(interface_id.data(), interface_id.size())) {
        out.push_back(seq);
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "published scan");
    return out;
  }

  dip::Status Requeue(std::string_view recipient, std::span<const OutboxEntry> entries) override {
    rocksdb::WriteBatch batch;
    for (const OutboxEntry& e : entries) {
      batch.Put(handles_[kOutbox], RecipientKey(recipient, e.seq), EncodeOutboxValue(e));
    }
    return Write(&batch, true, "requeue");
  }

  dip::Result<std::vector<DeliveryOutcome>> DeadLetters(std::string_view recipient,
                                                        std::size_t limit) override {
    std::vector<DeliveryOutcome> out;
    const std::string prefix = Prefix(recipient);
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kDeadLetters));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && out.size() < limit;
         it->Next()) {
      std::uint64_t seq = DecodeFixed64BE(it->key().data() + prefix.size());
      auto o =
          DecodeOutcome(recipient, seq, std::string_view(it->value().data(), it->value().size()));
      if (!o.ok()) return o.status();
      out.push_back(std::move(o).value());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "dead letters");
    return out;
  }

  dip::Result<std::uint64_t> ClearDeadLetters(std::string_view recipient, bool requeue) override {
    rocksdb::WriteBatch batch;
    std::uint64_t n = 0;
    const std::string prefix = Prefix(recipient);
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kDeadLetters));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string key = it->key().ToString();
      if (requeue) {
        std::string iface;
        rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kPublished], key, &iface);
        if (!s.ok()) return FromRocks(s, "dead letter's publication");
        OutboxEntry e{std::string(recipient), DecodeFixed64BE(key.data() + prefix.size()), iface,
                      true, "deadletters"};
        batch.Put(handles_[kOutbox], key, EncodeOutboxValue(e));
      }
      batch.Delete(handles_[kDeadLetters], key);
      ++n;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "dead letters");
    if (auto s = Write(&batch, true, "clear dead letters"); !s.ok()) return s;
    return n;
  }

  dip::Result<std::uint64_t> Expire(std::int64_t cutoff_ms, std::size_t max_messages) override {
    rocksdb::WriteBatch batch;
    std::uint64_t removed = 0;
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kMessages));
    for (it->SeekToFirst(); it->Valid() && removed < max_messages; it->Next()) {
      if (it->key().size() != 8) continue;
      std::uint64_t seq = DecodeFixed64BE(it->key().data());
      auto m = DecodeMessage(seq, std::string_view(it->value().data(), it->value().size()));
      if (!m.ok()) return m.status();
      const MessageRecord& r = m.value();
      if (r.accepted_unix_ms >= cutoff_ms) break;  // messages are in acceptance order
      bool pending = false;
      for (const std::string& to : r.recipients) {
        std::string v;
        if (db_->Get(rocksdb::ReadOptions(), handles_[kOutbox], RecipientKey(to, seq), &v).ok()) {
          pending = true;  // never expire what has not been delivered
        }
      }
      if (pending) continue;
      const std::string key = Seq(seq);
      batch.Delete(handles_[kMessages], key);
      if (r.interface_id != kStatusInterface) {
        batch.Delete(handles_[kDedupe], DedupeKey(r.sender_dip_id, r.sender_unique_reference));
      }
      batch.Delete(handles_[kReferences], RecipientKey(r.sender_unique_reference, seq));
      batch.DeleteRange(handles_[kJournal], key, Seq(seq + 1));
      for (const std::string& to : r.recipients) {
        const std::string rk = RecipientKey(to, seq);
        batch.Delete(handles_[kPublished], rk);
        batch.Delete(handles_[kDeliveries], rk);
        batch.Delete(handles_[kDeadLetters], rk);
      }
      ++removed;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "retention scan");
    batch.DeleteRange(handles_[kTimeIndex], Seq(0),
                      Seq(static_cast<std::uint64_t>(std::max<std::int64_t>(cutoff_ms, 0))));
    if (removed == 0) return removed;  // nothing to write
    // Sequence numbers are never reused: remember the highest one ever assigned, since the
    // newest messages may be among those removed.
    batch.Put(handles_[kDefault], "seq_floor", Seq(LastSeq()));
    if (auto s = Write(&batch, false, "retention"); !s.ok()) return s;
    return removed;
  }

  Stats GetStats() override {
    Stats s;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      std::uint64_t v = 0;
      if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) s.sst_bytes += v;
      if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) s.memtable_bytes += v;
      if (db_->GetIntProperty(h, "rocksdb.estimate-pending-compaction-bytes", &v)) {
        s.pending_compaction_bytes += v;
      }
    }
    return s;
  }

  std::uint64_t LastSeq() override {
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kMessages));
    it->SeekToLast();
    std::uint64_t last = 0;
    if (it->Valid() && it->key().size() == 8) last = DecodeFixed64BE(it->key().data());
    // Sequence numbers are never reused, even when retention removed the newest messages.
    auto meta = GetMeta("seq_floor");
    if (meta.ok() && meta.value().size() == 8)
      last = std::max(last, DecodeFixed64BE(meta.value().data()));
    return last;
  }

  dip::Status PutParticipantOverride(std::string_view dip_id, std::string_view text) override {
    rocksdb::WriteBatch batch;
    batch.Put(handles_[kParticipants], dip_id, text);
    return Write(&batch, true, "store participant");
  }

  dip::Result<std::vector<std::pair<std::string, std::string>>> ParticipantOverrides() override {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kParticipants));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "read participants");
    return out;
  }

  dip::Status PutAppointments(std::span<const AppointmentRow> rows) override {
    rocksdb::WriteBatch batch;
    for (const AppointmentRow& a : rows) {
      batch.Put(handles_[kAppointments], AppointmentKey(a), a.party);
    }
    return Write(&batch, true, "store appointments");
  }

  dip::Status ScanAppointments(const std::function<bool(const AppointmentRow&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kAppointments));
    AppointmentRow a;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() != 11) return dip::Status::Io("stored appointment key is corrupt");
      a.mpan = DecodeFixed64BE(k.data());
      a.slot = static_cast<std::uint8_t>(k[8]);
      a.from_day = static_cast<std::uint16_t>((static_cast<unsigned char>(k[9]) << 8) |
                                              static_cast<unsigned char>(k[10]));
      a.party.assign(it->value().data(), it->value().size());
      if (!fn(a)) break;
    }
    return FromRocks(it->status(), "read appointments");
  }

  dip::Result<std::string> GetMeta(std::string_view key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kDefault], key, &value);
    if (s.IsNotFound()) return std::string();
    if (!s.ok()) return FromRocks(s, "read meta");
    return value;
  }

  dip::Status PutMeta(std::string_view key, std::string_view value) override {
    rocksdb::WriteBatch batch;
    batch.Put(handles_[kDefault], key, value);
    return Write(&batch, true, "write meta");
  }

 private:
  RocksStore() = default;
  rocksdb::Iterator* NewIterator(Cf cf) {
    return db_->NewIterator(rocksdb::ReadOptions(), handles_[cf]);
  }

  // Every write goes through here. After a failed write (a full disk) RocksDB must be resumed
  // before it is written to again; until space returns, writes fail with "disk full".
  dip::Status Write(rocksdb::WriteBatch* batch, bool sync, std::string_view what) {
    std::lock_guard lock(write_mu_);
    if (needs_resume_) {
      rocksdb::Status r = db_->Resume();
      if (r.IsBusy()) {
        // RocksDB's own recovery is under way (it waits for free space).
        return dip::Status::Io("disk full: " + std::string(what) +
                               ": storage is waiting for free space; nothing was stored");
      }
      if (!r.ok()) return FromRocks(r, std::string(what) + " (resuming after a failed write)");
      needs_resume_ = false;
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db_->Write(wo, batch);
    if (!s.ok()) needs_resume_ = true;
    return FromRocks(s, what);
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string dir_;
  std::uint64_t min_free_bytes_ = 0;
  std::mutex write_mu_;  // guards needs_resume_ and orders Resume() before writes
  bool needs_resume_ = false;
};

}  // namespace

dip::Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir,
                                                   const StoreOptions& options) {
  return RocksStore::Open(dir, options);
}

}  // namespace diphub::storage
