// Store on RocksDB. Column families:
//   messages      BE64(seq)                       -> EncodeMessage
//   outbox        recipient \0 BE64(seq)          -> interface ID     (pending deliveries)
//   deliveries    recipient \0 BE64(seq)          -> EncodeOutcome    (finished deliveries)
//   dedupe        sender \0 senderUniqueReference -> BE64(seq)
//   participants  dip ID                          -> YAML text, or "" (deleted at run time)
//   default       meta key                        -> value
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

#include "storage/codec.h"
#include "storage/store.h"

namespace diphub::storage {
namespace {

enum Cf { kDefault, kMessages, kOutbox, kDeliveries, kDedupe, kParticipants, kCfCount };
constexpr const char* kCfNames[kCfCount] = {"default",    "messages", "outbox",
                                            "deliveries", "dedupe",   "participants"};

dip::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return dip::Status::Ok();
  return dip::Status::Io(std::string(what) + ": " + s.ToString());
}

std::string RecipientKey(std::string_view recipient, std::uint64_t seq) {
  std::string k;
  k.reserve(recipient.size() + 9);
  k.append(recipient).push_back('\0');
  PutFixed64BE(&k, seq);
  return k;
}

std::string DedupeKey(std::string_view sender, std::string_view reference) {
  std::string k;
  k.reserve(sender.size() + reference.size() + 1);
  k.append(sender).push_back('\0');
  k.append(reference);
  return k;
}

class RocksStore final : public Store {
 public:
  static dip::Result<std::unique_ptr<Store>> Open(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return dip::Status::Io("cannot create data dir " + dir + ": " + ec.message());

    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.IncreaseParallelism(2);
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions cf_options(options);
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : kCfNames) cfs.emplace_back(name, cf_options);
    auto store = std::unique_ptr<RocksStore>(new RocksStore());
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, cfs, &store->handles_, &db);
    if (!s.ok()) return FromRocks(s, "cannot open RocksDB in " + dir);
    store->db_.reset(db);
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
    rocksdb::WriteBatch batch;
    std::string key, seq_value;
    for (const MessageRecord* r : records) {
      key.clear();
      PutFixed64BE(&key, r->seq);
      batch.Put(handles_[kMessages], key, EncodeMessage(*r));
      seq_value.clear();
      PutFixed64BE(&seq_value, r->seq);
      batch.Put(handles_[kDedupe], DedupeKey(r->sender_dip_id, r->sender_unique_reference),
                seq_value);
      for (const std::string& recipient : r->recipients) {
        batch.Put(handles_[kOutbox], RecipientKey(recipient, r->seq), r->interface_id);
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = durability == Durability::kFsync;
    return FromRocks(db_->Write(wo, &batch), "group commit");
  }

  dip::Result<std::vector<MessageRecord>> GetMessages(
      std::span<const std::uint64_t> seqs) override {
    std::vector<std::string> keys(seqs.size());
    std::vector<rocksdb::Slice> slices;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(seqs.size(), handles_[kMessages]);
    slices.reserve(seqs.size());
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      PutFixed64BE(&keys[i], seqs[i]);
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
    std::string prefix(recipient);
    prefix.push_back('\0');
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kOutbox]));
    for (it->Seek(RecipientKey(recipient, after + 1)); it->Valid() && out.size() < limit;
         it->Next()) {
      rocksdb::Slice k = it->key();
      if (!k.starts_with(prefix) || k.size() != prefix.size() + 8) break;
      OutboxEntry e;
      e.recipient.assign(recipient);
      e.seq = DecodeFixed64BE(k.data() + prefix.size());
      e.interface_id = it->value().ToString();
      out.push_back(std::move(e));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "outbox scan");
    return out;
  }

  dip::Result<std::vector<std::string>> OutboxRecipients() override {
    std::vector<std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kOutbox]));
    it->SeekToFirst();
    while (it->Valid()) {
      std::string_view k(it->key().data(), it->key().size());
      std::size_t nul = k.find('\0');
      if (nul == std::string_view::npos) {
        it->Next();
        continue;
      }
      out.emplace_back(k.substr(0, nul));
      // Jump past every key of this recipient.
      std::string next(k.substr(0, nul));
      next.push_back('\x01');
      it->Seek(next);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "outbox recipients");
    return out;
  }

  dip::Status Finish(std::span<const DeliveryOutcome> outcomes) override {
    rocksdb::WriteBatch batch;
    for (const DeliveryOutcome& o : outcomes) {
      std::string key = RecipientKey(o.recipient, o.seq);
      batch.Delete(handles_[kOutbox], key);
      batch.Put(handles_[kDeliveries], key, EncodeOutcome(o));
    }
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "record deliveries");
  }

  dip::Result<std::uint64_t> CountOutbox(std::string_view recipient) override {
    std::string prefix(recipient);
    prefix.push_back('\0');
    std::uint64_t n = 0;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kOutbox]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    if (!it->status().ok()) return FromRocks(it->status(), "outbox count");
    return n;
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
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kMessages]));
    it->SeekToLast();
    if (!it->Valid() || it->key().size() != 8) return 0;
    return DecodeFixed64BE(it->key().data());
  }

  dip::Status PutParticipantOverride(std::string_view dip_id, std::string_view text) override {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, handles_[kParticipants], dip_id, text), "store participant");
  }

  dip::Result<std::vector<std::pair<std::string, std::string>>> ParticipantOverrides() override {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kParticipants]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "read participants");
    return out;
  }

  dip::Result<std::string> GetMeta(std::string_view key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kDefault], key, &value);
    if (s.IsNotFound()) return std::string();
    if (!s.ok()) return FromRocks(s, "read meta");
    return value;
  }

  dip::Status PutMeta(std::string_view key, std::string_view value) override {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, handles_[kDefault], key, value), "write meta");
  }

 private:
  RocksStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace

dip::Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir) {
  return RocksStore::Open(dir);
}

}  // namespace diphub::storage
