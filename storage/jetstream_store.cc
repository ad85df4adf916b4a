// JetStreamStore: the writer (one round = one log entry = one publish, or a chain of parts),
// apply-after-PubAck, and replay at open. The stream is jetstream_log.h; the entry format
// jetstream_entry.h; the view is a RocksView whose writes carry the log position (rocks_view.h).
//
// The view's log position (meta key "jetstream_applied"): stream name, the stream sequences of
// the first and last part of the entry being applied, and the index of the mutation within it.
// It is written in the same WriteBatch as the mutation, so replay resumes exactly after the
// last mutation the view holds, even after a crash in the middle of an entry.
#include "storage/jetstream_store.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "storage/codec.h"
#include "storage/jetstream_entry.h"
#include "storage/jetstream_log.h"
#include "storage/rocks_view.h"

namespace diphub::storage {
namespace {

using jetstream::EntryBuilder;
using jetstream::Log;

constexpr std::string_view kMarkerKey = "jetstream_applied";
// Retention runs every few seconds (broker/hub.cc); in the log it is one entry a minute at most
// while there is nothing left to remove.
constexpr auto kExpireInterval = std::chrono::seconds(60);

struct Marker {
  std::string stream;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::uint32_t index = 0;
};

std::string EncodeMarker(const Marker& m) {
  std::string out;
  PutLengthPrefixed(&out, m.stream);
  PutFixed64BE(&out, m.first_seq);
  PutFixed64BE(&out, m.last_seq);
  PutVarint32(&out, m.index);
  return out;
}

std::optional<Marker> DecodeMarker(std::string_view in) {
  Marker m;
  std::string_view stream;
  if (!GetLengthPrefixed(&in, &stream) || !GetFixed64BE(&in, &m.first_seq) ||
      !GetFixed64BE(&in, &m.last_seq) || !GetVarint32(&in, &m.index) || !in.empty()) {
    return std::nullopt;
  }
  m.stream.assign(stream);
  return m;
}

dip::Status StatusOf(const dip::Result<std::uint64_t>& r) {
  return r.ok() ? dip::Status::Ok() : r.status();
}

std::string RandomWriterId() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

class JetStreamStore final : public Store {
 public:
  JetStreamStore(std::unique_ptr<RocksView> view, std::unique_ptr<Log> log,
                 JetStreamOptions options, std::string dir, std::uint64_t min_free_bytes)
      : view_(std::move(view)),
        log_(std::move(log)),
        options_(std::move(options)),
        dir_(std::move(dir)),
        min_free_bytes_(min_free_bytes) {}

  ~JetStreamStore() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  // Checks the view against the stream, replays what it lacks, and starts the writer.
  dip::Status Open() { return Replay(/*follow_only=*/false); }
  // The same checks and replay, without the writer, its progress logged at debug level: a
  // standby following the stream (JetStreamViewFollower), as often as it likes. How many
  // entries it applied.
  dip::Result<std::uint64_t> CatchUp() {
    if (dip::Status s = Replay(/*follow_only=*/true); !s.ok()) return s;
    return replayed_;
  }

