// Store on RocksDB. The layout (column families and keys) is described in rocks_layout.h;
// opening a format-4 store converts it (migrate_format4.h).
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <tuple>

#include "dip/thread_name.h"
#include "storage/codec.h"
#include "storage/message_log.h"
#include "storage/migrate_format4.h"
#include "storage/recent_messages.h"
#include "storage/recipient_prefix.h"
#include "storage/rocks_layout.h"
#include "storage/rocks_view.h"
#include "storage/store.h"

namespace diphub::storage {
namespace {

using namespace layout;

dip::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return dip::Status::Ok();
  if (s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos) {
    return dip::Status::Io("disk full: " + std::string(what) + ": " + s.ToString());
  }
  return dip::Status::Io(std::string(what) + ": " + s.ToString());
}

// Column families every format since 3 has (format 3 lacks appointments; 4 lacks byref and
// cursors, which opening creates).
bool RequiredInEveryFormat(std::string_view name) {
  return name != "appointments" && name != "byref" && name != "cursors";
}

void RaiseTo(std::atomic<std::uint64_t>& a, std::uint64_t v) {
  std::uint64_t seen = a.load();
  while (v > seen && !a.compare_exchange_weak(seen, v)) {
  }
}

// The seq of a recipient \0 seq key under `prefix`, or nullopt past the recipient's keys.
std::optional<std::uint64_t> SeqUnder(const rocksdb::Slice& k, const std::string& prefix) {
  if (!k.starts_with(prefix) || k.size() != prefix.size() + 8) return std::nullopt;
  return DecodeFixed64BE(k.data() + prefix.size());
}

// Runs the message log's fdatasync on a thread of its own while the caller syncs RocksDB's log,
// so a sync round waits for the slower of the two rather than for both in turn.
class LogSyncer {
 public:
  explicit LogSyncer(MessageLog* log) : log_(log), thread_([this] { Run(); }) {
    dip::NameThread(thread_, "diphub-logsync");
  }
  ~LogSyncer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // Starts a sync covering every write made before this call.
  void Start() {
    std::lock_guard lock(mu_);
    ++asked_;
    cv_.notify_all();
  }
  // Waits for the syncs started so far; the last one's result.
  dip::Status Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ == asked_; });
    return status_;
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || asked_ > done_; });
      if (stop_) return;
      const std::uint64_t target = asked_;
      lock.unlock();
      dip::Status s = log_->Sync();
      lock.lock();
      status_ = std::move(s);
      done_ = target;
      cv_.notify_all();
    }
  }

  MessageLog* const log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t asked_ = 0;  // guarded by mu_
  std::uint64_t done_ = 0;   // guarded by mu_
  dip::Status status_ = dip::Status::Ok();
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is set
};

class RocksStore final : public RocksView {
 public:
  static dip::Result<std::unique_ptr<RocksStore>> Open(const std::string& dir,
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
    // Group commit on both cores: concurrent Write()s (GroupCommitOptions::committers) are
    // joined by RocksDB into one WAL write and one fsync, and the next group's WAL write
    // overlaps this group's memtable inserts (pipelined). The group's inserts are made by one
    // thread in key-arrival order, not in parallel: a skip list written by one thread keeps its
    // last insert position (and, with the hints below, one per recipient), so the seq-ordered
    // keys of messages, published and deliveries go next to the previous one instead of being
    // searched for from the top with a dozen key comparisons each; concurrent inserts (RocksDB's
    // default) search every key from the top and ignore insert hints. Measured: the memtable's
    // share of the hub's CPU fell from ~8% to ~5.5% (docs/performance.md, "Issue #15, fourth
    // round").
    options.allow_concurrent_memtable_write = false;
    options.enable_pipelined_write = true;
    // A memtable flush writes ~memtable_bytes of SST; left to the kernel, that data is written
    // back in one burst at the flush's final fsync, and the group commit's WAL fsync (ext4:
    // one journal) waits behind it — the slow commits of a run cluster at flushes. Written
    // back as it is written (sync_file_range every MiB), it no longer queues in front of the
    // WAL. Not a durability setting: the WAL is fsync'd per group commit.
    options.bytes_per_sync = 1u << 20;
    // The write-ahead log's records compressed with zstd, as one stream per log file: IF-064
    // records are much alike, so a message's ~3.8 KB of log become ~0.2 KB, and the CPU spent
    // compressing is about what the smaller write and checksum save (docs/performance.md, "Issue
    // #15, third round"). RocksDB reads compressed and plain records whatever this setting, so a
    // store written either way opens either way.
    if (store_options.compress_wal) options.wal_compression = rocksdb::kZSTD;
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // SST blocks carry XXH3 checksums (kXXH3, RocksDB 7.8's default, set here so that it stays):
    // Debian's RocksDB computes CRC32c in software, which only the write-ahead log's (compressed,
    // small) records and the MANIFEST still pay. Files written with another checksum type keep
    // it and are read as before.
    table.checksum = rocksdb::kXXH3;
    rocksdb::ColumnFamilyOptions cf_options(options);
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // Per column family: the recipient-keyed ones insert with a hint per recipient; byref, which
    // every send asks for references it has never seen (IsDuplicate), gets a whole-key Bloom
    // filter in its memtable (2% of memtable_bytes), so a new reference is answered without a
    // skip-list search through hundreds of thousands of long, alike keys. Neither is written to
    // the store's files.
    rocksdb::ColumnFamilyOptions recipient_options(cf_options);
    recipient_options.memtable_insert_with_hint_prefix_extractor = RecipientPrefix();
    rocksdb::ColumnFamilyOptions byref_options(cf_options);
    byref_options.memtable_prefix_bloom_size_ratio = 0.02;
    byref_options.memtable_whole_key_filtering = true;
    // Messages (~3.6 KB each) in 32 KiB blocks rather than RocksDB's 4 KiB (two messages a
    // block): Snappy then compresses eight or nine alike messages at once, which costs the flush
    // a fifth less CPU and makes the files ~30% smaller; deliveries read in seq order, so a
    // block read back serves the next messages too. Files written with other block sizes are
    // read as before (the size is not a format setting).
    rocksdb::BlockBasedTableOptions message_table = table;
    message_table.block_size = 32u << 10;
    rocksdb::ColumnFamilyOptions msg_options(cf_options);
    msg_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(message_table));
    auto options_of = [&](std::size_t cf) -> const rocksdb::ColumnFamilyOptions& {
      switch (cf) {
        case kPublished:
        case kDeliveries:
        case kOutbox:
        case kDeadLetters:
          return recipient_options;
        case kByRef:
          return byref_options;
        case kMessages:
          return msg_options;
        default:
          return cf_options;
      }
    };

