#include "broker/status.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "dip/codes.h"
#include "dip/dip_time.h"
#include "dip/text.h"

namespace diphub::broker {
namespace {

using dip::codes::kAddressingError;
using dip::codes::kConnectionProviderInvalid;
using dip::codes::kProcessingFailed;
using dip::codes::kSchemaFailure;
using dip::codes::kSenderInvalid;
using dip::codes::kTimestampInvalid;
using Kind = SubmitResponse::Kind;

// The fields of StandardResponseBodyType, all required; `nullable` for the DT-...N types.
struct Field {
  std::string_view name;
  bool nullable;
};
constexpr std::array<Field, 10> kFields = {{{"transactionID", true},
                                            {"senderUniqueReference", true},
                                            {"correlationID", true},
                                            {"sentTimestamp", false},
                                            {"senderID", false},
                                            {"recipientID", true},
                                            {"DIPConnectionProviderID", true},
                                            {"message", false},
                                            {"help", true},
                                            {"serviceTicketURL", true}}};

std::string At(std::size_t i, std::string_view field) {
  return "[" + std::to_string(i) + "]." + std::string(field);
}

dip::Status Schema(std::string help) { return dip::Status::Dip(kSchemaFailure, std::move(help)); }

// The code a `message` starts with: "RCP1061" of "RCP1061 - MPAN Invalid or Unknown".
std::string_view CodeOf(std::string_view message) {
  return message.substr(0, message.find_first_of(" -"));
}

dip::Status ParseItem(simdjson::dom::element element, std::size_t i, StatusItem* out) {
  simdjson::dom::object obj;
  if (element.get_object().get(obj)) {
    return Schema("[" + std::to_string(i) + "]: expected a StandardResponseBodyType object");
  }
  std::array<std::optional<std::string>, kFields.size()> values;
  std::array<bool, kFields.size()> seen{};
  for (auto [key, value] : obj) {
    std::size_t f = 0;
    while (f < kFields.size() && kFields[f].name != key) ++f;
    if (f == kFields.size()) {
      return Schema(At(i, key) + ": not a field of StandardResponseBodyType");
    }
    if (seen[f]) return Schema(At(i, key) + ": given twice");
    seen[f] = true;
    std::string_view text;
    if (value.is_null() && kFields[f].nullable) continue;
    if (value.get_string().get(text)) {
      return Schema(At(i, key) +
                    (kFields[f].nullable ? ": expected a string or null" : ": expected a string"));
    }
    if (!dip::IsPrintableAscii(text)) {
      return Schema(At(i, key) + ": must be printable ASCII");
    }
    values[f].emplace(text);
  }
  for (std::size_t f = 0; f < kFields.size(); ++f) {
    if (!seen[f]) return Schema(At(i, kFields[f].name) + ": required");
  }
  dip::ResponseItem& it = out->item;
  it.transaction_id = std::move(values[0]);
  it.sender_unique_reference = std::move(values[1]);
  it.correlation_id = std::move(values[2]);
  it.sent_timestamp = std::move(*values[3]);
  it.sender_id = std::move(*values[4]);
  it.recipient_id = std::move(values[5]);
  it.connection_provider_id = std::move(values[6]);
  it.message = std::move(*values[7]);
  it.help = std::move(values[8]);
  it.service_ticket_url = std::move(values[9]);

  if (!dip::IsDipTimestamp(it.sent_timestamp)) {
    return dip::Status::Dip(kTimestampInvalid, At(i, "sentTimestamp") +
                                                   ": expected YYYY-MM-DDThh:mm:ss±hh:mm, got \"" +
                                                   it.sent_timestamp + "\"");
  }
  if (it.sender_id.empty()) return Schema(At(i, "senderID") + ": must not be empty");
  out->code.assign(CodeOf(it.message));
  if (dip::CodeTitle(out->code).empty()) {
    return Schema(At(i, "message") + ": \"" + out->code +
                  "\" is not a DIP response code (expected e.g. \"RCP1061 - MPAN Invalid or "
                  "Unknown\")");
  }
  bool names_message = (it.transaction_id && !it.transaction_id->empty()) ||
                       (it.sender_unique_reference && !it.sender_unique_reference->empty());
  if (!names_message) {
    return Schema(At(i, "transactionID") +
                  ": required (or senderUniqueReference) to name the message reported on");
  }
  return dip::Status::Ok();
}

SubmitResponse Refuse(const HubSettings& s, Kind kind, std::string_view code, std::string help) {
  auto now = dip::Clock::now();
  dip::ResponseItem it;
  it.sent_timestamp = dip::FormatDipTimestamp(now);
  it.sender_id = s.dip_id;
  it.message = dip::CodeMessage(code);
  std::string reason = it.message + ": " + help;
  it.help = std::move(help);
  return {kind, dip::RenderStandardResponse({it}, now), std::move(reason)};
}

// An answer item per status item: the outcome `message`, echoing what identifies the item.
dip::ResponseItem Echo(const HubSettings& s, const StatusItem& st, dip::Clock::time_point now,
                       std::string message, std::optional<std::string> help) {
  dip::ResponseItem it;
  it.sent_timestamp = dip::FormatDipTimestamp(now);
  it.sender_id = s.dip_id;
  it.sender_unique_reference = st.item.sender_unique_reference;
  it.correlation_id = st.item.correlation_id;
  it.recipient_id = st.item.sender_id;
  it.connection_provider_id = st.item.connection_provider_id;
  it.message = std::move(message);
  it.help = std::move(help);
  return it;
}

}  // namespace

dip::Result<std::vector<StatusItem>> ParseStatusArray(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(body.data(), body.size()).get(doc)) {
    return Schema(std::string("body: malformed JSON (") + simdjson::error_message(e) + ")");
  }
  simdjson::dom::array array;
  if (doc.get_array().get(array)) {
    return Schema("body: expected a StandardResponseArray (a JSON array of status messages)");
  }
  std::vector<StatusItem> out;
  std::size_t i = 0;
  for (simdjson::dom::element element : array) {
    StatusItem item;
    if (dip::Status st = ParseItem(element, i, &item); !st.ok()) return st;
    out.push_back(std::move(item));
    ++i;
  }
  if (out.empty()) return Schema("body: a StandardResponseArray needs at least one item");
  return out;
}