  // --- Reads: the local view.
  dip::Result<bool> IsDuplicate(std::string_view sender, std::string_view reference) override {
    return view_->IsDuplicate(sender, reference);
  }
  dip::Result<std::vector<MessageRecord>> GetMessages(
      std::span<const std::uint64_t> seqs) override {
    return view_->GetMessages(seqs);
  }
  dip::Result<MessageBatch> GetMessageViews(std::span<const std::uint64_t> seqs) override {
    return view_->GetMessageViews(seqs);
  }
  dip::Result<std::vector<OutboxEntry>> ScanOutbox(std::string_view recipient, std::uint64_t after,
                                                   std::size_t limit) override {
    return view_->ScanOutbox(recipient, after, limit);
  }
  dip::Result<std::vector<std::string>> OutboxRecipients() override {
    return view_->OutboxRecipients();
  }
  dip::Result<std::uint64_t> CountOutbox(std::string_view recipient) override {
    return view_->CountOutbox(recipient);
  }
  dip::Result<std::uint64_t> CountRequeued(std::string_view recipient,
                                           std::string_view requeue_id) override {
    return view_->CountRequeued(recipient, requeue_id);
  }
  dip::Result<std::optional<OutboxEntry>> GetOutbox(std::string_view recipient,
                                                    std::uint64_t seq) override {
    return view_->GetOutbox(recipient, seq);
  }
  dip::Result<std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>>> Journal(
      std::string_view reference) override {
    return view_->Journal(reference);
  }
  dip::Result<std::vector<std::uint64_t>> ScanPublished(std::string_view recipient,
                                                        std::string_view interface_id,
                                                        std::int64_t from_ms, std::int64_t to_ms,
                                                        std::uint64_t after,
                                                        std::size_t limit) override {
    return view_->ScanPublished(recipient, interface_id, from_ms, to_ms, after, limit);
  }
  dip::Result<std::vector<DeliveryOutcome>> DeadLetters(std::string_view recipient,
                                                        std::size_t limit) override {
    return view_->DeadLetters(recipient, limit);
  }
  Stats GetStats() override { return view_->GetStats(); }
  std::uint64_t LastSeq() override { return view_->LastSeq(); }
  dip::Result<std::vector<std::pair<std::string, std::string>>> ParticipantOverrides() override {
    return view_->ParticipantOverrides();
  }
  dip::Status ScanAppointments(const std::function<bool(const AppointmentRow&)>& fn) override {
    return view_->ScanAppointments(fn);
  }
  dip::Result<std::string> GetMeta(std::string_view key) override { return view_->GetMeta(key); }

  // --- Writes: through the log.
  dip::Status Append(std::span<const MessageRecord* const> records, Durability) override {
    if (records.empty()) return dip::Status::Ok();
    if (dip::Status s = CheckFreeSpace(); !s.ok()) return s;
    Call c;
    c.encode = [records](EntryBuilder* b) { b->Append(records); };
    c.apply = [records](Store* v) -> dip::Result<std::uint64_t> {
      if (dip::Status s = v->Append(records, Durability::kOsBuffered); !s.ok()) return s;
      return 0;
    };
    return StatusOf(Submit(&c));
  }
  dip::Status RecordOutcomes(std::span<const DeliveryOutcome> outcomes) override {
    if (outcomes.empty()) return dip::Status::Ok();
    Call c;
    c.encode = [outcomes](EntryBuilder* b) { b->RecordOutcomes(outcomes); };
    c.apply = [outcomes](Store* v) -> dip::Result<std::uint64_t> {
      if (dip::Status s = v->RecordOutcomes(outcomes); !s.ok()) return s;
      return 0;
    };
    return StatusOf(Submit(&c));
  }
  dip::Status Requeue(std::string_view recipient, std::span<const OutboxEntry> entries) override {
    Call c;
    c.encode = [recipient, entries](EntryBuilder* b) { b->Requeue(recipient, entries); };
    c.apply = [recipient, entries](Store* v) -> dip::Result<std::uint64_t> {
      if (dip::Status s = v->Requeue(recipient, entries); !s.ok()) return s;
      return 0;
    };
    return StatusOf(Submit(&c));
  }
  dip::Result<std::uint64_t> ClearDeadLetters(std::string_view recipient, bool requeue) override {
    Call c;
    c.encode = [recipient, requeue](EntryBuilder* b) { b->ClearDeadLetters(recipient, requeue); };
    c.apply = [recipient, requeue](Store* v) { return v->ClearDeadLetters(recipient, requeue); };
    return Submit(&c);
  }
  dip::Result<std::uint64_t> Expire(std::int64_t cutoff_ms, std::size_t max_messages) override {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(expire_mu_);
      if (!expire_backlog_ && last_expire_.time_since_epoch().count() != 0 &&
          now - last_expire_ < kExpireInterval) {
        return std::uint64_t{0};
      }
      last_expire_ = now;
    }
    Call c;
    c.encode = [cutoff_ms, max_messages](EntryBuilder* b) { b->Expire(cutoff_ms, max_messages); };
    c.apply = [cutoff_ms, max_messages](Store* v) { return v->Expire(cutoff_ms, max_messages); };
    dip::Result<std::uint64_t> removed = Submit(&c);
    std::lock_guard lock(expire_mu_);
    expire_backlog_ = removed.ok() && removed.value() >= max_messages;
    return removed;
  }
  dip::Status PutParticipantOverride(std::string_view dip_id, std::string_view text) override {
    Call c;
    c.encode = [dip_id, text](EntryBuilder* b) { b->PutParticipantOverride(dip_id, text); };
    c.apply = [dip_id, text](Store* v) -> dip::Result<std::uint64_t> {
      if (dip::Status s = v->PutParticipantOverride(dip_id, text); !s.ok()) return s;
      return 0;
    };
    return StatusOf(Submit(&c));
  }
  dip::Status PutAppointments(std::span<const AppointmentRow> rows) override {
    Call c;
    c.encode = [rows](EntryBuilder* b) { b->PutAppointments(rows); };
    c.apply = [rows](Store* v) -> dip::Result<std::uint64_t> {
      if (dip::Status s = v->PutAppointments(rows); !s.ok()) return s;
      return 0;
    };
    return StatusOf(Submit(&c));
  }
  dip::Status PutMeta(std::string_view key, std::string_view value) override {
    Call c;
    c.encode = [key, value](EntryBuilder* b) { b->PutMeta(key, value); };
    c.apply = [key, value](Store* v) -> dip::Result<std::uint64_t> {
      if (dip::Status s = v->PutMeta(key, value); !s.ok()) return s;
      return 0;
    };
    return StatusOf(Submit(&c));
  }

