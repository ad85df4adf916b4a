#include "storage/migrate_format4.h"

#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <string>

#include "storage/codec.h"
#include "storage/records.h"
#include "storage/rocks_layout.h"

namespace diphub::storage {
namespace {

using namespace layout;

dip::Status Failed(const rocksdb::Status& s, std::string_view what) {
  return dip::Status::Io("store migration from " + std::string(kFormat4) + ": " +
                         std::string(what) + ": " + s.ToString());
}

// Splits a recipient \0 seq key; false for anything else.
bool SplitRecipientKey(const rocksdb::Slice& k, std::string* recipient, std::uint64_t* seq) {
  std::string_view key(k.data(), k.size());
  const std::size_t nul = key.find('\0');
  if (nul == std::string_view::npos || key.size() != nul + 9) return false;
  recipient->assign(key.substr(0, nul));
  *seq = DecodeFixed64BE(key.data() + nul + 1);
  return true;
}

// Writes a batch once it is full; every write but the marked ones without sync (the last,
// fsync'd write makes the earlier ones durable: RocksDB recovers its log as a prefix).
class BatchWriter {
 public:
  BatchWriter(rocksdb::DB* db, const MigrationOptions& options) : db_(db), options_(options) {}

  rocksdb::WriteBatch* batch() { return &batch_; }

  // Writes the batch if it has reached the size limit.
  dip::Status MaybeWrite() {
    return batch_.GetDataSize() >= options_.batch_bytes ? Write(false) : dip::Status::Ok();
  }
  // Writes what the batch holds (if anything).
  dip::Status Write(bool sync) {
    if (batch_.Count() == 0) return dip::Status::Ok();
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    if (rocksdb::Status s = db_->Write(wo, &batch_); !s.ok()) return Failed(s, "writing");
    batch_.Clear();
    ++written_;
    if (options_.after_write && !options_.after_write(written_)) {
      return dip::Status::Io("store migration from " + std::string(kFormat4) +
                             ": stopped after write " + std::to_string(written_));
    }
    return dip::Status::Ok();
  }

 private:
  rocksdb::DB* const db_;
  const MigrationOptions& options_;
  rocksdb::WriteBatch batch_;
  int written_ = 0;
};

// Set by step 1 (cursors written), removed by the final write.
constexpr std::string_view kCursorsMarker = "migration_cursors_written";

}  // namespace

dip::Status MigrateFormat4(rocksdb::DB* db,
                           const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                           rocksdb::ColumnFamilyHandle* dedupe,
                           rocksdb::ColumnFamilyHandle* references,
                           const MigrationOptions& options) {
  BatchWriter out(db, options);
  rocksdb::WriteBatch& batch = *out.batch();
  const rocksdb::ReadOptions ro;
  std::string recipient;
  std::uint64_t seq = 0;

  // 1. Cursors: publications are delivered in seq order per recipient, so everything before the
  // oldest pending (not requeued) entry is done. Computed while the outbox is untouched (step 4
  // deletes from it only after this write is durable).
  std::string marker;
  rocksdb::Status got = db->Get(ro, handles[kDefault], kCursorsMarker, &marker);
  if (!got.ok() && !got.IsNotFound()) return Failed(got, "reading the migration's progress");
  if (got.IsNotFound()) {
    std::map<std::string, std::uint64_t> newest_published, oldest_pending;
    {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[kPublished]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (SplitRecipientKey(it->key(), &recipient, &seq)) newest_published[recipient] = seq;
      }
      if (!it->status().ok()) return Failed(it->status(), "reading publications");
    }
    {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[kOutbox]));
      OutboxEntry e;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (!SplitRecipientKey(it->key(), &recipient, &seq)) continue;
        DecodeOutboxValue(std::string_view(it->value().data(), it->value().size()), &e);
        if (!e.replay) oldest_pending.try_emplace(recipient, seq);  // a requeue stays explicit
      }
      if (!it->status().ok()) return Failed(it->status(), "reading the outbox");
    }
    for (const auto& [to, newest] : newest_published) {
      auto pending = oldest_pending.find(to);
      const std::uint64_t cursor = pending == oldest_pending.end() ? newest : pending->second - 1;
      batch.Put(handles[kCursors], to, SeqKey(cursor));
    }
    batch.Put(handles[kDefault], kCursorsMarker, "");
    if (dip::Status s = out.Write(true); !s.ok()) return s;
  }

  // 2. Duplicate-check and journal look-up keys, from the messages themselves.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[kMessages]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) continue;
      seq = DecodeFixed64BE(it->key().data());
      auto m = DecodeMessage(seq, std::string_view(it->value().data(), it->value().size()));
      if (!m.ok()) return m.status();
      const MessageRecord& r = m.value();
      if (r.interface_id == kStatusInterface) {
        batch.Put(handles[kByRef], StatusRefKey(r.sender_unique_reference, seq), "");
      } else {
        batch.Put(handles[kByRef], RefKey(r.sender_unique_reference, r.sender_dip_id), SeqKey(seq));
      }
      if (dip::Status s = out.MaybeWrite(); !s.ok()) return s;
    }
    if (!it->status().ok()) return Failed(it->status(), "reading messages");
  }

  // 3. Inbound ('1') and Addressing ('2') rows are derived from the message now.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[kJournal]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice k = it->key();
      if (k.size() == 9 && (k[8] == '1' || k[8] == '2')) {
        batch.Delete(handles[kJournal], k);
        if (dip::Status s = out.MaybeWrite(); !s.ok()) return s;
      }
    }
    if (!it->status().ok()) return Failed(it->status(), "reading the journal");
  }

  // 4. Outbox entries other than requeues are pending by the cursor now.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[kOutbox]));
    OutboxEntry e;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!SplitRecipientKey(it->key(), &recipient, &seq)) continue;
      DecodeOutboxValue(std::string_view(it->value().data(), it->value().size()), &e);
      if (e.replay) continue;
      batch.Delete(handles[kOutbox], it->key());
      if (dip::Status s = out.MaybeWrite(); !s.ok()) return s;
    }
    if (!it->status().ok()) return Failed(it->status(), "reading the outbox");
  }

  // 5. Done: the current format, durable with everything before it.
  batch.Put(handles[kDefault], kFormatKey, kFormat5);
  batch.Delete(handles[kDefault], kCursorsMarker);
  if (dip::Status s = out.Write(true); !s.ok()) return s;
  for (rocksdb::ColumnFamilyHandle* old : {dedupe, references}) {
    if (rocksdb::Status s = db->DropColumnFamily(old); !s.ok()) {
      return Failed(s, "dropping column family " + old->GetName());
    }
  }
  return dip::Status::Ok();
}

}  // namespace diphub::storage
