#include "storage/jetstream_entry.h"

#include "storage/codec.h"

namespace diphub::storage::jetstream {
namespace {

constexpr char kEntryMagic[2] = {'D', 'E'};
constexpr char kPartMagic[2] = {'D', 'P'};
constexpr std::uint8_t kMaxKind = static_cast<std::uint8_t>(MutationKind::kPutMeta);

dip::Status Corrupt(const std::string& what) {
  return dip::Status::Io("jetstream log entry is corrupt: " + what);
}

void PutAppointment(std::string* dst, const AppointmentRow& a) {
  PutFixed64BE(dst, a.mpan);
  dst->push_back(static_cast<char>(a.slot));
  PutVarint32(dst, a.from_day);
  PutLengthPrefixed(dst, a.party);
}

bool GetAppointment(std::string_view* in, AppointmentRow* a) {
  std::uint32_t day = 0;
  std::string_view party;
  if (!GetFixed64BE(in, &a->mpan) || in->empty()) return false;
  a->slot = static_cast<std::uint8_t>(in->front());
  in->remove_prefix(1);
  if (!GetVarint32(in, &day) || day > 0xffff || !GetLengthPrefixed(in, &party)) return false;
  a->from_day = static_cast<std::uint16_t>(day);
  a->party.assign(party);
  return true;
}

bool ReadString(std::string_view* in, std::string* out) {
  std::string_view s;
  if (!GetLengthPrefixed(in, &s)) return false;
  out->assign(s);
  return true;
}

// The body of one mutation of kind `m->kind` into `m`.
dip::Status DecodeBody(std::string_view in, Mutation* m) {
  std::uint32_t n = 0;
  std::uint64_t seq = 0;
  std::string_view bytes;
  switch (m->kind) {
    case MutationKind::kAppend:
      if (!GetVarint32(&in, &n)) return Corrupt("append: no record count");
      for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t rows = 0;
        if (!GetFixed64BE(&in, &seq) || !GetLengthPrefixed(&in, &bytes) ||
            !GetVarint32(&in, &rows)) {
          return Corrupt("append: record " + std::to_string(i) + " is truncated");
        }
        auto r = DecodeMessage(seq, bytes);
        if (!r.ok())
          return Corrupt("append: record " + std::to_string(i) + ": " + r.status().help());
        MessageRecord& record = m->records.emplace_back(std::move(r).value());
        for (std::uint32_t j = 0; j < rows; ++j) {
          if (!GetAppointment(&in, &record.appointments.emplace_back())) {
            return Corrupt("append: appointment row of record " + std::to_string(i));
          }
        }
      }
      break;
    case MutationKind::kRecordOutcomes:
      if (!GetVarint32(&in, &n)) return Corrupt("outcomes: no count");
      for (std::uint32_t i = 0; i < n; ++i) {
        std::string_view to;
        if (!GetLengthPrefixed(&in, &to) || !GetFixed64BE(&in, &seq) ||
            !GetLengthPrefixed(&in, &bytes)) {
          return Corrupt("outcomes: outcome " + std::to_string(i) + " is truncated");
        }
        auto o = DecodeOutcome(to, seq, bytes);
        if (!o.ok()) return Corrupt("outcomes: " + o.status().help());
        m->outcomes.push_back(std::move(o).value());
      }
      break;
    case MutationKind::kRequeue:
      if (!ReadString(&in, &m->recipient) || !GetVarint32(&in, &n)) {
        return Corrupt("requeue: truncated");
      }
      for (std::uint32_t i = 0; i < n; ++i) {
        if (!GetFixed64BE(&in, &seq) || !GetLengthPrefixed(&in, &bytes)) {
          return Corrupt("requeue: entry " + std::to_string(i) + " is truncated");
        }
        OutboxEntry& e = m->entries.emplace_back();
        e.recipient = m->recipient;
        e.seq = seq;
        DecodeOutboxValue(bytes, &e);
      }
      break;
    case MutationKind::kClearDeadLetters:
      if (!ReadString(&in, &m->recipient) || in.size() < 1) {
        return Corrupt("clear dead letters: truncated");
      }
      m->requeue = in.front() != 0;
      in.remove_prefix(1);
      break;
    case MutationKind::kExpire:
      if (!GetFixed64BE(&in, &seq) || !GetFixed64BE(&in, &m->max_messages)) {
        return Corrupt("expire: truncated");
      }
      m->cutoff_ms = static_cast<std::int64_t>(seq);
      break;
    case MutationKind::kPutParticipantOverride:
    case MutationKind::kPutMeta:
      if (!ReadString(&in, &m->key) || !ReadString(&in, &m->value)) {
        return Corrupt("key and value: truncated");
      }
      break;
    case MutationKind::kPutAppointments:
      if (!GetVarint32(&in, &n)) return Corrupt("appointments: no count");
      for (std::uint32_t i = 0; i < n; ++i) {
        if (!GetAppointment(&in, &m->rows.emplace_back())) {
          return Corrupt("appointments: row " + std::to_string(i) + " is truncated");
        }
      }
      break;
  }
  if (!in.empty()) {
    return Corrupt("mutation of kind " + std::to_string(static_cast<int>(m->kind)) + " has " +
                   std::to_string(in.size()) + " bytes left over");
  }
  return dip::Status::Ok();
}

}  // namespace

