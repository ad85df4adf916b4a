#include "broker/delivery_queries.h"

#include <simdjson.h>

#include <random>
#include <set>

#include "dip/catalogue.h"
#include "dip/codes.h"
#include "dip/dip_time.h"
#include "dip/egress.h"
#include "dip/json_writer.h"
#include "dip/text.h"

namespace diphub::broker {
namespace {

dip::Status Bad(std::string help) { return dip::Status::Config(std::move(help)); }

std::string IsoMs(std::int64_t ms) {
  return dip::FormatDipTimestamp(dip::Clock::time_point(std::chrono::milliseconds(ms)));
}

// The seq in a transaction ID issued by this hub: its last 12 hex digits.
std::optional<std::uint64_t> SeqOfTransaction(std::string_view tx) {
  if (tx.size() < 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : tx.substr(tx.size() - 12)) {
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<std::uint64_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return v;
}

std::uint64_t QueryHash(std::string_view recipient, const ReplayQuery& q) {
  std::string text = std::string(recipient) + "|" + q.interface_id + "|" +
                     std::to_string(q.from_ms.value_or(-1)) + "|" +
                     std::to_string(q.to_ms.value_or(-1)) + "|" + q.event_code.value_or("") + "|" +
                     q.mpan.value_or("");
  for (const std::string& t : q.transaction_ids) text += "|" + t;
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A UUID-shaped continuation token: the query's hash and the last seq returned.
std::string MakeToken(std::uint64_t hash, std::uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hash >> 32),
                static_cast<unsigned>((hash >> 16) & 0xffff), static_cast<unsigned>(hash & 0xffff),
                static_cast<unsigned>((seq >> 48) & 0xffff),
                static_cast<unsigned long long>(seq & 0xffffffffffffull));
  return buf;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseToken(std::string_view t) {
  if (t.size() != 36) return std::nullopt;
  std::string hex;
  for (char c : t) {
    if (c != '-') hex.push_back(c);
  }
  if (hex.size() != 32) return std::nullopt;
  try {
    std::uint64_t hash = std::stoull(hex.substr(0, 16), nullptr, 16);
    std::uint64_t seq = std::stoull(hex.substr(16), nullptr, 16);
    return std::make_pair(hash, seq);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool Matches(const storage::MessageRecord& m, const ReplayQuery& q) {
  if (m.interface_id != q.interface_id) return false;
  if (q.from_ms && m.accepted_unix_ms < *q.from_ms) return false;
  if (q.to_ms && m.accepted_unix_ms > *q.to_ms) return false;
  if (q.event_code && m.event_code != *q.event_code) return false;
  if (q.mpan && m.mpan != q.mpan) return false;
  if (!q.transaction_ids.empty()) {
    bool found = false;
    for (const std::string& t : q.transaction_ids) found = found || t == m.transaction_id;
    if (!found) return false;
  }
  return true;
}

}  // namespace

dip::Result<ReplayQuery> ParseMessageRequest(std::string_view body, std::string interface_id) {
  ReplayQuery q;
  q.interface_id = std::move(interface_id);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(body.data(), body.size()).get(doc)) {
    return Bad(std::string("body: malformed JSON (") + simdjson::error_message(e) + ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return Bad("body: expected a MessageRequest object");
  // Each field at most once: repeated transactionIDs arrays would otherwise add up past 100.
  std::set<std::string> seen;
  for (auto field : obj) {
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    for (const char* name : {"datetimeFrom", "datetimeTo", "eventCode", "MPAN", "transactionIDs"}) {
      if (dip::EqualsIgnoreCase(key, name) && !seen.insert(name).second) {
        return Bad(std::string("body.") + name + ": given more than once");
      }
    }
    auto str = [&](const char* name) -> dip::Result<std::optional<std::string>> {
      if (value.is_null()) return std::optional<std::string>();
      std::string_view s;
      if (value.get_string().get(s)) {
        return Bad(std::string("body.") + name + ": expected a string or null");
      }
      return std::optional<std::string>(std::string(s));
    };
    if (dip::EqualsIgnoreCase(key, "datetimeFrom") || dip::EqualsIgnoreCase(key, "datetimeTo")) {
      bool from = dip::EqualsIgnoreCase(key, "datetimeFrom");
      auto v = str(from ? "datetimeFrom" : "datetimeTo");
      if (!v.ok()) return v.status();
      if (!v.value()) continue;
      std::int64_t ms = dip::ParseDipTimestampMs(*v.value());
      if (ms < 0) {
        return Bad(std::string("body.") + (from ? "datetimeFrom" : "datetimeTo") +
                   ": expected YYYY-MM-DDThh:mm:ss\u00b1hh:mm, got \"" + *v.value() + "\"");
      }
      (from ? q.from_ms : q.to_ms) = ms;
    } else if (dip::EqualsIgnoreCase(key, "eventCode")) {
      auto v = str("eventCode");
      if (!v.ok()) return v.status();
      q.event_code = v.value();
    } else if (dip::EqualsIgnoreCase(key, "MPAN")) {
      auto v = str("MPAN");
      if (!v.ok()) return v.status();
      q.mpan = v.value();
    } else if (dip::EqualsIgnoreCase(key, "transactionIDs")) {
      if (value.is_null()) continue;
      simdjson::dom::array arr;
      if (value.get_array().get(arr)) return Bad("body.transactionIDs: expected an array");
      if (arr.size() < 1 || arr.size() > 100) {
        return Bad("body.transactionIDs: between 1 and 100 IDs (got " + std::to_string(arr.size()) +
                   ")");
      }
      for (auto id : arr) {
        std::string_view s;
        if (id.get_string().get(s)) return Bad("body.transactionIDs: expected strings");
        q.transaction_ids.emplace_back(s);
      }
    }
  }
  if (q.from_ms && q.to_ms && *q.from_ms > *q.to_ms) {
    return Bad("body.datetimeFrom: after datetimeTo");
  }
  return q;
}

DeliveryQueries::DeliveryQueries(storage::Store* store, DeliveryScheduler* scheduler)
    : store_(store), scheduler_(scheduler) {}

dip::Result<std::vector<storage::MessageRecord>> DeliveryQueries::Match(std::string_view recipient,
                                                                        const ReplayQuery& query,
                                                                        std::uint64_t after,
                                                                        std::size_t limit,
                                                                        bool* more) {
  *more = false;
  std::vector<storage::MessageRecord> out;
  if (!query.transaction_ids.empty()) {
    // Transaction IDs name their message directly.
    std::vector<std::uint64_t> seqs;
    for (const std::string& t : query.transaction_ids) {
      if (auto seq = SeqOfTransaction(t); seq && *seq > after) seqs.push_back(*seq);
    }
    std::sort(seqs.begin(), seqs.end());
    seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
    for (std::uint64_t seq : seqs) {
      std::uint64_t one[] = {seq};
      auto m = store_->GetMessages(one);
      if (!m.ok()) continue;  // expired or never existed
      const storage::MessageRecord& r = m.value()[0];
      bool routed = false;
      for (const std::string& to : r.recipients) routed = routed || to == recipient;
      if (routed && Matches(r, query)) out.push_back(r);
    }
    return out;
  }
  std::uint64_t cursor = after;
  const std::int64_t from = query.from_ms.value_or(0);
  const std::int64_t to = query.to_ms.value_or(INT64_MAX);
  while (out.size() < limit) {
    auto seqs = store_->ScanPublished(recipient, query.interface_id, from, to, cursor, limit);
    if (!seqs.ok()) return seqs.status();
    if (seqs.value().empty()) return out;
    auto msgs = store_->GetMessages(seqs.value());
    if (!msgs.ok()) return msgs.status();
    for (storage::MessageRecord& m : msgs.value()) {
      cursor = m.seq;
      if (!Matches(m, query)) continue;
      out.push_back(std::move(m));
      if (out.size() == limit) {
        *more = true;
        return out;
      }
    }
  }
  return out;
}

namespace {

// The transactionID a status record's StandardResponseBodyType names (the original message's).
std::string ReportedTransaction(const storage::MessageRecord& status) {
  simdjson::dom::parser parser;
  std::string_view tx;
  if (parser.parse(status.raw).at_key("transactionID").get_string().get(tx)) return {};
  return std::string(tx);
}

}  // namespace

void DeliveryQueries::WriteStatusStages(dip::JsonWriter& w, std::string_view caller, bool is_sender,
                                        const storage::MessageRecord& status,
                                        const std::vector<storage::JournalRow>& rows) {
  if (!is_sender && status.sender_dip_id != caller) return;  // another recipient's report
  std::string message = dip::CodeMessage(status.event_code);
  for (const storage::JournalRow& row : rows) {
    if (row.stage == storage::JournalRow::Stage::kAddressing) continue;
    const bool outbound = row.stage == storage::JournalRow::Stage::kOutbound;
    w.BeginObject().Key("stage").String(
        storage::JournalStageName(storage::JournalRow::Stage::kStatusMessage));
    w.Key("status").String(row.status).Key("timestamp").String(IsoMs(row.unix_ms));
    w.Key("senderID").String(status.sender_dip_id).Key("message").String(message);
    w.Key("statusTransactionID").String(status.transaction_id);
    if (outbound) {
      w.Key("recipientID").String(row.recipient);
      if (row.http_status != 0) w.Key("httpStatus").Int(row.http_status);
      w.Key("attempt").Int(row.attempt).Key("durationMs").Int(row.duration_ms);
      if (!row.detail.empty()) w.Key("detail").String(row.detail);
    }
    w.EndObject();
  }
  for (const std::string& to : status.recipients) {
    auto pending = store_->GetOutbox(to, status.seq);
    if (!pending.ok() || !pending.value()) continue;
    bool tried = false;
    for (const storage::JournalRow& row : rows) tried = tried || row.recipient == to;
    w.BeginObject().Key("stage").String("StatusMessage").Key("recipientID").String(to);
    w.Key("senderID").String(status.sender_dip_id).Key("message").String(message);
    w.Key("statusTransactionID").String(status.transaction_id);
    w.Key("status").String(IsPaused(to) ? "Paused" : tried ? "Retrying" : "UnknownDeliveryStatus");
    w.Key("pending").Bool(true).EndObject();
  }
}

dip::Result<std::string> DeliveryQueries::Journal(std::string_view caller,
                                                  std::string_view interface_id,
                                                  std::string_view reference) {
  auto journal = store_->Journal(reference);
  if (!journal.ok()) return journal.status();
  // Status records about these messages share their senderUniqueReference (storage/records.h).
  std::vector<storage::MessageRecord> records;
  std::vector<std::string> reported;  // per record: the transaction a status record is about
  for (const auto& entry : journal.value()) {
    std::uint64_t one[] = {entry.first};
    auto m = store_->GetMessages(one);
    if (!m.ok()) {
      records.emplace_back();  // expired meanwhile: skipped below
      reported.emplace_back();
      continue;
    }
    records.push_back(std::move(m.value()[0]));
    reported.push_back(records.back().interface_id == storage::kStatusInterface
                           ? ReportedTransaction(records.back())
                           : std::string());
  }
  dip::JsonWriter w;
  w.BeginObject().Key("senderUniqueReference").String(reference).Key("transactions").BeginArray();
  std::size_t shown = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& rows = journal.value()[i].second;
    const std::uint64_t seq = journal.value()[i].first;
    const storage::MessageRecord& r = records[i];
    if (r.interface_id != interface_id) continue;
    bool is_sender = r.sender_dip_id == caller;
    bool is_recipient = false;
    for (const std::string& to : r.recipients) is_recipient = is_recipient || to == caller;
    if (!is_sender && !is_recipient) continue;
    ++shown;
    w.BeginObject();
    w.Key("transactionID").String(r.transaction_id).Key("interfaceID").String(r.interface_id);
    w.Key("senderID").String(r.sender_dip_id).Key("stages").BeginArray();
    for (const storage::JournalRow& row : rows) {
      if (row.stage == storage::JournalRow::Stage::kOutbound && !is_sender &&
          row.recipient != caller) {
        continue;
      }
      w.BeginObject().Key("stage").String(storage::JournalStageName(row.stage));
      w.Key("status").String(row.status).Key("timestamp").String(IsoMs(row.unix_ms));
      if (!row.recipient.empty()) w.Key("recipientID").String(row.recipient);
      if (row.http_status != 0) w.Key("httpStatus").Int(row.http_status);
      if (row.stage == storage::JournalRow::Stage::kOutbound) {
        w.Key("attempt").Int(row.attempt).Key("durationMs").Int(row.duration_ms);
      }
      if (!row.detail.empty()) w.Key("detail").String(row.detail);
      w.EndObject();
    }
    // Deliveries not finished yet: their current state.
    for (const std::string& to : r.recipients) {
      if (!is_sender && to != caller) continue;
      auto pending = store_->GetOutbox(to, seq);
      if (!pending.ok() || !pending.value()) continue;
      bool tried = false;
      for (const storage::JournalRow& row : rows) tried = tried || row.recipient == to;
      w.BeginObject().Key("stage").String("Outbound").Key("recipientID").String(to);
      w.Key("status").String(IsPaused(to) ? "Paused"
                             : tried      ? "Retrying"
                                          : "UnknownDeliveryStatus");
      w.Key("pending").Bool(true).EndObject();
    }
    // Status messages its recipients sent about it: accepted, then their delivery to it sender.
    for (std::size_t j = 0; j < records.size(); ++j) {
      if (reported[j].empty() || reported[j] != r.transaction_id) continue;
      WriteStatusStages(w, caller, is_sender, records[j], journal.value()[j].second);
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  if (shown == 0) {
    return Bad("not found: no message with senderUniqueReference \"" + std::string(reference) +
               "\" on " + std::string(interface_id) + " that " + std::string(caller) +
               " sent or received");
  }
  return w.Take();
}

dip::Result<ReplayPage> DeliveryQueries::Replay(std::string_view recipient,
                                                const ReplayQuery& query,
                                                std::string_view continuation_token) {
  const std::uint64_t hash = QueryHash(recipient, query);
  std::uint64_t after = 0;
  if (!continuation_token.empty()) {
    auto token = ParseToken(continuation_token);
    if (!token || token->first != hash) {
      return Bad("X-Continuation-Token: not a token this hub issued for this request");
    }
    after = token->second;
  }
  bool more = false;
  auto msgs = Match(recipient, query, after, kPageSize, &more);
  if (!msgs.ok()) return msgs.status();
  ReplayPage page;
  page.body = "[";
  for (const storage::MessageRecord& m : msgs.value()) {
    if (page.messages > 0) page.body.push_back(',');
    dip::Addressing a0{m.primary_recipients, m.secondary_recipients, m.always_recipients};
    dip::DipBlock d0{m.transaction_id,
                     m.transaction_timestamp,
                     dip::PublicationId(m.interface_id),
                     m.correlation_id,
                     true,
                     std::nullopt};
    if (auto s = dip::AppendEgressMessage(m.raw, a0, d0, &page.body); !s.ok()) return s;
    ++page.messages;
  }
  page.body.push_back(']');
  if (more && !msgs.value().empty())
    page.continuation_token = MakeToken(hash, msgs.value().back().seq);
  return page;
}

dip::Result<std::string> DeliveryQueries::Requeue(std::string_view recipient,
                                                  const ReplayQuery& query) {
  bool more = false;
  auto msgs = Match(recipient, query, 0, kMaxRequeue, &more);
  if (!msgs.ok()) return msgs.status();
  std::mt19937_64 rng{std::random_device{}()};
  std::string id = MakeToken(rng(), rng() & 0xffffffffffffull);
  std::vector<storage::OutboxEntry> entries;
  for (const storage::MessageRecord& m : msgs.value()) {
    entries.push_back({std::string(recipient), m.seq, m.interface_id, true, id});
  }
  if (auto s = store_->Requeue(recipient, entries); !s.ok()) return s;
  if (auto s = store_->PutMeta("requeue:" + id,
                               std::string(recipient) + "\n" + std::to_string(entries.size()));
      !s.ok()) {
    return s;
  }
  scheduler_->Reload(recipient);
  dip::JsonWriter w;
  w.BeginObject()
      .Key("requeueId")
      .String(id)
      .Key("totalTransactions")
      .Int(static_cast<long long>(entries.size()));
  w.EndObject();
  return w.Take();
}

dip::Result<std::string> DeliveryQueries::RequeueStatus(std::string_view recipient,
                                                        std::string_view requeue_id) {
  auto meta = store_->GetMeta("requeue:" + std::string(requeue_id));
  if (!meta.ok()) return meta.status();
  std::size_t nl = meta.value().find('\n');
  if (meta.value().empty() || nl == std::string::npos || meta.value().substr(0, nl) != recipient) {
    return Bad("not found: no requeue \"" + std::string(requeue_id) + "\" for " +
               std::string(recipient));
  }
  const std::uint64_t total = std::stoull(meta.value().substr(nl + 1));
  auto counted = store_->CountRequeued(recipient, requeue_id);
  if (!counted.ok()) return counted.status();
  const std::uint64_t remaining = counted.value();
  const std::uint64_t processed = total - std::min(total, remaining);
  dip::JsonWriter w;
  w.BeginObject();
  w.Key("percentComplete").Int(total ? static_cast<long long>(processed * 100 / total) : 100);
  w.Key("totalTransactions").Int(static_cast<long long>(total));
  w.Key("processedTransactions").Int(static_cast<long long>(processed));
  w.Key("status").String(processed == total ? "Completed" : "Processing");
  w.EndObject();
  return w.Take();
}

dip::Result<std::string> DeliveryQueries::DeadLetters(std::string_view recipient) {
  auto dead = store_->DeadLetters(recipient, 10000);
  if (!dead.ok()) return dead.status();
  dip::JsonWriter w;
  w.BeginArray();
  for (const storage::DeliveryOutcome& o : dead.value()) {
    std::uint64_t one[] = {o.seq};
    auto m = store_->GetMessages(one);
    w.BeginObject();
    if (m.ok()) {
      w.Key("transactionID").String(m.value()[0].transaction_id);
      w.Key("senderUniqueReference").String(m.value()[0].sender_unique_reference);
      w.Key("interfaceID").String(m.value()[0].interface_id);
    }
    w.Key("status").String(storage::OutboundStatusName(o.status));
    w.Key("attempts").Int(o.attempts).Key("lastHttpStatus").Int(o.http_status);
    w.Key("timestamp").String(IsoMs(o.unix_ms));
    if (!o.detail.empty()) w.Key("detail").String(o.detail);
    w.EndObject();
  }
  w.EndArray();
  return w.Take();
}

dip::Result<std::uint64_t> DeliveryQueries::ReplayDeadLetters(std::string_view recipient) {
  auto n = store_->ClearDeadLetters(recipient, true);
  if (n.ok() && n.value() > 0) scheduler_->Reload(recipient);
  return n;
}

dip::Result<std::uint64_t> DeliveryQueries::PurgeDeadLetters(std::string_view recipient) {
  return store_->ClearDeadLetters(recipient, false);
}

dip::Status DeliveryQueries::SetPaused(std::string_view recipient, bool paused) {
  std::string list;
  {
    std::lock_guard lock(mu_);
    std::set<std::string, std::less<>> next = paused_;
    if (paused) {
      next.emplace(recipient);
    } else {
      next.erase(std::string(recipient));
    }
    for (const std::string& id : next) list += (list.empty() ? "" : ",") + id;
    // Persist first: a pause acknowledged survives a restart.
    if (auto s = store_->PutMeta("paused", list); !s.ok()) return s;
    paused_ = std::move(next);
  }
  scheduler_->SetPaused(recipient, paused);
  return dip::Status::Ok();
}

bool DeliveryQueries::IsPaused(std::string_view recipient) {
  std::lock_guard lock(mu_);
  return paused_.count(recipient) > 0;
}

dip::Status DeliveryQueries::LoadPaused() {
  auto list = store_->GetMeta("paused");
  if (!list.ok()) return list.status();
  std::lock_guard lock(mu_);
  std::string_view rest = list.value();
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string id(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (id.empty()) continue;
    scheduler_->SetPaused(id, true);
    paused_.insert(std::move(id));
  }
  return dip::Status::Ok();
}

}  // namespace diphub::broker
