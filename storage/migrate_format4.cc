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

}  // namespace

dip::Status MigrateFormat4(rocksdb::DB* db,
                           const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                           rocksdb::ColumnFamilyHandle* dedupe,
                           rocksdb::ColumnFamilyHandle* references) {
  rocksdb::WriteBatch batch;
  const rocksdb::ReadOptions ro;

  // Duplicate-check and journal look-up keys, from the messages themselves.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[kMessages]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) continue;
      const std::uint64_t seq = DecodeFixed64BE(it->key().data());
      auto m = DecodeMessage(seq, std::string_view(it->value().data(), it->value().size()));
      if (!m.ok()) return m.status();
      const MessageRecord& r = m.value();
      if (r.interface_id == kStatusInterface) {
        batch.Put(handles[kByRef], StatusRefKey(r.sender_unique_reference, seq), "");
      } else {
        batch.Put(handles[kByRef], RefKey(r.sender_unique_reference, r.sender_dip_id), SeqKey(seq));
      }
    }
    if (!it->status().ok()) return Failed(it->status(), "reading messages");
  }

  // Inbound ('1') and Addressing ('2') rows are derived from the message now.
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[kJournal]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice k = it->key();
      if (k.size() == 9 && (k[8] == '1' || k[8] == '2')) batch.Delete(handles[kJournal], k);
    }
    if (!it->status().ok()) return Failed(it->status(), "reading the journal");
  }

  // Cursors: publications are delivered in seq order per recipient, so everything before the
  // oldest pending (not requeued) entry is done.
  std::map<std::string, std::uint64_t> newest_published, oldest_pending;
  std::string recipient;
  std::uint64_t seq = 0;
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
      if (e.replay) continue;  // a requeue: stays an explicit entry
      oldest_pending.try_emplace(recipient, seq);
      batch.Delete(handles[kOutbox], it->key());  // pending by the cursor now
    }
    if (!it->status().ok()) return Failed(it->status(), "reading the outbox");
  }
  for (const auto& [to, newest] : newest_published) {
    auto pending = oldest_pending.find(to);
    const std::uint64_t cursor = pending == oldest_pending.end() ? newest : pending->second - 1;
    batch.Put(handles[kCursors], to, SeqKey(cursor));
  }

  batch.Put(handles[kDefault], kFormatKey, kFormat);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (rocksdb::Status s = db->Write(wo, &batch); !s.ok()) return Failed(s, "writing");
  for (rocksdb::ColumnFamilyHandle* old : {dedupe, references}) {
    if (rocksdb::Status s = db->DropColumnFamily(old); !s.ok()) {
      return Failed(s, "dropping column family " + old->GetName());
    }
  }
  return dip::Status::Ok();
}

}  // namespace diphub::storage