EntryBuilder::EntryBuilder() = default;

void EntryBuilder::Add(MutationKind kind, const std::string& body) {
  body_.push_back(static_cast<char>(kind));
  PutLengthPrefixed(&body_, body);
  ++count_;
}

void EntryBuilder::Append(std::span<const MessageRecord* const> records) {
  scratch_.clear();
  PutVarint32(&scratch_, static_cast<std::uint32_t>(records.size()));
  for (const MessageRecord* r : records) {
    PutFixed64BE(&scratch_, r->seq);
    PutLengthPrefixed(&scratch_, EncodeMessage(*r));
    PutVarint32(&scratch_, static_cast<std::uint32_t>(r->appointments.size()));
    for (const AppointmentRow& a : r->appointments) PutAppointment(&scratch_, a);
  }
  Add(MutationKind::kAppend, scratch_);
}

void EntryBuilder::RecordOutcomes(std::span<const DeliveryOutcome> outcomes) {
  scratch_.clear();
  PutVarint32(&scratch_, static_cast<std::uint32_t>(outcomes.size()));
  for (const DeliveryOutcome& o : outcomes) {
    PutLengthPrefixed(&scratch_, o.recipient);
    PutFixed64BE(&scratch_, o.seq);
    PutLengthPrefixed(&scratch_, EncodeOutcome(o));
  }
  Add(MutationKind::kRecordOutcomes, scratch_);
}

void EntryBuilder::Requeue(std::string_view recipient, std::span<const OutboxEntry> entries) {
  scratch_.clear();
  PutLengthPrefixed(&scratch_, recipient);
  PutVarint32(&scratch_, static_cast<std::uint32_t>(entries.size()));
  for (const OutboxEntry& e : entries) {
    PutFixed64BE(&scratch_, e.seq);
    PutLengthPrefixed(&scratch_, EncodeOutboxValue(e));
  }
  Add(MutationKind::kRequeue, scratch_);
}

void EntryBuilder::ClearDeadLetters(std::string_view recipient, bool requeue) {
  scratch_.clear();
  PutLengthPrefixed(&scratch_, recipient);
  scratch_.push_back(requeue ? '\1' : '\0');
  Add(MutationKind::kClearDeadLetters, scratch_);
}

void EntryBuilder::Expire(std::int64_t cutoff_ms, std::uint64_t max_messages) {
  scratch_.clear();
  PutFixed64BE(&scratch_, static_cast<std::uint64_t>(cutoff_ms));
  PutFixed64BE(&scratch_, max_messages);
  Add(MutationKind::kExpire, scratch_);
}

void EntryBuilder::PutParticipantOverride(std::string_view dip_id, std::string_view text) {
  scratch_.clear();
  PutLengthPrefixed(&scratch_, dip_id);
  PutLengthPrefixed(&scratch_, text);
  Add(MutationKind::kPutParticipantOverride, scratch_);
}

void EntryBuilder::PutAppointments(std::span<const AppointmentRow> rows) {
  scratch_.clear();
  PutVarint32(&scratch_, static_cast<std::uint32_t>(rows.size()));
  for (const AppointmentRow& a : rows) PutAppointment(&scratch_, a);
  Add(MutationKind::kPutAppointments, scratch_);
}

void EntryBuilder::PutMeta(std::string_view key, std::string_view value) {
  scratch_.clear();
  PutLengthPrefixed(&scratch_, key);
  PutLengthPrefixed(&scratch_, value);
  Add(MutationKind::kPutMeta, scratch_);
}

std::string EntryBuilder::Finish() {
  std::string out(kEntryMagic, 2);
  out.push_back(static_cast<char>(kEntryVersion));
  PutVarint32(&out, count_);
  out += body_;
  body_.clear();
  count_ = 0;
  return out;
}