std::optional<std::uint64_t> SeqOfTransactionId(std::string_view transaction_id) {
  constexpr std::size_t kDigits = 12;  // GroupCommitter::NextTransactionId
  if (transaction_id.size() < kDigits + 2 || !transaction_id.starts_with("T-")) return {};
  std::string_view hex = transaction_id.substr(transaction_id.size() - kDigits);
  std::uint64_t seq = 0;
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), seq, 16);
  if (ec != std::errc() || end != hex.data() + hex.size()) return {};
  return seq;
}

StatusIngest::StatusIngest(const HubSettings* settings, RegistryFn registry, storage::Store* store,
                           storage::GroupCommitter* committer, Probe* probe,
                           CommittedFn on_committed)
    : settings_(settings),
      registry_(std::move(registry)),
      store_(store),
      committer_(committer),
      probe_(probe),
      on_committed_(std::move(on_committed)) {}

dip::Result<storage::MessageRecord> StatusIngest::Original(const StatusItem& s, std::size_t i) {
  const dip::ResponseItem& it = s.item;
  std::vector<storage::MessageRecord> candidates;
  if (it.transaction_id && !it.transaction_id->empty()) {
    const std::string& tx = *it.transaction_id;
    std::optional<std::uint64_t> seq = SeqOfTransactionId(tx);
    if (seq) {
      std::uint64_t one[] = {*seq};
      auto found = store_->GetMessages(one);
      if (found.ok()) {
        candidates = std::move(found).value();
      } else if (found.status().help().find("NotFound") == std::string::npos) {
        return dip::Status::Dip(kProcessingFailed, "storage: " + found.status().help());
      }
    }
    std::erase_if(candidates,
                  [&tx](const storage::MessageRecord& m) { return m.transaction_id != tx; });
    if (candidates.empty() || candidates[0].interface_id == storage::kStatusInterface) {
      return dip::Status::Dip(kAddressingError, At(i, "transactionID") + ": no message \"" + tx +
                                                    "\" is held by the hub (unknown or expired)");
    }
  } else {
    const std::string& ref = *it.sender_unique_reference;
    auto journal = store_->Journal(ref);
    if (!journal.ok()) {
      return dip::Status::Dip(kProcessingFailed, "storage: " + journal.status().help());
    }
    std::vector<std::uint64_t> seqs;
    for (const auto& entry : journal.value()) seqs.push_back(entry.first);
    auto found = store_->GetMessages(seqs);
    if (!found.ok())
      return dip::Status::Dip(kProcessingFailed, "storage: " + found.status().help());
    candidates = std::move(found).value();
    std::erase_if(candidates, [&it](const storage::MessageRecord& m) {
      return m.interface_id == storage::kStatusInterface ||
             (it.recipient_id && m.sender_dip_id != *it.recipient_id);
    });
    if (candidates.empty()) {
      return dip::Status::Dip(kAddressingError,
                              At(i, "senderUniqueReference") + ": no message \"" + ref + "\"" +
                                  (it.recipient_id ? " from " + *it.recipient_id : "") +
                                  " is held by the hub (unknown or expired)");
    }
  }
  const std::string& reporter = it.sender_id;
  std::erase_if(candidates, [&reporter](const storage::MessageRecord& m) {
    return std::find(m.recipients.begin(), m.recipients.end(), reporter) == m.recipients.end();
  });
  if (candidates.empty()) {
    return dip::Status::Dip(kSenderInvalid,
                            At(i, "senderID") + ": " + reporter +
                                " was not a recipient of the message reported on, so may not "
                                "send a status message about it");
  }
  if (candidates.size() > 1) {
    return dip::Status::Dip(kAddressingError, At(i, "senderUniqueReference") + ": names " +
                                                  std::to_string(candidates.size()) +
                                                  " messages; give transactionID or recipientID");
  }
  storage::MessageRecord& m = candidates[0];
  if (it.recipient_id && *it.recipient_id != m.sender_dip_id) {
    return dip::Status::Dip(kAddressingError, At(i, "recipientID") + ": " + m.transaction_id +
                                                  " was sent by " + m.sender_dip_id + ", not " +
                                                  *it.recipient_id);
  }
  if (it.sender_unique_reference && *it.sender_unique_reference != m.sender_unique_reference) {
    return dip::Status::Dip(kAddressingError,
                            At(i, "senderUniqueReference") + ": " + m.transaction_id +
                                " has senderUniqueReference \"" + m.sender_unique_reference + "\"");
  }
  return std::move(m);
}