    std::set<std::string> have;
    if (existing) {
      std::vector<std::string> names;
      rocksdb::Status ls = rocksdb::DB::ListColumnFamilies(options, dir, &names);
      if (!ls.ok()) {
        return dip::Status::Config("data dir " + dir + ": the store cannot be read (" +
                                   ls.ToString() + "); restore it from a backup");
      }
      have.insert(names.begin(), names.end());
      for (const char* name : kCfNames) {
        if (!have.count(name) && RequiredInEveryFormat(name)) {
          return dip::Status::Config(
              "data dir " + dir + " holds a RocksDB database that is corrupt or not a diphub " +
              "store of this version (no column family \"" + name + "\"); restore the data " +
              "dir from a backup, or point storage.data_dir at an empty directory");
        }
      }
    }

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (std::size_t cf = 0; cf < kCfCount; ++cf) cfs.emplace_back(kCfNames[cf], options_of(cf));
    // Format 4's column families must be opened too (to migrate, or to drop what is left).
    const bool legacy = have.count(kLegacyDedupe) && have.count(kLegacyReferences);
    if (legacy) {
      cfs.emplace_back(kLegacyDedupe, cf_options);
      cfs.emplace_back(kLegacyReferences, cf_options);
    }
    auto store = std::unique_ptr<RocksStore>(new RocksStore());
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, cfs, &handles, &db);
    if (!s.ok()) {
      std::string hint = s.IsCorruption() ? "; the store is corrupt: restore the data dir from a "
                                            "backup (docs/operations.md)"
                                          : "";
      return dip::Status::Config("cannot open the store in " + dir + ": " + s.ToString() + hint);
    }
    store->db_.reset(db);
    store->handles_.assign(handles.begin(), handles.begin() + kCfCount);
    std::vector<rocksdb::ColumnFamilyHandle*> old(handles.begin() + kCfCount, handles.end());
    store->dir_ = dir;
    store->min_free_bytes_ = store_options.min_free_bytes;
    store->fsync_ = store_options.fsync;

    auto format = store->GetMeta(kFormatKey);
    if (!format.ok()) return format.status();
    dip::Status status = dip::Status::Ok();
    std::string_view current = format.value();
    if (current.empty() && !existing) {
      status = store->PutMeta(kLogFromKey, SeqKey(1));
      if (status.ok()) status = store->PutMeta(kFormatKey, kFormat);
      current = kFormat;
    } else if (current == kFormat4 || current == kFormat3) {
      if (!legacy) {
        status = dip::Status::Config("data dir " + dir + " holds a store of format \"" +
                                     format.value() + "\" without its \"dedupe\" and " +
                                     "\"references\" column families: it is corrupt; restore " +
                                     "the data dir from a backup");
      } else {
        status = MigrateFormat4(db, store->handles_, old[0], old[1]);  // to format 5
        current = kFormat5;
      }
    } else if ((current == kFormat || current == kFormat5) && existing &&
               (!have.count(kCfNames[kByRef]) || !have.count(kCfNames[kCursors]))) {
      status = dip::Status::Config("data dir " + dir + " holds a store of format \"" +
                                   format.value() + "\" without its \"byref\" or \"cursors\" " +
                                   "column family: it is corrupt; restore the data dir from a " +
                                   "backup");
    } else if (current == kFormat || current == kFormat5) {
      // A migration that crashed after its write but before dropping the old families.
      for (rocksdb::ColumnFamilyHandle* h : old) {
        if (rocksdb::Status d = db->DropColumnFamily(h); !d.ok() && status.ok()) {
          status = FromRocks(d, "drop column family " + h->GetName());
        }
      }
    } else {
      status =
          dip::Status::Config("data dir " + dir + " holds a store of format \"" + format.value() +
                              "\", which this diphub does not know (it " + "reads \"" +
                              std::string(kFormat) + "\" and converts \"" + std::string(kFormat5) +
                              "\" and \"" + std::string(kFormat4) + "\")");
    }
    if (status.ok() && current == kFormat5) {
      // Format 6 is format 5 plus the message log: the messages stored so far keep their bytes
      // in their records; those from the next seq on may have theirs in the log.
      rocksdb::WriteBatch to6;
      to6.Put(store->handles_[kDefault], kLogFromKey, SeqKey(store->LastSeq() + 1));
      to6.Put(store->handles_[kDefault], kFormatKey, kFormat);
      status = store->Write(&to6, true, "convert the store to " + std::string(kFormat));
    }
    for (rocksdb::ColumnFamilyHandle* h : old) db->DestroyColumnFamilyHandle(h);
    if (!status.ok()) return status;
    // The log is written with message_log on; opened for reading (and kept whole) whenever it
    // exists, so a data dir switched off keeps its logged messages readable.
    const std::string log_dir = (fs::path(dir) / "message-log").string();
    if (store_options.message_log || fs::exists(log_dir)) {
      MessageLogOptions log_options;
      log_options.segment_bytes = store_options.message_log_segment_bytes;
      log_options.fsync = store_options.fsync;
      std::uint64_t cut = 0;
      auto log = MessageLog::Open(log_dir, log_options, &cut);
      if (!log.ok()) return log.status();
      if (cut > 0) {
        spdlog::warn(
            "message log: cut a torn end of {} bytes (a crash during a write; those "
            "messages were never acknowledged)",
            cut);
      }
      store->log_ = std::move(log).value();
      store->write_log_ = store_options.message_log;
      if (store->write_log_ && store->fsync_) {
        store->log_syncer_ = std::make_unique<LogSyncer>(store->log_.get());
      }
      if (dip::Status s2 = store->MatchLog(); !s2.ok()) return s2;
    }
    if (auto loaded = store->LoadDeliveryState(); !loaded.ok()) return loaded;
    store->durable_seq_ = store->LastSeq();  // what the log replayed at open is on disk
    store->appended_seq_ = store->durable_seq_.load();
    return store;
  }

  ~RocksStore() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (db_) db_->Close().PermitUncheckedError();
  }

  dip::Result<bool> IsDuplicate(std::string_view sender, std::string_view reference) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), handles_[kByRef], RefKey(reference, sender), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "dedupe lookup");
    return true;
  }

  dip::Status Append(std::span<const MessageRecord* const> records,
                     Durability durability) override {
    if (records.empty()) return dip::Status::Ok();
    if (sync_failed_.load()) {
      return dip::Status::Io(
          "the write-ahead log could not be fsync'd earlier; nothing is stored until the hub "
          "restarts (its log replay decides what was)");
    }
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
    // Per message: the record, its byref key, and one published key per recipient. With the
    // message log, the raw bytes go there first (one write) and the record holds their place;
    // else the batch's buffer is sized once and each raw is copied into it once (SliceParts:
    // the encoding's head, raw, tail), not first into an encoded string.
    std::shared_ptr<const void> logged;
    std::size_t logged_bytes = 0;
    std::vector<LogPosition> positions;
    std::vector<std::string_view> raws;
    if (write_log_) {
      raws.reserve(records.size());
      for (const MessageRecord* r : records) raws.push_back(r->Raw());
      dip::Result<MessageLog::Appended> appended = log_->Append(raws);
      if (!appended.ok()) return appended.status();
      if (durability == Durability::kFsync) {
        if (dip::Status synced = log_->Sync(); !synced.ok()) {
          sync_failed_ = true;
          return dip::Status::Io("sync the message log: " + synced.help());
        }
      }
      logged = std::move(appended.value().owner);
      logged_bytes = appended.value().bytes;
      positions = std::move(appended.value().positions);
      raws = std::move(appended.value().payloads);
    }
    std::size_t reserve = 64;
    for (const MessageRecord* r : records) {
      reserve += (write_log_ ? 0 : r->Raw().size()) + 320 +
                 48 * (r->recipients.size() + r->appointments.size());
    }
    // On the heap: after the write, recent_ keeps it for the deliveries that follow.
    auto batch = std::make_shared<rocksdb::WriteBatch>(reserve);
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // each record's place in the batch
    spans.reserve(records.size());
    std::string head, tail;
    for (std::size_t i = 0; i < records.size(); ++i) {
      const MessageRecord* r = records[i];
      const std::string seq = SeqKey(r->seq);
      head.clear();
      tail.clear();
      const rocksdb::Slice seq_slice(seq);
      std::size_t size;
      if (write_log_) {
        EncodeLoggedMessage(*r, positions[i], &head);
        batch->Put(handles_[kMessages], seq_slice, head);
        size = head.size();
      } else {
        EncodeMessageAround(*r, &head, &tail);
        const std::string_view raw = r->Raw();
        const rocksdb::Slice value[] = {head, rocksdb::Slice(raw.data(), raw.size()), tail};
        batch->Put(handles_[kMessages], rocksdb::SliceParts(&seq_slice, 1),
                   rocksdb::SliceParts(value, 3));
        size = head.size() + raw.size() + tail.size();
      }
      spans.emplace_back(batch->GetDataSize() - size, size);  // the value ends the batch
      if (r->interface_id != kStatusInterface) {
        batch->Put(handles_[kByRef], RefKey(r->sender_unique_reference, r->sender_dip_id), seq);
      } else {
        batch->Put(handles_[kByRef], StatusRefKey(r->sender_unique_reference, r->seq), "");
      }
      for (const std::string& recipient : r->recipients) {
        batch->Put(handles_[kPublished], RecipientKey(recipient, r->seq), r->interface_id);
      }
      for (const AppointmentRow& a : r->appointments) {
        batch->Put(handles_[kAppointments], AppointmentKey(a), a.party);
      }
    }
    std::string tkey;
    PutFixed64BE(&tkey, static_cast<std::uint64_t>(records.front()->accepted_unix_ms));
    PutFixed64BE(&tkey, records.front()->seq);
    batch->Put(handles_[kTimeIndex], tkey, "");
    dip::Status written = Write(batch.get(), durability == Durability::kFsync, "group commit");
    if (written.ok()) {
      const std::string_view data = batch->Data();
      std::vector<RecentMessages::Value> values;
      values.reserve(records.size());
      for (std::size_t i = 0; i < records.size(); ++i) {
        values.push_back({records[i]->seq, data.substr(spans[i].first, spans[i].second),
                          write_log_ ? raws[i] : std::string_view()});
      }
      const std::size_t bytes = data.size() + logged_bytes;
      struct Written {
        std::shared_ptr<rocksdb::WriteBatch> batch;
        std::shared_ptr<const void> logged;
      };
      recent_.Add(std::make_shared<const Written>(Written{std::move(batch), std::move(logged)}),
                  bytes, std::move(values));
      // Appends come in seq order (the group commit's write slot).
      const std::uint64_t last = records.back()->seq;
      RaiseTo(appended_seq_, last);
      if (durability != Durability::kSyncLater) RaiseTo(durable_seq_, last);  // synced, or never
    }
    return written;
  }

  dip::Status SyncWal() override {
    if (sync_failed_.load()) {
      // A later fsync may succeed without the pages an earlier one failed to write.
      return dip::Status::Io("the write-ahead log could not be fsync'd earlier; restart the hub");
    }
    const std::uint64_t covered = appended_seq_.load();  // every Append returned so far
    // Both logs are durable before anyone is answered, synced at once (LogSyncer). Should the
    // power fail before both syncs are done, records whose bytes are not in the message log
    // were never acknowledged; MatchLog removes them at open.
    std::unique_lock sync_lock(sync_mu_);
    if (write_log_ && fsync_) log_syncer_->Start();
    rocksdb::Status s = fsync_ ? db_->SyncWAL() : rocksdb::Status::OK();
    if (write_log_ && fsync_) {
      if (dip::Status logged = log_syncer_->Wait(); !logged.ok()) {
        sync_failed_ = true;
        return dip::Status::Io("sync the message log: " + logged.help());
      }
    }
    if (!s.ok()) {
      std::uint64_t bg_errors = 0;
      db_->GetIntProperty("rocksdb.background-errors", &bg_errors);
      if (needs_resume_.load() || bg_errors > 0) {
        // A write after the ones to sync failed (a full disk) and RocksDB stopped writing the
        // log: what was written before is in the memtable and becomes durable when RocksDB
        // recovers (Resume flushes it). Not a lost fsync; writes resume with free space.
        return dip::Status::Io(
            "disk full: the write-ahead log could not be synced after a "
            "failed write: " +
            s.ToString());
      }
      // After a failed fsync the kernel may have dropped the unwritten pages: what is on disk
      // is unknown until a restart replays the log, so nothing more is written meanwhile.
      sync_failed_ = true;
      return FromRocks(s, "sync the write-ahead log");
    }
    RaiseTo(durable_seq_, covered);
    return dip::Status::Ok();
  }

  dip::Result<std::vector<MessageRecord>> GetMessages(
      std::span<const std::uint64_t> seqs) override {
    dip::Result<MessageBatch> views = GetMessageViews(seqs);
    if (!views.ok()) return views.status();
    std::vector<MessageRecord> out;
    out.reserve(seqs.size());
    for (std::size_t i = 0; i < views.value().size(); ++i) out.push_back(views.value().Record(i));
    return out;
  }

  dip::Result<MessageBatch> GetMessageViews(std::span<const std::uint64_t> seqs) override {
    MessageBatch out;
    out.Resize(seqs.size());
    // Recently committed messages in the batches that wrote them; the rest from RocksDB (and
    // their raw bytes from the message log).
    std::vector<std::size_t> misses;
    std::shared_ptr<const void> keep;
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      std::optional<RecentMessages::Value> hit = recent_.Find(seqs[i], &keep);
      if (!hit) {
        misses.push_back(i);
        continue;
      }
      out.Keep(std::move(keep));
      if (dip::Status s = out.Decode(i, seqs[i], hit->value); !s.ok()) return s;
      if (out[i].raw_at.segment != 0) out.SetRaw(i, hit->raw);
    }
    if (misses.empty()) return out;
    std::vector<std::string> keys;
    std::vector<rocksdb::Slice> slices;
    keys.reserve(misses.size());
    slices.reserve(misses.size());
    for (std::size_t i : misses) {
      keys.push_back(SeqKey(seqs[i]));
      slices.emplace_back(keys.back());
    }
    std::vector<rocksdb::PinnableSlice> values(misses.size());
    std::vector<rocksdb::Status> statuses(misses.size());
    // The misses are in ascending seq order whenever `seqs` is (the delivery queue's order).
    db_->MultiGet(rocksdb::ReadOptions(), handles_[kMessages], misses.size(), slices.data(),
                  values.data(), statuses.data(), std::is_sorted(keys.begin(), keys.end()));
    // The values copied once into one buffer the batch keeps (not left pinned in RocksDB's
    // blocks: the batch may outlive the store's use of them).
    std::size_t total = 0;
    for (std::size_t k = 0; k < misses.size(); ++k) {
      if (!statuses[k].ok()) {
        return FromRocks(statuses[k], "read message " + std::to_string(seqs[misses[k]]));
      }
      total += values[k].size();
    }
    auto bytes = std::make_shared<std::string>();
    bytes->reserve(total);
    for (const rocksdb::PinnableSlice& v : values) bytes->append(v.data(), v.size());
    std::size_t offset = 0;
    std::size_t raw_total = 0;
    for (std::size_t k = 0; k < misses.size(); ++k) {
      const std::string_view value(bytes->data() + offset, values[k].size());
      offset += values[k].size();
      if (dip::Status s = out.Decode(misses[k], seqs[misses[k]], value); !s.ok()) return s;
      raw_total += out[misses[k]].raw_at.size;
    }
    out.Keep(std::move(bytes));
    if (raw_total == 0) return out;
    // The logged ones' raw bytes, read into one more buffer (a run of one write's records with
    // one pread).
    if (!log_)
      return dip::Status::Io(
          "a stored message refers to the message log, which this "
          "store was opened without");
    std::vector<std::size_t> logged;
    std::vector<LogPosition> at;
    for (std::size_t i : misses) {
      if (out[i].raw_at.segment == 0) continue;
      logged.push_back(i);
      at.push_back(out[i].raw_at);
    }
    auto raw = std::make_shared<std::string>();
    std::vector<std::string_view> payloads;
    if (dip::Status s = log_->ReadMany(at, raw.get(), &payloads); !s.ok()) {
      return dip::Status::Io("read messages " + std::to_string(seqs[logged.front()]) + " to " +
                             std::to_string(seqs[logged.back()]) + ": " + s.help());
    }
    for (std::size_t k = 0; k < logged.size(); ++k) out.SetRaw(logged[k], payloads[k]);
    out.Keep(std::move(raw));
    return out;
  }

  // Explicit entries and the publications past the cursor, merged in seq order.
  dip::Result<std::vector<OutboxEntry>> ScanOutbox(std::string_view recipient, std::uint64_t after,
                                                   std::size_t limit) override {
    std::vector<OutboxEntry> out;
    const std::string prefix = Prefix(recipient);
    const std::uint64_t cursor = CursorOf(recipient);
    std::unique_ptr<rocksdb::Iterator> ex(NewIterator(kOutbox));
    std::unique_ptr<rocksdb::Iterator> pub(NewIterator(kPublished));
    ex->Seek(RecipientKey(recipient, after + 1));
    pub->Seek(RecipientKey(recipient, std::max(after, cursor) + 1));
    static constexpr std::uint64_t kNone = UINT64_MAX;  // past the recipient's keys
    auto seq_of = [&prefix](rocksdb::Iterator* it) {
      return it->Valid() ? SeqUnder(it->key(), prefix).value_or(kNone) : kNone;
    };
    while (out.size() < limit) {
      const std::uint64_t e = seq_of(ex.get());
      const std::uint64_t p = seq_of(pub.get());
      if (e == kNone && p == kNone) break;
      OutboxEntry entry;
      entry.recipient.assign(recipient);
      if (e <= p) {
        entry.seq = e;
        DecodeOutboxValue(std::string_view(ex->value().data(), ex->value().size()), &entry);
        if (p == e) pub->Next();  // requeued while still pending: one entry
        ex->Next();
      } else {
        entry.seq = p;
        entry.interface_id.assign(pub->value().data(), pub->value().size());
        pub->Next();
      }
      out.push_back(std::move(entry));
    }
    if (!ex->status().ok()) return FromRocks(ex->status(), "outbox scan");
    if (!pub->status().ok()) return FromRocks(pub->status(), "outbox scan");
    return out;
  }

  dip::Result<std::vector<std::string>> OutboxRecipients() override {
    std::set<std::string> out;
    std::unique_ptr<rocksdb::Iterator> ex(NewIterator(kOutbox));
    ForEachRecipient(ex.get(), [&](const std::string& to) { out.insert(to); });
    if (!ex->status().ok()) return FromRocks(ex->status(), "outbox recipients");
    std::unique_ptr<rocksdb::Iterator> pub(NewIterator(kPublished));
    std::unique_ptr<rocksdb::Iterator> probe(NewIterator(kPublished));
    ForEachRecipient(pub.get(), [&](const std::string& to) {
      probe->Seek(RecipientKey(to, CursorOf(to) + 1));
      if (probe->Valid() && SeqUnder(probe->key(), Prefix(to))) out.insert(to);
    });
    if (!pub->status().ok()) return FromRocks(pub->status(), "outbox recipients");
    if (!probe->status().ok()) return FromRocks(probe->status(), "outbox recipients");
    return std::vector<std::string>(out.begin(), out.end());
  }

  dip::Result<std::uint64_t> CountOutbox(std::string_view recipient) override {
    const std::string prefix = Prefix(recipient);
    const std::uint64_t cursor = CursorOf(recipient);
    std::uint64_t n = 0;
    std::unique_ptr<rocksdb::Iterator> pub(NewIterator(kPublished));
    for (pub->Seek(RecipientKey(recipient, cursor + 1));
         pub->Valid() && SeqUnder(pub->key(), prefix); pub->Next()) {
      ++n;
    }
    if (!pub->status().ok()) return FromRocks(pub->status(), "outbox count");
    // Explicit entries past the cursor are publications counted above already.
    std::unique_ptr<rocksdb::Iterator> ex(NewIterator(kOutbox));
    for (ex->Seek(prefix); ex->Valid(); ex->Next()) {
      std::optional<std::uint64_t> seq = SeqUnder(ex->key(), prefix);
      if (!seq || *seq > cursor) break;
      ++n;
    }
    if (!ex->status().ok()) return FromRocks(ex->status(), "outbox count");
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
    const std::string key = RecipientKey(recipient, seq);
    std::string value;
    OutboxEntry e;
    e.recipient.assign(recipient);
    e.seq = seq;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kOutbox], key, &value);
    if (s.ok()) {
      DecodeOutboxValue(value, &e);
      return std::optional<OutboxEntry>(std::move(e));
    }
    if (!s.IsNotFound()) return FromRocks(s, "outbox read");
    if (seq <= CursorOf(recipient)) return std::optional<OutboxEntry>();
    s = db_->Get(rocksdb::ReadOptions(), handles_[kPublished], key, &e.interface_id);
    if (s.IsNotFound()) return std::optional<OutboxEntry>();
    if (!s.ok()) return FromRocks(s, "outbox read");
    return std::optional<OutboxEntry>(std::move(e));
  }

  dip::Status RecordOutcomes(std::span<const DeliveryOutcome> outcomes) override {
    rocksdb::WriteBatch batch;
    std::map<std::string, std::uint64_t, std::less<>> moved;  // recipient -> new cursor
    bool any_explicit = false;
    {
      std::lock_guard lock(cursor_mu_);
      any_explicit = !has_explicit_.empty();
    }
    for (const DeliveryOutcome& o : outcomes) {
      const bool is_final = IsFinal(o.status);
      auto m = moved.find(o.recipient);
      const std::uint64_t cursor = m != moved.end() ? m->second : CursorOf(o.recipient);
      // The first final outcome of a publication is its deliveries row; every other row
      // (retries, a requeued publication delivered again) is a journal row.
      const bool first_final = is_final && o.seq > cursor;
      if (!first_final)
        batch.Put(handles_[kJournal], OutboundJournalKey(o), EncodeJournalRow(OutboundRow(o)));
      if (!is_final) continue;
      const std::string key = RecipientKey(o.recipient, o.seq);
      if (first_final) {
        batch.Put(handles_[kDeliveries], key, EncodeOutcome(o));
        moved[o.recipient] = o.seq;
      }
      if (any_explicit && HasExplicit(o.recipient)) batch.Delete(handles_[kOutbox], key);
      if (o.status == OutboundStatus::kRetriesExhausted) {
        batch.Put(handles_[kDeadLetters], key, EncodeOutcome(o));
      }
    }
    for (const auto& [to, seq] : moved) batch.Put(handles_[kCursors], to, SeqKey(seq));
    if (auto s = Write(&batch, false, "record deliveries"); !s.ok()) return s;
    std::lock_guard lock(cursor_mu_);
    for (const auto& [to, seq] : moved) {
      std::uint64_t& c = cursors_[to];
      c = std::max(c, seq);
    }
    return dip::Status::Ok();
  }

  dip::Result<std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>>> Journal(
      std::string_view reference) override {
    // The messages: byref keys of every sender, and of status records, under the reference.
    std::vector<std::uint64_t> seqs;
    const std::string prefix = Prefix(reference);
    {
      std::unique_ptr<rocksdb::Iterator> it(NewIterator(kByRef));
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        const rocksdb::Slice k = it->key();
        if (k.size() == prefix.size() + 9 && k[prefix.size()] == '\0') {
          seqs.push_back(DecodeFixed64BE(k.data() + prefix.size() + 1));  // a status record
        } else if (k.size() > prefix.size() && k[prefix.size()] != '\0' &&
                   it->value().size() == 8) {
          seqs.push_back(DecodeFixed64BE(it->value().data()));
        }
      }
      if (!it->status().ok()) return FromRocks(it->status(), "reference look-up");
    }
    // Not past what is durable: a message written but not yet synced is not answered yet.
    std::erase_if(seqs, [durable = durable_seq_.load()](std::uint64_t s) { return s > durable; });
    std::sort(seqs.begin(), seqs.end());
    std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>> out;
    for (std::uint64_t seq : seqs) {
      std::string value;
      rocksdb::Status s =
          db_->Get(rocksdb::ReadOptions(), handles_[kMessages], SeqKey(seq), &value);
      if (s.IsNotFound()) continue;  // expired meanwhile
      if (!s.ok()) return FromRocks(s, "journal read");
      auto m = DecodeMessage(seq, value);
      if (!m.ok()) return m.status();
      auto rows = JournalOf(m.value());
      if (!rows.ok()) return rows.status();
      out.emplace_back(seq, std::move(rows).value());
    }
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
      t->Seek(SeqKey(static_cast<std::uint64_t>(std::max<std::int64_t>(from_ms, 0))));
      if (!t->Valid()) return std::vector<std::uint64_t>();  // nothing accepted since from_ms
      if (t->key().size() == 16) first = std::max(first, DecodeFixed64BE(t->key().data() + 8));
      if (to_ms < INT64_MAX) {
        t->Seek(SeqKey(static_cast<std::uint64_t>(to_ms) + 1));
        if (t->Valid() && t->key().size() == 16) end = DecodeFixed64BE(t->key().data() + 8);
      }
      if (!t->status().ok()) return FromRocks(t->status(), "time index");
    }
    // Not past what is durable: a message written but not yet synced is not answered yet.
    end = std::min(end, durable_seq_.load() + 1);
    std::vector<std::uint64_t> out;
    const std::string prefix = Prefix(recipient);
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kPublished));
    for (it->Seek(RecipientKey(recipient, first)); it->Valid() && out.size() < limit; it->Next()) {
      std::optional<std::uint64_t> seq = SeqUnder(it->key(), prefix);
      if (!seq || *seq >= end) break;
      if (it->value() == rocksdb::Slice(interface_id.data(), interface_id.size())) {
        out.push_back(*seq);
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
    MarkExplicit(recipient);
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
    if (requeue && n > 0) MarkExplicit(recipient);
    if (auto s = Write(&batch, true, "clear dead letters"); !s.ok()) return s;
    return n;
  }

  dip::Result<std::uint64_t> Expire(std::int64_t cutoff_ms, std::size_t max_messages) override {
    recent_.Clear();  // what is removed must not be found there afterwards
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
        if (seq > CursorOf(to)) pending = true;  // never expire what has not been delivered
        std::string v;
        if (HasExplicit(to) &&
            db_->Get(rocksdb::ReadOptions(), handles_[kOutbox], RecipientKey(to, seq), &v).ok()) {
          pending = true;
        }
      }
      if (pending) continue;
      const std::string key = SeqKey(seq);
      batch.Delete(handles_[kMessages], key);
      if (r.interface_id != kStatusInterface) {
        batch.Delete(handles_[kByRef], RefKey(r.sender_unique_reference, r.sender_dip_id));
      } else {
        batch.Delete(handles_[kByRef], StatusRefKey(r.sender_unique_reference, seq));
      }
      batch.DeleteRange(handles_[kJournal], key, SeqKey(seq + 1));
      for (const std::string& to : r.recipients) {
        const std::string rk = RecipientKey(to, seq);
        batch.Delete(handles_[kPublished], rk);
        batch.Delete(handles_[kDeliveries], rk);
        batch.Delete(handles_[kDeadLetters], rk);
      }
      ++removed;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "retention scan");
    batch.DeleteRange(handles_[kTimeIndex], SeqKey(0),
                      SeqKey(static_cast<std::uint64_t>(std::max<std::int64_t>(cutoff_ms, 0))));
    if (removed == 0) return removed;  // nothing to write
    // Sequence numbers are never reused: remember the highest one ever assigned, since the
    // newest messages may be among those removed.
    batch.Put(handles_[kDefault], "seq_floor", SeqKey(LastSeq()));
    if (auto s = Write(&batch, false, "retention"); !s.ok()) return s;
    if (dip::Status s = DropUnreferencedSegments(); !s.ok()) return s;
    return removed;
  }

  Stats GetStats() override {
    Stats s;
    if (log_) s.message_log_bytes = log_->DiskBytes();
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

  void SetWriteMarker(std::string key, std::string value) override {
    marker_key_ = std::move(key);
    marker_value_ = std::move(value);
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

  // Calls `fn` once per recipient with keys (recipient \0 ...) in `it`'s column family.
  template <typename Fn>
  static void ForEachRecipient(rocksdb::Iterator* it, Fn&& fn) {
    it->SeekToFirst();
    while (it->Valid()) {
      std::string_view k(it->key().data(), it->key().size());
      std::size_t nul = k.find('\0');
      if (nul == std::string_view::npos) {
        it->Next();
        continue;
      }
      std::string to(k.substr(0, nul));
      fn(to);
      to.push_back('\x01');  // past every key of this recipient
      it->Seek(to);
    }
  }

  // Reads the cursors, and which recipients have explicit outbox entries, into memory.
  dip::Status LoadDeliveryState() {
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kCursors));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->value().size() != 8) return dip::Status::Io("stored delivery cursor is corrupt");
      cursors_[it->key().ToString()] = DecodeFixed64BE(it->value().data());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "read cursors");
    std::unique_ptr<rocksdb::Iterator> ex(NewIterator(kOutbox));
    ForEachRecipient(ex.get(), [this](const std::string& to) { has_explicit_.insert(to); });
    return FromRocks(ex->status(), "read outbox");
  }

  std::uint64_t CursorOf(std::string_view recipient) {
    std::lock_guard lock(cursor_mu_);
    auto it = cursors_.find(recipient);
    return it == cursors_.end() ? 0 : it->second;
  }
  bool HasExplicit(std::string_view recipient) {
    std::lock_guard lock(cursor_mu_);
    return has_explicit_.find(recipient) != has_explicit_.end();
  }
  void MarkExplicit(std::string_view recipient) {
    std::lock_guard lock(cursor_mu_);
    has_explicit_.emplace(recipient);
  }

  // The journal of message `m`: Inbound and Addressing from the record, then its Outbound rows
  // (first final outcomes and journal rows) in time order.
  dip::Result<std::vector<JournalRow>> JournalOf(const MessageRecord& m) {
    std::vector<JournalRow> rows;
    rows.push_back({JournalRow::Stage::kInbound, "Accepted", "", m.accepted_unix_ms, 201, 0, 0,
                    m.transaction_id});
    std::string routed;
    for (const std::string& to : m.recipients) routed += (routed.empty() ? "" : ",") + to;
    rows.push_back(
        {JournalRow::Stage::kAddressing, "Routed", "", m.accepted_unix_ms, 0, 0, 0, routed});
    using Key = std::tuple<std::int64_t, std::string, std::uint32_t>;
    std::map<Key, JournalRow> outbound;  // the key order of format 4's journal rows
    const std::string jprefix = SeqKey(m.seq);
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kJournal));
    for (it->Seek(jprefix); it->Valid() && it->key().starts_with(jprefix); it->Next()) {
      auto row = DecodeJournalRow(std::string_view(it->value().data(), it->value().size()));
      if (!row.ok()) return row.status();
      JournalRow& r = row.value();
      outbound.emplace(Key{r.unix_ms, r.recipient, r.attempt}, std::move(r));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "journal read");
    std::set<std::string_view> seen;
    for (const std::string& to : m.recipients) {
      if (!seen.insert(to).second) continue;
      std::string value;
      rocksdb::Status s =
          db_->Get(rocksdb::ReadOptions(), handles_[kDeliveries], RecipientKey(to, m.seq), &value);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return FromRocks(s, "journal read");
      auto o = DecodeOutcome(to, m.seq, value);
      if (!o.ok()) return o.status();
      const DeliveryOutcome& d = o.value();
      outbound.emplace(Key{d.unix_ms, d.recipient, d.attempts}, OutboundRow(d));
    }
    for (auto& [key, row] : outbound) rows.push_back(std::move(row));
    return rows;
  }

  // After a crash the message log and RocksDB may disagree at their ends, by messages that were
  // never acknowledged (both are synced before a 201): records whose raw bytes did not reach
  // the log (a power loss, RocksDB's log written back first) are removed with their keys, and
  // log records no record refers to (RocksDB's write lost, or failed) are cut off.
  dip::Status MatchLog() {
    const LogPosition end = log_->End();
    rocksdb::WriteBatch undo;
    std::vector<std::uint64_t> undone;
    LogPosition last;  // the newest record's place in the log, if logged
    bool newest_inline = false;
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kMessages));
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (it->key().size() != 8) continue;
      const std::uint64_t seq = DecodeFixed64BE(it->key().data());
      std::vector<std::string_view> ids;
      MessageView v;
      if (dip::Status s = DecodeMessageView(
              seq, std::string_view(it->value().data(), it->value().size()), &v, &ids);
          !s.ok()) {
        return s;
      }
      const LogPosition& p = v.raw_at;
      if (p.segment == 0) {
        // Inline (written with the log off): where the referenced part of the log ends is not
        // known without reading further back, so nothing is cut; unreferenced records only
        // take space.
        newest_inline = true;
        break;
      }
      if (p.segment < end.segment || (p.segment == end.segment && p.End() <= end.offset)) {
        last = p;
        break;
      }
      undo.Delete(handles_[kMessages], SeqKey(seq));
      if (v.interface_id != kStatusInterface) {
        undo.Delete(handles_[kByRef], RefKey(v.sender_unique_reference, v.sender_dip_id));
      } else {
        undo.Delete(handles_[kByRef], StatusRefKey(v.sender_unique_reference, seq));
      }
      for (std::string_view to :
           std::span<const std::string_view>(ids).subspan(v.recipients.begin, v.recipients.count)) {
        undo.Delete(handles_[kPublished], RecipientKey(to, seq));
      }
      undone.push_back(seq);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "message log check");
    it.reset();
    if (!undone.empty()) {
      // Keep their seqs unused (LastSeq), and drop the time-index keys of their batches.
      undo.Put(handles_[kDefault], "seq_floor", SeqKey(LastSeq()));
      std::unique_ptr<rocksdb::Iterator> t(NewIterator(kTimeIndex));
      for (t->SeekToLast(); t->Valid() && t->key().size() == 16 &&
                            DecodeFixed64BE(t->key().data() + 8) >= undone.back();
           t->Prev()) {
        undo.Delete(handles_[kTimeIndex], t->key());
      }
      if (!t->status().ok()) return FromRocks(t->status(), "message log check");
      if (dip::Status s = Write(&undo, true, "undo messages missing from the message log");
          !s.ok()) {
        return s;
      }
      spdlog::warn(
          "message log: removed {} messages (seq {} to {}) whose bytes never reached the "
          "message log (a power loss before their sync; never acknowledged)",
          undone.size(), undone.back(), undone.front());
    }
    // The current segment ends with the newest record, or holds none of the records.
    if (newest_inline) return dip::Status::Ok();
    const std::uint64_t keep = last.segment == end.segment ? last.End() : MessageLog::kHeaderBytes;
    // A write's records belong to one RocksDB batch, so records nobody refers to are whole
    // writes, from a block boundary on; the zeros after `keep` up to it are padding.
    const std::uint64_t padded_end =
        (keep + MessageLog::kBlock - 1) / MessageLog::kBlock * MessageLog::kBlock;
    if (padded_end < end.offset) {
      spdlog::warn(
          "message log: cut {} bytes of records no stored message refers to (their "
          "store write was lost or failed; never acknowledged)",
          end.offset - padded_end);
      return log_->TruncateCurrent(keep);
    }
    return dip::Status::Ok();
  }

  // Deletes the message log's segments older than the oldest one a stored message refers to.
  dip::Status DropUnreferencedSegments() {
    if (!log_) return dip::Status::Ok();
    auto from = GetMeta(kLogFromKey);
    if (!from.ok()) return from.status();
    std::unique_ptr<rocksdb::Iterator> it(NewIterator(kMessages));
    if (from.value().size() == 8) {
      it->Seek(from.value());
    } else {
      it->SeekToFirst();
    }
    std::uint32_t oldest = log_->End().segment;  // none referred to: all but the current one
    if (it->Valid() && it->key().size() == 8) {
      std::vector<std::string_view> ids;
      MessageView v;
      if (dip::Status s =
              DecodeMessageView(DecodeFixed64BE(it->key().data()),
                                std::string_view(it->value().data(), it->value().size()), &v, &ids);
          !s.ok()) {
        return s;
      }
      if (v.raw_at.segment == 0) return dip::Status::Ok();  // an inline one: keep everything
      oldest = v.raw_at.segment;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "message log retention");
    auto dropped = log_->DropSegmentsBefore(oldest);
    return dropped.ok() ? dip::Status::Ok() : dropped.status();
  }

  // Every write goes through here. Writes run concurrently (RocksDB groups them); after a
  // failed write (a full disk) RocksDB must be resumed, alone, before it is written to again;
  // until space returns, writes fail with "disk full".
  dip::Status Write(rocksdb::WriteBatch* batch, bool sync, std::string_view what) {
    if (needs_resume_.load()) {
      std::unique_lock lock(write_mu_);
      if (needs_resume_.load()) {
        rocksdb::Status r = db_->Resume();
        if (r.IsBusy()) {
          // RocksDB's own recovery is under way (it waits for free space).
          return dip::Status::Io("disk full: " + std::string(what) +
                                 ": storage is waiting for free space; nothing was stored");
        }
        if (!r.ok()) return FromRocks(r, std::string(what) + " (resuming after a failed write)");
        needs_resume_ = false;
      }
    }
    std::shared_lock lock(write_mu_);
    if (!marker_key_.empty()) batch->Put(handles_[kDefault], marker_key_, marker_value_);
    rocksdb::WriteOptions wo;
    wo.sync = sync && fsync_;
    rocksdb::Status s = db_->Write(wo, batch);
    if (!s.ok()) needs_resume_ = true;
    return FromRocks(s, what);
  }

  // About the last 4,000 messages of 3.4 KB: deliveries run a few hundred ms behind the
  // commit at most at full load; further behind, they read from RocksDB as before.
  static constexpr std::size_t kRecentBytes = 16u << 20;
  RecentMessages recent_{kRecentBytes};
  std::unique_ptr<MessageLog> log_;        // null: no message log (a view, or never turned on)
  bool write_log_ = false;                 // new messages' bytes go to log_ (else inline)
  std::unique_ptr<LogSyncer> log_syncer_;  // with write_log_ and fsync_; before log_ dies
  std::mutex sync_mu_;                     // one SyncWal() at a time
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string dir_;
  std::uint64_t min_free_bytes_ = 0;
  bool fsync_ = true;
  // SetWriteMarker's key and value; only the one writing thread of a RocksView touches them.
  std::string marker_key_;
  std::string marker_value_;
  std::shared_mutex write_mu_;  // writes share it; Resume() takes it alone
  std::atomic<bool> needs_resume_{false};
  std::atomic<bool> sync_failed_{false};  // a SyncWal() failed: Append refuses until a restart
  // The highest seq appended, and the highest one durable (fsync'd, or written with kOsBuffered).
  std::atomic<std::uint64_t> appended_seq_{0};
  std::atomic<std::uint64_t> durable_seq_{0};
  std::mutex cursor_mu_;
  std::map<std::string, std::uint64_t, std::less<>> cursors_;  // guarded by cursor_mu_
  std::set<std::string, std::less<>> has_explicit_;            // guarded by cursor_mu_
};

}  // namespace

dip::Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir,
                                                   const StoreOptions& options) {
  auto store = RocksStore::Open(dir, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(store).value());
}

dip::Result<std::unique_ptr<RocksView>> OpenRocksView(const std::string& dir,
                                                      const StoreOptions& options) {
  auto store = RocksStore::Open(dir, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<RocksView>(std::move(store).value());
}

}  // namespace diphub::storage
