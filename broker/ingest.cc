#include "broker/ingest.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>

#include "dip/catalogue.h"
#include "dip/codes.h"
#include "dip/envelope.h"
#include "dip/json_writer.h"
#include "dip/l1.h"
#include "dip/standard_response.h"
#include "routing/facts.h"
#include "routing/router.h"

namespace diphub::broker {
namespace {

using dip::codes::kConnectionProviderInvalid;
using dip::codes::kInterfaceInvalid;
using dip::codes::kProcessingFailed;
using dip::codes::kRoleInvalid;
using dip::codes::kSenderInvalid;
using Kind = SubmitResponse::Kind;

dip::ResponseItem ItemFor(const HubSettings& s, const dip::Envelope* env, std::string_view code,
                          std::optional<std::string> help, dip::Clock::time_point now) {
  dip::ResponseItem it;
  it.sent_timestamp = dip::FormatDipTimestamp(now);
  it.sender_id = s.dip_id;
  it.message = dip::CodeMessage(code);
  it.help = std::move(help);
  if (env != nullptr) {
    it.sender_unique_reference = env->sender_unique_reference.opt();
    it.correlation_id = env->sender_correlation_id.opt();
    it.recipient_id = env->sender_dip_id.opt();
    it.connection_provider_id = env->connection_provider_id.opt();
  }
  return it;
}

SubmitResponse Whole(const HubSettings& s, Kind kind, std::string_view code, std::string help) {
  auto now = dip::Clock::now();
  std::string reason = dip::CodeMessage(code) + ": " + help;
  return {kind, dip::RenderStandardResponse({ItemFor(s, nullptr, code, std::move(help), now)}, now),
          std::move(reason)};
}

// The registry rules of level 1: who may send, as whom, in which role.
dip::Status CheckSender(const dip::Envelope& env, const routing::Registry& reg,
                        const routing::Participant* caller) {
  const routing::Participant* sender = reg.Find(env.sender_dip_id.value);
  if (sender == nullptr) {
    return dip::Status::Dip(kSenderInvalid, "S1.senderDIPID: \"" + env.sender_dip_id.value +
                                                "\" is not a registered DIP ID");
  }
  if (sender->role != env.sender_role_id.value) {
    return dip::Status::Dip(kRoleInvalid, "S1.senderRoleID: " + sender->dip_id +
                                              " is registered as " + sender->role + ", got \"" +
                                              env.sender_role_id.value + "\"");
  }
  const routing::Participant* provider = nullptr;
  if (env.connection_provider_id.is_string()) {
    provider = reg.Find(env.connection_provider_id.value);
    if (provider == nullptr) {
      return dip::Status::Dip(kConnectionProviderInvalid, "S1.DIPConnectionProviderID: \"" +
                                                              env.connection_provider_id.value +
                                                              "\" is not a registered DIP ID");
    }
  }
  // Naming oneself as the connection provider counts only when registered as the sender's.
  if (caller != nullptr && caller != sender &&
      (caller != provider || sender->connection_provider != caller->dip_id)) {
    return dip::Status::Dip(kSenderInvalid, "S1.senderDIPID: \"" + sender->dip_id +
                                                "\" is not the participant of this X-API-Key (" +
                                                caller->dip_id +
                                                "), and that participant is not its registered "
                                                "connection provider named as "
                                                "S1.DIPConnectionProviderID");
  }
  return dip::Status::Ok();
}

// A message the spec gives M1 (principal MPAN) instead of M0 (IF-020) is routed, sharded and
// stored by its principal MPAN: the envelope's MPAN is taken from M1.principalMPAN. Level 1 has
// passed, so M1 and its 13-digit MPAN are there.
void UsePrincipalMpan(std::string_view iface, dip::Envelope* env) {
  const dip::generated::EventRow* event = dip::FindEvent(iface, env->event_code.value);
  if (event == nullptr || (event->required_blocks & dip::generated::kM1) == 0) return;
  if (std::optional<std::string> mpan = routing::PrincipalMpan(env->raw)) {
    env->mpan_core.state = dip::StrField::State::kString;
    env->mpan_core.value = std::move(*mpan);
  }
}

// The routing key of a message: its MPAN core, or its sender for messages without one.
std::string_view ShardKey(const dip::Envelope& env) {
  if (env.mpan_core.is_string() && !env.mpan_core.value.empty()) return env.mpan_core.value;
  return env.sender_dip_id.value;
}

// What routing would do with a message /validate passed: its refusal, or the recipients a send
// would reach and the appointments it would make. Only the primary recipients, whom the sender
// named, are named; secondary and always recipients are counted, so that /validate does not
// disclose who is appointed to an MPAN (GET /mpan/{core} shows that only to appointed parties).
std::string RoutingFinding(const dip::Status& routed, const routing::Route& route) {
  if (!routed.ok()) return routed.ToString();
  std::string out = dip::CodeMessage(dip::codes::kSuccess) + ": a send would reach";
  std::size_t secondary = 0, always = 0;
  const char* sep = " ";
  for (const routing::Recipient& r : route.recipients) {
    if (r.kind == routing::Recipient::Kind::kPrimary) {
      out += sep + r.dip_id + " (primary)";
      sep = ", ";
    }
    secondary += r.kind == routing::Recipient::Kind::kSecondary ? 1 : 0;
    always += r.kind == routing::Recipient::Kind::kAlways ? 1 : 0;
  }
  if (secondary > 0) {
    out += sep + std::to_string(secondary) + " secondary recipient(s)";
    sep = ", ";
  }
  if (always > 0) out += sep + std::to_string(always) + " always recipient(s)";
  for (const routing::AppointmentChange& c : route.changes) {
    out += std::string("; would appoint ") + std::string(routing::SlotName(c.slot)) + " " +
           (c.party.empty() ? "nobody" : c.party) + " from " + routing::DateFromDay(c.from);
  }
  return out;
}

}  // namespace

// One send on its way through the shards.
struct Ingest::Job : std::enable_shared_from_this<Ingest::Job> {
  SubmitRequest request;  // owns the body the parsed envelopes point into
  std::string iface;
  Checked checked;
  std::atomic<std::size_t> remaining{0};  // shards still routing
  std::atomic<bool> overloaded{false};    // a routing queue refused its task
  std::function<void(Job&)> finish;
};

Ingest::Ingest(const HubSettings* settings, RegistryFn registry, RoutingShards* shards,
               storage::GroupCommitter* committer, Probe* probe, SlaTracker* sla,
               CommittedFn on_committed)
    : settings_(settings),
      registry_(std::move(registry)),
      shards_(shards),
      committer_(committer),
      probe_(probe),
      sla_(sla),
      on_committed_(std::move(on_committed)) {}

std::optional<SubmitResponse> Ingest::Check(const SubmitRequest& request, std::string_view iface,
                                            Checked* out) {
  const HubSettings& s = *settings_;
  std::shared_ptr<const routing::Registry> reg = registry_();
  out->registry = reg;
  const routing::Participant* caller = nullptr;
  if (request.authenticated) {
    caller = reg->Find(*request.authenticated);
    if (caller == nullptr) {
      return std::optional<SubmitResponse>(
          Whole(s, Kind::kUnauthorized, kSenderInvalid,
                "transport identity " + *request.authenticated + " is no longer registered"));
    }
  } else if (s.require_api_key) {
    caller = request.api_key ? reg->FindByApiKey(*request.api_key) : nullptr;
    if (caller == nullptr) {
      spdlog::info("refused send on {}: {}", iface,
                   request.api_key ? "unknown X-API-Key" : "no X-API-Key");
      return std::optional<SubmitResponse>(
          Whole(s, Kind::kUnauthorized, kSenderInvalid,
                request.api_key ? "X-API-Key: not the key of any registered participant"
                                : "X-API-Key: header required"));
    }
  }

  // One walk per message: structure, envelope and schema (each item's status is its level-1
  // verdict short of the registry rules below).
  const dip::L1Options l1{iface, s.environment_tag};
  out->parsed = dip::ParseMessageArray(request.body, &out->scratch, &l1);
  dip::ParsedArray& parsed = out->parsed;
  if (parsed.status.ok() && request.signer) {
    // The signature is the sender's (or its connection provider's) own.
    for (const dip::ParsedItem& item : parsed.items) {
      const dip::Envelope& env = item.envelope;
      const routing::Participant* sender = reg->Find(env.sender_dip_id.value);
      bool own = env.sender_dip_id.value == *request.signer ||
                 (env.connection_provider_id.is_string() &&
                  env.connection_provider_id.value == *request.signer && sender != nullptr &&
                  sender->connection_provider == *request.signer);
      if (!own && env.sender_dip_id.is_string()) {
        spdlog::info("refused send on {}: signed by {}, sent as {}", iface, *request.signer,
                     env.sender_dip_id.value);
        return std::optional<SubmitResponse>(
            Whole(s, Kind::kForbidden, "RCP9999",
                  "X-DIP-Signature-Certificate: registered to " + *request.signer +
                      ", which is neither S1.senderDIPID (" + env.sender_dip_id.value +
                      ") nor its registered connection provider"));
      }
    }
  }
  if (!parsed.status.ok()) {
    probe_->Rejected(iface, "", "", parsed.status.code(), 1);
    spdlog::info("rejected {} on {}: {}", parsed.status.code(), iface, parsed.status.help());
    return std::optional<SubmitResponse>(
        Whole(s, Kind::kRejected, parsed.status.code(), parsed.status.help()));
  }

  std::vector<dip::Status>& verdicts = out->verdicts;
  verdicts.resize(parsed.items.size());
  out->routes.resize(parsed.items.size());
  std::size_t& failures = out->failures;
  for (std::size_t i = 0; i < parsed.items.size(); ++i) {
    dip::ParsedItem& item = parsed.items[i];
    dip::Status v = item.status;
    if (v.ok()) v = CheckSender(item.envelope, *reg, caller);
    if (v.ok() && !item.envelope.has_m0) UsePrincipalMpan(iface, &item.envelope);
    if (!v.ok()) ++failures;
    verdicts[i] = std::move(v);
  }

  return std::nullopt;
}

void Ingest::RouteAll(const std::shared_ptr<Job>& job) {
  const dip::ParsedArray& parsed = job->checked.parsed;
  std::vector<std::vector<std::size_t>> by_shard(shards_->size());
  for (std::size_t i = 0; i < parsed.items.size(); ++i) {
    if (!job->checked.verdicts[i].ok()) continue;
    by_shard[shards_->ShardOf(ShardKey(parsed.items[i].envelope))].push_back(i);
  }
  std::size_t tasks = 0;
  for (const auto& items : by_shard) tasks += items.empty() ? 0 : 1;
  if (tasks == 0) {
    job->finish(*job);
    return;
  }
  job->remaining = tasks;
  for (std::size_t s = 0; s < by_shard.size(); ++s) {
    if (by_shard[s].empty()) continue;
    auto task = [job, items = std::move(by_shard[s])](ShardState& st) {
      Checked& c = job->checked;
      const routing::RouteContext ctx{c.registry.get(), st.policy.get(), &st.appointments,
                                      &st.parties, routing::DayOf(dip::Clock::now())};
      // Prefetch the messages' appointment entries first, so their memory reads overlap.
      if (items.size() > 1) {
        std::vector<std::uint64_t> keys;
        keys.reserve(items.size());
        for (std::size_t i : items) {
          const dip::StrField& mpan = c.parsed.items[i].envelope.mpan_core;
          if (auto key = mpan.is_string() ? routing::MpanKey(mpan.value) : std::nullopt) {
            keys.push_back(*key);
            st.appointments.Prefetch(*key);
          }
        }
        for (std::uint64_t key : keys) st.appointments.PrefetchState(key);
      }
      for (std::size_t i : items) {
        const dip::Envelope& env = c.parsed.items[i].envelope;
        dip::Result<routing::RoutingFacts> facts =
            routing::ExtractFacts(env.raw, job->iface, env.event_code.value);
        if (!facts.ok()) {
          c.verdicts[i] = facts.status();
          continue;
        }
        dip::Result<routing::Route> r = routing::RouteMessage(env, job->iface, facts.value(), ctx);
        if (r.ok()) {
          c.routes[i] = std::move(r).value();
        } else {
          c.verdicts[i] = r.status();
        }
      }
      if (job->remaining.fetch_sub(1) == 1) job->finish(*job);
    };
    if (!shards_->Post(s, std::move(task))) {
      job->overloaded = true;
      if (job->remaining.fetch_sub(1) == 1) job->finish(*job);
    }
  }
}

SubmitResponse Ingest::Validate(const SubmitRequest& request, std::string_view event) {
  const HubSettings& s = *settings_;
  auto answer = [](Kind kind, std::string text) {
    std::string json;
    dip::AppendJsonString(json, text);
    return SubmitResponse{kind, std::move(json), {}};
  };
  std::optional<std::string_view> iface = dip::CanonicalInterface(request.channel);
  if (!iface) {
    return answer(Kind::kRejected, dip::CodeMessage(kInterfaceInvalid) + ": URL: \"" +
                                       request.channel + "\" is not a DIP interface");
  }
  Checked checked;
  if (auto refused = Check(request, *iface, &checked)) {
    // The refusal's kind, and its code and help as the string /validate answers with.
    return answer(refused->kind, refused->reason);
  }
  if (checked.parsed.items.size() != 1) {
    return answer(Kind::kRejected, dip::CodeMessage(dip::codes::kSchemaFailure) +
                                       ": body: /validate takes an array of exactly one message");
  }
  std::string wanted(event);
  if (!wanted.starts_with("[")) wanted = "[" + wanted + "]";
  const dip::Envelope& env = checked.parsed.items[0].envelope;
  if (checked.verdicts[0].ok() && env.event_code.value != wanted) {
    return answer(Kind::kRejected, dip::CodeMessage(dip::codes::kSchemaFailure) +
                                       ": S0.eventCode: \"" + env.event_code.value +
                                       "\" differs from the URL's " + wanted);
  }
  if (!checked.verdicts[0].ok()) return answer(Kind::kRejected, checked.verdicts[0].ToString());

  // Routing state does not change the verdict: ask the owning shard what a send would get, and
  // report it beside the verdict.
  auto job = std::make_shared<Job>();
  job->iface = std::string(*iface);
  job->checked = std::move(checked);
  std::promise<void> routed;
  std::future<void> routed_future = routed.get_future();
  job->finish = [&routed](Job&) { routed.set_value(); };
  // `request.body` outlives the job's routing: Validate waits for it below.
  RouteAll(job);
  routed_future.wait();
  if (job->overloaded) {
    return answer(Kind::kOverloaded, dip::CodeMessage(kProcessingFailed) +
                                         ": the hub's routing queue is full; retry shortly");
  }
  (void)s;
  SubmitResponse ok = answer(Kind::kAccepted, dip::CodeMessage(dip::codes::kSuccess));
  ok.routing = RoutingFinding(job->checked.verdicts[0], job->checked.routes[0]);
  return ok;
}

void Ingest::Submit(SubmitRequest request, std::function<void(SubmitResponse)> done) {
  const HubSettings& s = *settings_;
  std::optional<std::string_view> iface = dip::CanonicalInterface(request.channel);
  if (!iface) {
    probe_->Rejected(request.channel, "", "", kInterfaceInvalid, 1);
    spdlog::info("rejected {} on {}: URL is not a DIP interface", kInterfaceInvalid,
                 request.channel);
    done(Whole(s, Kind::kRejected, kInterfaceInvalid,
               "URL: \"" + request.channel + "\" is not a DIP interface (IF-0xx or REP-0xx)"));
    return;
  }
  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->iface = std::string(*iface);
  if (auto refused = Check(job->request, *iface, &job->checked)) {
    done(std::move(*refused));
    return;
  }
  if (job->checked.failures > 0) {  // level 1 failed: no need to route
    Finish(*job, std::move(done));
    return;
  }
  auto shared_done = std::make_shared<std::function<void(SubmitResponse)>>(std::move(done));
  job->finish = [this, shared_done](Job& j) { Finish(j, std::move(*shared_done)); };
  RouteAll(job);
}

// The answer to an array refused as a whole. Each message gets its item while the array is small
// (at most kMaxReportedItems); a larger one lists its first kMaxReportedItems failures and adds
// one item for all the rest, so neither the response nor the log grows with the array: the
// request is logged once, with its first failure.
std::string Ingest::RenderRejection(Job& job, std::size_t failures) {
  const HubSettings& s = *settings_;
  const std::string_view iface = job.iface;
  dip::ParsedArray& parsed = job.checked.parsed;
  std::vector<dip::Status>& verdicts = job.checked.verdicts;
  const std::size_t total = verdicts.size() + parsed.unexamined;
  const bool each = total <= kMaxReportedItems;
  const auto now = dip::Clock::now();
  std::vector<dip::ResponseItem> items;
  std::size_t first = verdicts.size();
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    const dip::Envelope& env = parsed.items[i].envelope;
    if (!verdicts[i].ok() && first == verdicts.size()) first = i;
    if (verdicts[i].ok()) {
      if (!each) continue;
      verdicts[i] = dip::Status::Dip(kProcessingFailed,
                                     "not stored: the array is accepted or rejected as a whole "
                                     "and another message in it failed");
    } else if (!each && items.size() == kMaxReportedItems) {
      continue;
    }
    probe_->Rejected(iface, env.event_code.value, env.sender_role_id.value, verdicts[i].code(), 1);
    items.push_back(ItemFor(s, &env, verdicts[i].code(), verdicts[i].help(), now));
  }
  const dip::Status& why = verdicts[first];
  const dip::Envelope& env = parsed.items[first].envelope;
  if (!each) {
    const std::size_t rest = total - items.size();
    probe_->Rejected(iface, "", "", why.code(), rest);
    std::string help = "not stored: " + std::to_string(rest) + " more of the array's " +
                       std::to_string(total) + " messages; " + std::to_string(failures) + " failed";
    if (parsed.unexamined > 0) {
      help += ", and the " + std::to_string(parsed.unexamined) + " after the " +
              std::to_string(dip::kMaxItemFailures) + "th failure were not examined";
    }
    help += "; the array is accepted or rejected as a whole and its response lists at most " +
            std::to_string(kMaxReportedItems) + " failures";
    items.push_back(ItemFor(s, nullptr, why.code(), std::move(help), now));
  }
  // One line per request: its size, its failures and the first of them, never a body.
  spdlog::info("rejected array of {} messages on {}: {} failed{}; first [{}] {} from {} ref {}: {}",
               total, iface, failures,
               parsed.unexamined ? ", " + std::to_string(parsed.unexamined) + " not examined" : "",
               first, why.code(), env.sender_dip_id.is_string() ? env.sender_dip_id.value : "-",
               env.sender_unique_reference.is_string() ? env.sender_unique_reference.value : "-",
               why.help());
  return dip::RenderStandardResponse(items, now);
}