void StatusIngest::Submit(SubmitRequest request, std::function<void(SubmitResponse)> done) {
  const HubSettings& s = *settings_;
  std::shared_ptr<const routing::Registry> reg = registry_();
  const routing::Participant* caller = nullptr;
  if (s.require_api_key) {
    caller = request.api_key ? reg->FindByApiKey(*request.api_key) : nullptr;
    if (caller == nullptr) {
      probe_->StatusMessages(false, kSenderInvalid, 1);
      return done(Refuse(s, Kind::kUnauthorized, kSenderInvalid,
                         request.api_key ? "X-API-Key: not the key of any registered participant"
                                         : "X-API-Key: header required"));
    }
  }
  auto parsed = ParseStatusArray(request.body);
  if (!parsed.ok()) {
    probe_->StatusMessages(false, parsed.status().code(), 1);
    spdlog::info("rejected status message: {}", parsed.status().ToString());
    return done(Refuse(s, Kind::kRejected, parsed.status().code(), parsed.status().help()));
  }
  std::vector<StatusItem>& items = parsed.value();
  const auto now = dip::Clock::now();

  // Every item is checked before any is stored: the array is accepted or rejected as a whole.
  std::vector<storage::MessageRecord> records;
  dip::Status failure;
  std::size_t failed = 0;
  Kind kind = Kind::kRejected;
  for (std::size_t i = 0; i < items.size() && failure.ok(); ++i) {
    dip::ResponseItem& it = items[i].item;
    failed = i;
    const routing::Participant* reporter = reg->Find(it.sender_id);
    if (reporter == nullptr) {
      failure = dip::Status::Dip(kSenderInvalid, At(i, "senderID") + ": \"" + it.sender_id +
                                                     "\" is not a registered DIP ID");
      break;
    }
    const routing::Participant* provider =
        it.connection_provider_id ? reg->Find(*it.connection_provider_id) : nullptr;
    if (it.connection_provider_id && provider == nullptr) {
      failure = dip::Status::Dip(kConnectionProviderInvalid,
                                 At(i, "DIPConnectionProviderID") + ": \"" +
                                     *it.connection_provider_id + "\" is not a registered DIP ID");
      break;
    }
    // Naming oneself as the connection provider counts only when registered as the
    // reporter's: the same rule as for sends (broker/ingest.cc).
    const bool provides = provider != nullptr && reporter->connection_provider == provider->dip_id;
    if (caller != nullptr && caller != reporter && (caller != provider || !provides)) {
      failure = dip::Status::Dip(kSenderInvalid, At(i, "senderID") + ": \"" + it.sender_id +
                                                     "\" is not the participant of this "
                                                     "X-API-Key (" +
                                                     caller->dip_id +
                                                     "), and that participant is not its "
                                                     "registered connection provider named as "
                                                     "DIPConnectionProviderID");
      break;
    }
    if (request.signer && *request.signer != reporter->dip_id &&
        (!provides || *request.signer != provider->dip_id)) {
      probe_->StatusMessages(false, "RCP9999", 1);
      return done(Refuse(s, Kind::kForbidden, "RCP9999",
                         "X-DIP-Signature-Certificate: registered to " + *request.signer +
                             ", which is neither " + At(i, "senderID") + " (" + it.sender_id +
                             ") nor its registered connection provider"));
    }
    auto original = Original(items[i], i);
    if (!original.ok()) {
      failure = original.status();
      if (failure.code() == kProcessingFailed) kind = Kind::kFailed;
      break;
    }
    const storage::MessageRecord& m = original.value();
    // What the original sender receives: the item, with what the reporter left null filled in.
    it.transaction_id = m.transaction_id;
    it.sender_unique_reference = m.sender_unique_reference;
    it.recipient_id = m.sender_dip_id;
    storage::MessageRecord r;
    r.interface_id = storage::kStatusInterface;
    r.event_code = items[i].code;
    r.mpan = m.mpan;
    r.sender_dip_id = reporter->dip_id;
    r.sender_role = reporter->role;
    r.sender_unique_reference = m.sender_unique_reference;
    r.correlation_id = it.correlation_id;
    r.primary_recipients = {m.sender_dip_id};
    r.recipients = {m.sender_dip_id};
    r.raw = dip::RenderResponseItem(it);
    records.push_back(std::move(r));
  }
  if (!failure.ok()) {
    spdlog::info("rejected status message [{}] from {}: {}", failed, items[failed].item.sender_id,
                 failure.ToString());
    std::vector<dip::ResponseItem> answer;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i == failed) {
        answer.push_back(Echo(s, items[i], now, dip::CodeMessage(failure.code()), failure.help()));
      } else {
        answer.push_back(Echo(s, items[i], now, dip::CodeMessage(kProcessingFailed),
                              "not stored: the array is accepted or rejected as a whole and "
                              "another status message in it failed"));
      }
    }
    probe_->StatusMessages(false, failure.code(), items.size());
    return done({kind, dip::RenderStandardResponse(answer, now), failure.ToString()});
  }

  auto shared_done = std::make_shared<std::function<void(SubmitResponse)>>(std::move(done));
  storage::GroupCommitter::Request commit;
  commit.records = std::move(records);
  commit.done = [this, items = std::move(items), shared_done](
                    const dip::Status& status, std::size_t,
                    std::vector<storage::MessageRecord>& stored) {
    const HubSettings& st = *settings_;
    const auto at = dip::Clock::now();
    std::vector<dip::ResponseItem> answer;
    for (std::size_t i = 0; i < stored.size(); ++i) {
      if (status.ok()) {
        dip::ResponseItem it = Echo(st, items[i], at, dip::CodeMessage(dip::codes::kSuccess), {});
        it.transaction_id = stored[i].transaction_id;
        answer.push_back(std::move(it));
        probe_->StatusMessages(true, stored[i].event_code, 1);
      } else {
        answer.push_back(
            Echo(st, items[i], at, dip::CodeMessage(kProcessingFailed), status.help()));
      }
    }
    if (!status.ok()) {
      probe_->StatusMessages(false, kProcessingFailed, stored.size());
      Kind failed_kind =
          status.help().find("disk full") != std::string::npos ? Kind::kUnavailable : Kind::kFailed;
      return (*shared_done)(
          {failed_kind, dip::RenderStandardResponse(answer, at), status.ToString()});
    }
    on_committed_(stored);
    (*shared_done)({Kind::kAccepted, dip::RenderStandardResponse(answer, at), {}});
  };
  const std::size_t count = commit.records.size();
  if (!committer_->Submit(std::move(commit))) {
    if (!committer_->accepting()) {
      return (*shared_done)(Refuse(s, Kind::kUnavailable, kProcessingFailed,
                                   "the hub is shutting down; nothing was stored; retry later"));
    }
    probe_->Overloaded();
    (*shared_done)(Refuse(s, Kind::kOverloaded, kProcessingFailed,
                          "the hub's commit queue is full (" + std::to_string(count) +
                              " status messages not accepted); retry after a short delay"));
  }
}

}  // namespace diphub::broker