 private:
  // Open() and CatchUp(): the checks of the view against the stream and the replay; then the
  // writer, unless `follow_only`.
  dip::Status Replay(bool follow_only);
  // One waiting Store call: how to encode it and how to apply it to the view.
  struct Call {
    std::function<void(EntryBuilder*)> encode;
    std::function<dip::Result<std::uint64_t>(Store*)> apply;
    dip::Status status = dip::Status::Ok();
    std::uint64_t count = 0;
    bool done = false;  // guarded by mu_
  };

  dip::Result<std::uint64_t> Submit(Call* c) {
    std::unique_lock lock(mu_);
    if (!fatal_.empty()) {
      return dip::Status::Io("jetstream: this node no longer writes (" + fatal_ + ")");
    }
    if (stopping_) return dip::Status::Io("jetstream: the store is closing; nothing was stored");
    queue_.push_back(c);
    cv_.notify_one();
    done_cv_.wait(lock, [c] { return c->done; });
    if (!c->status.ok()) return c->status;
    return c->count;
  }

  // The same reserve as the RocksDB engine (StoreOptions::min_free_bytes), checked before the
  // publish: once an entry is in the stream, the view must be able to apply it.
  dip::Status CheckFreeSpace() const {
    struct statvfs fs {};
    if (min_free_bytes_ == 0 || statvfs(dir_.c_str(), &fs) != 0) return dip::Status::Ok();
    const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes >= min_free_bytes_) return dip::Status::Ok();
    return dip::Status::Io("disk full: " + std::to_string(free_bytes) + " bytes free in " + dir_ +
                           ", below storage.min_free_bytes (" + std::to_string(min_free_bytes_) +
                           ")");
  }

  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      std::vector<Call*> calls(queue_.begin(), queue_.end());
      queue_.clear();
      lock.unlock();
      Round(calls);
      lock.lock();
      for (Call* c : calls) c->done = true;
      done_cv_.notify_all();
      if (!fatal_.empty() && !fatal_told_) {
        // Told after the round's callers have their failure, so they can answer it.
        fatal_told_ = true;
        const std::string reason = fatal_;
        lock.unlock();
        if (options_.on_fatal) options_.on_fatal(reason);
        lock.lock();
      }
    }
  }

  void FailAll(const std::vector<Call*>& calls, const dip::Status& s) {
    for (Call* c : calls) c->status = s;
  }

  // Every write fails from now on; the owner is told once, when the round is answered.
  void Fatal(const std::string& reason) {
    {
      std::lock_guard lock(mu_);
      if (!fatal_.empty()) return;
      fatal_ = reason;
    }
    spdlog::critical("jetstream store: {}", reason);
  }

  // Publishes one part of an entry, expecting the stream to end at `expected` (last_seq_, or
  // an earlier sequence when RestoreLost publishes a lost part again: its Nats-Msg-Id is then
  // the one it had). A publish without an answer (kUncertain: a nats node died with it, or the
  // stream was electing a leader) is sent again with the same Nats-Msg-Id until it is answered:
  // JetStream then says whether the first one was stored (a duplicate PubAck naming its
  // sequence) or stores it now. So a lost PubAck costs a wait, not the node. Gives up
  // kUncertain after max(30 s, 2 x ack_timeout_ms), well inside the stream's 2-minute
  // duplicate window. Writer thread only.
  Log::Published PublishPart(const std::string& part, std::uint64_t expected) {
    const std::string msg_id = writer_id_ + "." + std::to_string(expected);
    Log::Published p = log_->Publish(part, expected, msg_id);
    if (p.error != Log::PublishError::kUncertain) return p;
    const auto give_up =
        std::chrono::steady_clock::now() +
        std::max<std::chrono::milliseconds>(std::chrono::seconds(30),
                                            std::chrono::milliseconds(2 * options_.ack_timeout_ms));
    spdlog::warn(
        "jetstream store: no PubAck for stream sequence {} ({}); publishing it again "
        "with the same Nats-Msg-Id until the stream answers",
        expected + 1, p.detail);
    while (std::chrono::steady_clock::now() < give_up) {
      Log::Published again = log_->Publish(part, expected, msg_id);
      if (again.error == Log::PublishError::kNone || again.error == Log::PublishError::kFenced) {
        if (again.error == Log::PublishError::kNone) {
          spdlog::info("jetstream store: stream sequence {} {}", again.seq,
                       again.duplicate ? "was stored by the first publish" : "stored on retry");
        }
        return again;
      }
      // Not connected (reconnecting to another server) or still no answer: wait a little when
      // the publish returned at once, so that the client can reconnect.
      if (again.error == Log::PublishError::kNotSent) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
      p.detail = again.detail;
    }
    return p;
  }

  // Keeps a part JetStream acknowledged at `seq`, dropping the oldest past
  // options_.retained_bytes. Writer thread only.
  void Retain(std::uint64_t seq, std::string part) {
    if (options_.retained_bytes == 0) return;
    retained_bytes_ += part.size();
    retained_.push_back(Retained{seq, std::move(part)});
    while (retained_.size() > 1 && retained_bytes_ > options_.retained_bytes) {
      retained_bytes_ -= retained_.front().part.size();
      retained_.pop_front();
    }
  }

  // Called when the stream does not end at last_seq_ as expected. If it ends before it, the
  // server has lost parts it acknowledged to this writer (nats-server 2.9.10 was seen to, when
  // its stream leader was killed: docs/scaleout.md): they are published again, in order, with
  // their sequences and Nats-Msg-Ids, from the retained parts. True when the stream ends at
  // last_seq_ again. False with `why` empty when the stream has moved on past it (another
  // writer: fenced) or cannot be asked; false with `why` set when parts were lost that this
  // writer can no longer publish again. Writer thread only.
  bool RestoreLost(std::string* why) {
    auto state = log_->GetState();
    if (!state.ok()) return false;
    const std::uint64_t stream_last = state.value().last_seq;
    if (stream_last >= last_seq_) return false;
    const std::uint64_t lost = last_seq_ - stream_last;
    const std::string what = "the stream " + options_.stream + " ends at sequence " +
                             std::to_string(stream_last) + ", but JetStream acknowledged this " +
                             "node's entries up to " + std::to_string(last_seq_) +
                             ": the server lost " + std::to_string(lost) + " acknowledged parts";
    if (retained_.empty() || retained_.front().seq > stream_last + 1 ||
        retained_.back().seq != last_seq_) {
      *why = what + ", not all of which this node keeps to publish again " +
             "(storage.jetstream.retained_bytes: the newest " +
             std::to_string(options_.retained_bytes) + " bytes); the messages of those " +
             "sequences are missing from the stream";
      return false;
    }
    spdlog::critical("jetstream store: {}; publishing them again", what);
    for (const Retained& r : retained_) {
      if (r.seq <= stream_last) continue;
      Log::Published p = PublishPart(r.part, r.seq - 1);
      if (p.error != Log::PublishError::kNone || p.seq != r.seq) {
        *why = what + "; publishing sequence " + std::to_string(r.seq) + " again failed (" +
               (p.error == Log::PublishError::kNone ? "stored as " + std::to_string(p.seq)
                                                    : p.detail) +
               ")";
        return false;
      }
    }
    // A server that lost the parts but still remembers their Nats-Msg-Ids answers the copies
    // as duplicates (naming the old sequences) without storing them: check the stream's end.
    auto again = log_->GetState();
    if (!again.ok() || again.value().last_seq != last_seq_) {
      *why = what + "; publishing them again did not bring the stream back to sequence " +
             std::to_string(last_seq_) +
             (again.ok() ? " (it ends at " + std::to_string(again.value().last_seq) +
                               ": JetStream took the copies for duplicates of what it lost)"
                         : " (" + again.status().help() + ")");
      return false;
    }
    spdlog::warn("jetstream store: the {} lost parts (sequences {} to {}) are in the stream again",
                 lost, stream_last + 1, last_seq_);
    if (options_.on_restored) options_.on_restored(lost);
    return true;
  }

  // One round: the calls as one entry, published, then applied. Writer thread only.
  void Round(const std::vector<Call*>& calls) {
    {
      std::lock_guard lock(mu_);
      if (!fatal_.empty()) {
        FailAll(calls, dip::Status::Io("jetstream: this node no longer writes (" + fatal_ + ")"));
        return;
      }
    }
    if (uncertain_) {
      // The last publish got no answer: it may have landed. Go on only if it did not.
      auto state = log_->GetState();
      if (!state.ok()) {
        FailAll(calls, dip::Status::Io("jetstream: the stream cannot be reached, nothing was "
                                       "stored: " +
                                       state.status().help()));
        return;
      }
      bool restored = false;
      if (state.value().last_seq < last_seq_) {
        // Acknowledged parts are missing (the server lost them): the timed-out publish, which
        // expected the stream to end at last_seq_, cannot have landed.
        std::string lost;
        restored = RestoreLost(&lost);
        if (!restored && !lost.empty()) {
          FailAll(calls, dip::Status::Io("jetstream: nothing was stored: " + lost));
          Fatal(lost);
          return;
        }
      }
      if (!restored && state.value().last_seq != last_seq_) {
        const std::string reason =
            "the stream's last sequence is " + std::to_string(state.value().last_seq) +
            ", not this node's " + std::to_string(last_seq_) +
            " (a publish that timed out was stored after all, or another node wrote): " +
            "restart to replay the stream";
        FailAll(calls, dip::Status::Io("jetstream: " + reason));
        Fatal(reason);
        return;
      }
      uncertain_ = false;
    }
    EntryBuilder builder;
    for (Call* c : calls) c->encode(&builder);
    const std::string entry = builder.Finish();
    // Room for the headers JetStream publishes with (expected stream and sequence).
    const std::size_t max_payload = std::max<std::size_t>(log_->max_payload(), 4096) - 512;
    std::vector<std::string> parts = jetstream::SplitIntoParts(entry, max_payload);
    std::uint64_t first_seq = 0;
    const auto started = std::chrono::steady_clock::now();
    int restores = 0;  // a server that keeps losing parts is not chased for ever
    for (std::size_t i = 0; i < parts.size(); ++i) {
      Log::Published p = PublishPart(parts[i], last_seq_);
      if (p.error == Log::PublishError::kFenced) {
        std::string lost;
        if (restores < 3 && RestoreLost(&lost)) {
          ++restores;
          --i;  // the stream ends at last_seq_ again: this part once more
          continue;
        }
        const std::string reason =
            !lost.empty() ? lost
                          : "fenced: the stream " + options_.stream + " has entries after " +
                                "sequence " + std::to_string(last_seq_) +
                                " that this node did not write (" + p.detail + ")";
        FailAll(calls, dip::Status::Io("jetstream: nothing was stored: " + reason));
        Fatal(reason);
        return;
      }
      if (p.error == Log::PublishError::kNotSent) {
        FailAll(calls, dip::Status::Io("jetstream: nothing was stored: " + p.detail));
        return;
      }
      if (p.error == Log::PublishError::kUncertain) {
        uncertain_ = true;
        FailAll(calls,
                dip::Status::Io("jetstream: no PubAck, publishing again for 30 s or twice "
                                "storage.jetstream.ack_timeout_ms (" +
                                std::to_string(options_.ack_timeout_ms) + " ms): " + p.detail +
                                "; the messages may or may not be stored (a resent copy that was "
                                "stored is refused with MSG1006)"));
        return;
      }
      if (first_seq == 0) first_seq = p.seq;
      last_seq_ = p.seq;
      Retain(p.seq, std::move(parts[i]));
    }
    if (options_.on_publish) {
      options_.on_publish(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    Marker marker{options_.stream, first_seq, last_seq_, 0};
    for (std::size_t i = 0; i < calls.size(); ++i) {
      marker.index = static_cast<std::uint32_t>(i);
      view_->SetWriteMarker(std::string(kMarkerKey), EncodeMarker(marker));
      dip::Result<std::uint64_t> r = calls[i]->apply(view_.get());
      if (!r.ok()) {
        const std::string reason = "the log entry at stream sequence " + std::to_string(last_seq_) +
                                   " is stored but the local view " +
                                   "could not apply it: " + r.status().help();
        for (std::size_t j = i; j < calls.size(); ++j) {
          calls[j]->status = dip::Status::Io("jetstream: " + reason);
        }
        Fatal(reason);
        return;
      }
      calls[i]->count = r.value();
    }
  }

  std::unique_ptr<RocksView> view_;
  std::unique_ptr<Log> log_;
  const JetStreamOptions options_;
  const std::string dir_;
  const std::uint64_t min_free_bytes_;

  std::mutex mu_;
  std::condition_variable cv_;       // queue_ or stopping_ changed
  std::condition_variable done_cv_;  // a round finished
  std::deque<Call*> queue_;          // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  std::string fatal_;                // guarded by mu_; set once
  bool fatal_told_ = false;          // guarded by mu_: on_fatal was called
  // Writer thread only:
  std::uint64_t last_seq_ = 0;  // the stream's last sequence as this node knows it
  std::uint64_t replayed_ = 0;  // entries the last Replay() applied
  bool uncertain_ = false;      // the last publish got no answer
  // The newest parts this writer published, each with the sequence JetStream acknowledged it
  // at (consecutive: fencing lets no other writer in between), up to options_.retained_bytes.
  struct Retained {
    std::uint64_t seq;
    std::string part;
  };
  std::deque<Retained> retained_;
  std::size_t retained_bytes_ = 0;
  // Nats-Msg-Id prefix of this writer's publishes (random per open): with the expected last
  // sequence it names one publish of one writer.
  const std::string writer_id_ = RandomWriterId();
  std::thread writer_;

  std::mutex expire_mu_;
  std::chrono::steady_clock::time_point last_expire_;  // guarded by expire_mu_
  bool expire_backlog_ = false;                        // guarded by expire_mu_
};

dip::Status JetStreamStore::Replay(bool follow_only) {
  const auto level = follow_only ? spdlog::level::debug : spdlog::level::info;
  auto raw = view_->GetMeta(kMarkerKey);
  if (!raw.ok()) return raw.status();
  std::optional<Marker> marker;
  if (!raw.value().empty()) {
    marker = DecodeMarker(raw.value());
    if (!marker) {
      return dip::Status::Config("data dir " + dir_ + ": its jetstream log position is corrupt; " +
                                 "empty the data dir to rebuild it from the stream");
    }
    if (marker->stream != options_.stream) {
      return dip::Status::Config("data dir " + dir_ + " is the view of stream " + marker->stream +
                                 ", not of storage.jetstream.stream " + options_.stream +
                                 ": point storage.data_dir at an empty directory");
    }
  } else {
    auto tag = view_->GetMeta("instance_tag");
    if (!tag.ok()) return tag.status();
    if (view_->LastSeq() > 0 || !tag.value().empty()) {
      return dip::Status::Config(
          "data dir " + dir_ + " holds a store written with storage.engine rocksdb; the " +
          "jetstream engine rebuilds its data dir from the stream: point storage.data_dir at " +
          "an empty directory");
    }
  }
  auto state = log_->GetState();
  if (!state.ok()) return state.status();
  const Log::State& st = state.value();
  const std::uint64_t applied = marker ? marker->last_seq : 0;
  const std::uint64_t from = marker ? marker->first_seq : 1;
  if (st.last_seq < applied) {
    return dip::Status::Config(
        "stream " + options_.stream + " ends at sequence " + std::to_string(st.last_seq) +
        " but data dir " + dir_ + " has applied it up to " + std::to_string(applied) +
        ": the stream was deleted or recreated; empty the data dir to rebuild it from the stream");
  }
  if (st.last_seq > applied && (st.messages == 0 || st.first_seq > from)) {
    return dip::Status::Config(
        "stream " + options_.stream + " starts at sequence " + std::to_string(st.first_seq) +
        " but data dir " + dir_ + " needs its entries from " + std::to_string(from) +
        " (they aged out, storage.jetstream.max_age_seconds, or were purged): seed the data "
        "dir with a copy of another node's (stopped) data dir");
  }
  const auto started = std::chrono::steady_clock::now();
  auto last_log = started;
  std::uint64_t entries = 0, mutations = 0;
  jetstream::PartAssembler assembler;
  if (st.messages > 0 && st.last_seq >= from) {
    spdlog::log(level, "jetstream: replaying stream {} from sequence {} to {}", options_.stream,
                from, st.last_seq);
    dip::Status read = log_->Read(
        from, st.last_seq, [&](std::uint64_t seq, std::string_view payload) -> dip::Status {
          auto complete = assembler.Add(seq, payload);
          if (!complete.ok()) return complete.status();
          if (!complete.value()) return dip::Status::Ok();
          const jetstream::PartAssembler::Entry& e = *complete.value();
          auto decoded = jetstream::DecodeEntry(e.bytes);
          if (!decoded.ok()) {
            return dip::Status::Io("stream " + options_.stream + " sequence " +
                                   std::to_string(e.last_seq) + ": " + decoded.status().help());
          }
          Marker m{options_.stream, e.first_seq, e.last_seq, 0};
          for (std::size_t i = 0; i < decoded.value().size(); ++i) {
            if (marker && (e.last_seq < marker->last_seq ||
                           (e.last_seq == marker->last_seq && i <= marker->index))) {
              continue;  // applied before
            }
            m.index = static_cast<std::uint32_t>(i);
            view_->SetWriteMarker(std::string(kMarkerKey), EncodeMarker(m));
            auto r = jetstream::ApplyMutation(decoded.value()[i], view_.get());
            if (!r.ok()) {
              return dip::Status::Io("applying stream " + options_.stream + " sequence " +
                                     std::to_string(e.last_seq) + ": " + r.status().help());
            }
            ++mutations;
          }
          ++entries;
          const auto now = std::chrono::steady_clock::now();
          if (now - last_log > std::chrono::seconds(5)) {
            last_log = now;
            spdlog::log(level, "jetstream: replayed sequence {} of {} ({} entries so far)", seq,
                        st.last_seq, entries);
          }
          return dip::Status::Ok();
        });
    if (!read.ok()) return read;
    if (assembler.dropped_parts() > 0) {
      spdlog::warn("jetstream: {} parts of entries cut short by a writer that stopped were skipped",
                   assembler.dropped_parts());
    }
    spdlog::log(level,
                "jetstream: replayed {} entries ({} mutations) in {:.1f} s; last sequence {}",
                entries, mutations,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                st.last_seq);
  }
  replayed_ = entries;
  if (follow_only) return dip::Status::Ok();
  if (options_.on_replayed) options_.on_replayed(entries);
  last_seq_ = st.last_seq;
  writer_ = std::thread([this] { Run(); });
  return dip::Status::Ok();
}

}  // namespace