dip::Result<std::vector<Mutation>> DecodeEntry(std::string_view in) {
  if (in.size() < 3 || in[0] != kEntryMagic[0] || in[1] != kEntryMagic[1]) {
    return Corrupt("it does not start with a diphub entry header");
  }
  const auto version = static_cast<std::uint8_t>(in[2]);
  if (version != kEntryVersion) {
    return dip::Status::Io("jetstream log entry of version " + std::to_string(version) +
                           ", which this diphub does not read (it reads version " +
                           std::to_string(kEntryVersion) +
                           "): run a diphub at least as new "
                           "as the one that wrote the stream");
  }
  in.remove_prefix(3);
  std::uint32_t count = 0;
  if (!GetVarint32(&in, &count)) return Corrupt("no mutation count");
  std::vector<Mutation> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (in.empty()) return Corrupt("mutation " + std::to_string(i) + " is missing");
    const auto kind = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    if (kind == 0 || kind > kMaxKind) {
      return dip::Status::Io("jetstream log entry holds a mutation of unknown kind " +
                             std::to_string(kind) + " (written by a newer diphub?)");
    }
    std::string_view body;
    if (!GetLengthPrefixed(&in, &body)) {
      return Corrupt("mutation " + std::to_string(i) + " is truncated");
    }
    Mutation& m = out.emplace_back();
    m.kind = static_cast<MutationKind>(kind);
    if (dip::Status s = DecodeBody(body, &m); !s.ok()) return s;
  }
  if (!in.empty()) return Corrupt(std::to_string(in.size()) + " bytes after the last mutation");
  return out;
}

dip::Result<std::uint64_t> ApplyMutation(const Mutation& m, Store* store) {
  switch (m.kind) {
    case MutationKind::kAppend: {
      std::vector<const MessageRecord*> ptrs;
      ptrs.reserve(m.records.size());
      for (const MessageRecord& r : m.records) ptrs.push_back(&r);
      if (auto s = store->Append(ptrs, Durability::kOsBuffered); !s.ok()) return s;
      return 0;
    }
    case MutationKind::kRecordOutcomes:
      if (auto s = store->RecordOutcomes(m.outcomes); !s.ok()) return s;
      return 0;
    case MutationKind::kRequeue:
      if (auto s = store->Requeue(m.recipient, m.entries); !s.ok()) return s;
      return 0;
    case MutationKind::kClearDeadLetters:
      return store->ClearDeadLetters(m.recipient, m.requeue);
    case MutationKind::kExpire:
      return store->Expire(m.cutoff_ms, m.max_messages);
    case MutationKind::kPutParticipantOverride:
      if (auto s = store->PutParticipantOverride(m.key, m.value); !s.ok()) return s;
      return 0;
    case MutationKind::kPutAppointments:
      if (auto s = store->PutAppointments(m.rows); !s.ok()) return s;
      return 0;
    case MutationKind::kPutMeta:
      if (auto s = store->PutMeta(m.key, m.value); !s.ok()) return s;
      return 0;
  }
  return dip::Status::Io("unknown mutation kind");
}

std::vector<std::string> SplitIntoParts(std::string_view entry, std::size_t max_payload) {
  constexpr std::size_t kHeaderRoom = 16;  // magic, version, two varint32s
  const std::size_t chunk = max_payload - kHeaderRoom;
  const std::size_t count = entry.empty() ? 1 : (entry.size() + chunk - 1) / chunk;
  std::vector<std::string> parts;
  parts.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string& p = parts.emplace_back(kPartMagic, 2);
    p.push_back(static_cast<char>(kEntryVersion));
    PutVarint32(&p, static_cast<std::uint32_t>(i));
    PutVarint32(&p, static_cast<std::uint32_t>(count));
    p.append(entry.substr(i * chunk, chunk));
  }
  return parts;
}

dip::Result<std::optional<PartAssembler::Entry>> PartAssembler::Add(std::uint64_t seq,
                                                                    std::string_view payload) {
  if (payload.size() < 3 || payload[0] != kPartMagic[0] || payload[1] != kPartMagic[1]) {
    return Corrupt("stream message " + std::to_string(seq) + " is not a diphub log part");
  }
  if (static_cast<std::uint8_t>(payload[2]) != kEntryVersion) {
    return dip::Status::Io("stream message " + std::to_string(seq) + " is a log part of version " +
                           std::to_string(static_cast<std::uint8_t>(payload[2])) +
                           ", which this diphub does not read");
  }
  payload.remove_prefix(3);
  std::uint32_t index = 0, count = 0;
  if (!GetVarint32(&payload, &index) || !GetVarint32(&payload, &count) || count == 0 ||
      index >= count) {
    return Corrupt("stream message " + std::to_string(seq) + " has a bad part header");
  }
  if (index == 0) {
    if (next_index_ != 0) dropped_ += next_index_;  // a chain cut short
    open_ = Entry{seq, seq, std::string(payload)};
    count_ = count;
  } else if (next_index_ == index && count == count_) {
    open_.last_seq = seq;
    open_.bytes.append(payload);
  } else {
    // A part whose chain did not start here (cut short, or begun before the replay started).
    dropped_ += 1 + next_index_;
    next_index_ = 0;
    return std::optional<Entry>();
  }
  next_index_ = index + 1;
  if (next_index_ < count_) return std::optional<Entry>();
  next_index_ = 0;
  return std::optional<Entry>(std::move(open_));
}

}  // namespace diphub::storage::jetstream