void Ingest::Finish(Job& job, std::function<void(SubmitResponse)> done) {
  const HubSettings& s = *settings_;
  const std::string_view iface = job.iface;
  Checked& checked = job.checked;
  if (job.overloaded) {
    probe_->Overloaded();
    done(Whole(s, Kind::kOverloaded, kProcessingFailed,
               "the hub's routing queue is full (" + std::to_string(checked.parsed.items.size()) +
                   " messages not accepted); retry after a short delay"));
    return;
  }
  dip::ParsedArray& parsed = checked.parsed;
  std::vector<dip::Status>& verdicts = checked.verdicts;
  std::vector<routing::Route>& routes = checked.routes;
  std::size_t failures = 0;
  for (const dip::Status& v : verdicts) failures += v.ok() ? 0 : 1;

  if (failures > 0) {
    done({Kind::kRejected, RenderRejection(job, failures), {}});
    return;
  }

  // The envelope's response fields are needed after the commit; keep a copy per message.
  struct Echo {
    std::optional<std::string> correlation, provider;
    const dip::generated::EventRow* event;
  };
  std::vector<Echo> echoes;
  echoes.reserve(parsed.items.size());
  for (const dip::ParsedItem& item : parsed.items) {
    echoes.push_back({item.envelope.sender_correlation_id.opt(),
                      item.envelope.connection_provider_id.opt(),
                      dip::FindEvent(iface, item.envelope.event_code.value)});
  }
  storage::GroupCommitter::Request commit;
  commit.records.reserve(parsed.items.size());
  // The records view their messages where they were parsed (the body or the parser's copy of
  // it): the job stays alive until the records are gone, and each message is copied once, into
  // the store's write. The envelopes' strings are moved into the records: the envelopes are
  // dropped below.
  const std::shared_ptr<const void> owner = job.shared_from_this();
  for (std::size_t i = 0; i < parsed.items.size(); ++i) {
    dip::Envelope& env = parsed.items[i].envelope;
    storage::MessageRecord m;
    m.interface_id = std::string(iface);
    m.sender_dip_id = std::move(env.sender_dip_id.value);
    m.sender_role = std::move(env.sender_role_id.value);
    m.sender_unique_reference = std::move(env.sender_unique_reference.value);
    if (env.sender_correlation_id.is_string()) {
      m.correlation_id = std::move(env.sender_correlation_id.value);
    }
    m.primary_recipients = std::move(env.primary_recipients);
    for (routing::Recipient& r : routes[i].recipients) {
      if (r.kind == routing::Recipient::Kind::kSecondary)
        m.secondary_recipients.push_back(r.dip_id);
      if (r.kind == routing::Recipient::Kind::kAlways) m.always_recipients.push_back(r.dip_id);
      m.recipients.push_back(std::move(r.dip_id));
    }
    if (env.mpan_core.is_string()) {
      if (std::optional<std::uint64_t> key = routing::MpanKey(env.mpan_core.value)) {
        for (const routing::AppointmentChange& c : routes[i].changes) {
          m.appointments.push_back({*key, static_cast<std::uint8_t>(c.slot), c.from, c.party});
        }
      }
      m.mpan = std::move(env.mpan_core.value);
    }
    m.raw_owner = owner;
    m.raw_view = env.raw;
    m.event_code = std::move(env.event_code.value);
    commit.records.push_back(std::move(m));
  }
  // The job now stays alive for its buffers only (the records view them): the rest goes.
  parsed.items = {};
  checked.routes = {};
  checked.verdicts = {};
  const std::size_t count = commit.records.size();
  auto shared_done = std::make_shared<std::function<void(SubmitResponse)>>(std::move(done));
  commit.done = [this, &s, echoes = std::move(echoes), shared_done](
                    const dip::Status& status, std::size_t failed_index,
                    std::vector<storage::MessageRecord>& records) {
    auto now = dip::Clock::now();
    const std::string sent = dip::FormatDipTimestamp(now);
    const std::string success = dip::CodeMessage(dip::codes::kSuccess);
    std::vector<dip::ResponseItem> items;
    items.reserve(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      const storage::MessageRecord& m = records[i];
      dip::ResponseItem it;
      it.sent_timestamp = sent;
      it.sender_id = s.dip_id;
      it.recipient_id = m.sender_dip_id;
      it.sender_unique_reference = m.sender_unique_reference;
      it.correlation_id = echoes[i].correlation;
      it.connection_provider_id = echoes[i].provider;
      if (status.ok()) {
        it.transaction_id = m.transaction_id;
        it.message = success;
      } else if (i == failed_index || status.code() == kProcessingFailed) {
        it.message = dip::CodeMessage(status.code());
        it.help = status.help();
      } else {
        it.message = dip::CodeMessage(kProcessingFailed);
        it.help =
            "not stored: the array is accepted or rejected as a whole and another message "
            "in it failed";
      }
      items.push_back(std::move(it));
    }
    Kind kind = Kind::kAccepted;
    if (!status.ok()) {
      kind = status.code() == kProcessingFailed ? Kind::kFailed : Kind::kRejected;
      // A full disk is temporary: 503, and the sender retries once space returns.
      if (kind == Kind::kFailed && status.help().find("disk full") != std::string::npos) {
        kind = Kind::kUnavailable;
      }
      for (std::size_t i = 0; i < records.size(); ++i) {
        const storage::MessageRecord& m = records[i];
        const std::string code = items[i].message.substr(0, 7);
        probe_->Rejected(m.interface_id, echoes[i].event ? echoes[i].event->event_code : "",
                         m.sender_role, code, 1);
        spdlog::info("rejected {} on {} from {} ref {}: {}", code, m.interface_id, m.sender_dip_id,
                     m.sender_unique_reference, items[i].help.value_or(""));
      }
    } else {
      const auto now_steady = SlaTracker::Clock::now();
      for (std::size_t i = 0; i < records.size(); ++i) {
        const storage::MessageRecord& m = records[i];
        probe_->Accepted(echoes[i].event, m.sender_role, 1);
        if (sla_ != nullptr && m.correlation_id && sla_->Tracks(m.interface_id)) {
          sla_->ResponseReceived(m.interface_id, m.sender_dip_id, *m.correlation_id, now_steady);
        }
      }
      // Committed appointment changes reach their shards before the sender is answered, so
      // the sender's next message is routed with them.
      // One control task per shard for the whole send, not one per message.
      std::vector<std::vector<storage::AppointmentRow>> per_shard;
      for (const storage::MessageRecord& m : records) {
        if (m.appointments.empty()) continue;
        per_shard.resize(shards_->size());
        auto& rows = per_shard[shards_->ShardOf(*m.mpan)];
        rows.insert(rows.end(), m.appointments.begin(), m.appointments.end());
      }
      for (std::size_t shard = 0; shard < per_shard.size(); ++shard) {
        if (per_shard[shard].empty()) continue;
        shards_->Control(shard, [rows = std::move(per_shard[shard])](ShardState& st) {
          for (const storage::AppointmentRow& row : rows) st.Apply(row);
        });
      }
      on_committed_(records);
    }
    (*shared_done)({kind, dip::RenderStandardResponse(items, now), {}});
  };
  if (job.request.received != std::chrono::steady_clock::time_point{}) {
    probe_->StageTime(Stage::kIngest, std::chrono::duration<double>(
                                          std::chrono::steady_clock::now() - job.request.received)
                                          .count());
  }
  if (!committer_->Submit(std::move(commit))) {
    if (!committer_->accepting()) {
      (*shared_done)(Whole(s, Kind::kUnavailable, kProcessingFailed,
                           "the hub is shutting down; nothing was stored; retry later"));
      return;
    }
    probe_->Overloaded();
    (*shared_done)(Whole(s, Kind::kOverloaded, kProcessingFailed,
                         "the hub's commit queue is full (" + std::to_string(count) +
                             " messages not accepted); retry after a short delay"));
  }
}

}  // namespace diphub::broker