namespace {

// The store on the view in `dir` and the stream, not yet opened (checked and replayed).
dip::Result<std::unique_ptr<JetStreamStore>> MakeJetStreamStore(const std::string& dir,
                                                                const StoreOptions& store_options,
                                                                const JetStreamOptions& options) {
  StoreOptions view_options = store_options;
  view_options.fsync = false;  // the stream's quorum is what is durable
  // The view is rebuilt from the stream: the messages stay in its records (no second log).
  view_options.message_log = false;
  // The reserve is checked before an Append is published (CheckFreeSpace): the view must not
  // refuse an entry that is already in the stream.
  view_options.min_free_bytes = 0;
  auto view = OpenRocksView(dir, view_options);
  if (!view.ok()) return view.status();
  auto log = jetstream::Log::Open(options);
  if (!log.ok()) return log.status();
  return std::make_unique<JetStreamStore>(std::move(view).value(), std::move(log).value(), options,
                                          dir, store_options.min_free_bytes);
}

}  // namespace

dip::Result<std::unique_ptr<Store>> OpenJetStreamStore(const std::string& dir,
                                                       const StoreOptions& store_options,
                                                       const JetStreamOptions& options) {
  auto store = MakeJetStreamStore(dir, store_options, options);
  if (!store.ok()) return store.status();
  if (dip::Status s = store.value()->Open(); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store).value());
}

struct JetStreamViewFollower::Open {
  std::unique_ptr<JetStreamStore> store;
};

JetStreamViewFollower::JetStreamViewFollower(std::string dir, StoreOptions store_options,
                                             JetStreamOptions options)
    : dir_(std::move(dir)),
      store_options_(std::move(store_options)),
      options_(std::move(options)) {}

JetStreamViewFollower::~JetStreamViewFollower() { Close(); }

dip::Result<std::uint64_t> JetStreamViewFollower::CatchUp() {
  if (open_ == nullptr) {
    auto store = MakeJetStreamStore(dir_, store_options_, options_);
    if (!store.ok()) return store.status();
    open_ = std::make_unique<Open>(Open{std::move(store).value()});
    ++opens_;
  }
  auto applied = open_->store->CatchUp();
  if (!applied.ok()) Close();
  return applied;
}

void JetStreamViewFollower::Close() { open_.reset(); }

}  // namespace diphub::storage
