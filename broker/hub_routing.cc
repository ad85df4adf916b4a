// The hub's routing side: the routing shards and their start-up load, the routing policy with
// its run-time changes, the appointment import and the MPAN query.
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "broker/appointment_import.h"
#include "broker/hub.h"
#include "dip/catalogue.h"
#include "dip/dip_time.h"
#include "dip/json_writer.h"

namespace diphub::broker {
namespace {

// Run-time routing changes, one line each ("<timestamp> <op> <a> <b>"), replayed over the
// configuration at start; GET /admin/routing shows them as the routing journal.
constexpr std::string_view kJournalKey = "routing_journal";

dip::Status ApplyChange(routing::Policy* p, std::string_view line) {
  std::istringstream in{std::string(line)};
  std::string when, op, a, b;
  in >> when >> op >> a >> b;
  if (op == "pair+") {
    p->pairings.emplace(a, b);
  } else if (op == "pair-") {
    p->pairings.erase(std::pair<std::string, std::string>(a, b));
  } else if (op == "optin+") {
    p->opt_in.emplace(a, b);
  } else if (op == "optin-") {
    p->opt_in.erase(std::pair<std::string, std::string>(a, b));
  } else {
    return dip::Status::Io("stored routing journal line is corrupt: \"" + std::string(line) + "\"");
  }
  return dip::Status::Ok();
}

}  // namespace

dip::Status Hub::StartRouting() {
  auto journal = store_->GetMeta(kJournalKey);
  if (!journal.ok()) return journal.status();
  auto policy = std::make_shared<routing::Policy>(config_.routing.policy);
  std::istringstream lines(journal.value());
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (dip::Status s = ApplyChange(policy.get(), line); !s.ok()) return s;
  }
  policy_ = policy;
  routing_ = std::make_unique<RoutingShards>(ShardCount(config_.hub),
                                             config_.routing.queue_capacity, policy_);

  const auto started = std::chrono::steady_clock::now();
  std::uint64_t rows = 0;
  dip::Status scanned = store_->ScanAppointments([&](const storage::AppointmentRow& row) {
    routing_->Load(row);
    if (++rows % 5000000 == 0) spdlog::info("routing: loaded {} appointment rows ...", rows);
    return true;
  });
  if (!scanned.ok()) return scanned;
  if (!config_.routing.appointments_csv.empty()) {
    std::ifstream in(config_.routing.appointments_csv, std::ios::binary);
    if (!in) {
      return dip::Status::Config("routing.appointments_csv: cannot read \"" +
                                 config_.routing.appointments_csv + "\"");
    }
    std::stringstream text;
    text << in.rdbuf();
    auto imported = ImportAppointments(text.str());
    if (!imported.ok()) {
      return dip::Status::Config("routing.appointments_csv \"" + config_.routing.appointments_csv +
                                 "\": " + imported.status().help());
    }
    rows += imported.value();
  }
  routing_->Start();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("routing: {} shards, {} appointment rows, {} MPANs, {:.1f} MiB, loaded in {:.2f} s",
               routing_->size(), rows, routing_->mpans(), routing_->memory_bytes() / 1048576.0,
               seconds);
  return dip::Status::Ok();
}

dip::Status Hub::CommitPolicy(std::shared_ptr<const routing::Policy> next,
                              const std::string& change) {
  auto journal = store_->GetMeta(kJournalKey);
  if (!journal.ok()) return journal.status();
  const std::string line = dip::FormatDipTimestamp(dip::Clock::now()) + " " + change + "\n";
  if (auto s = store_->PutMeta(kJournalKey, journal.value() + line); !s.ok()) return s;
  policy_ = std::move(next);
  routing_->SetPolicy(policy_);
  spdlog::info("routing: {}", change);
  return dip::Status::Ok();
}

dip::Status Hub::SetPairing(std::string_view sds, std::string_view mdr, bool paired) {
  std::lock_guard lock(admin_mu_);
  auto reg = registry();
  const routing::Participant* s = reg->Find(sds);
  const routing::Participant* m = reg->Find(mdr);
  if (paired && (s == nullptr || s->role != "SDS")) {
    return dip::Status::Config("sds: \"" + std::string(sds) + "\" is not a registered SDS");
  }
  if (paired && (m == nullptr || m->role != "MDR")) {
    return dip::Status::Config("mdr: \"" + std::string(mdr) + "\" is not a registered MDR");
  }
  auto next = std::make_shared<routing::Policy>(*policy_);
  const auto key = std::pair<std::string, std::string>(sds, mdr);
  if (paired) {
    next->pairings.insert(key);
  } else if (next->pairings.erase(key) == 0) {
    return dip::Status::Config("no pairing of SDS " + std::string(sds) + " with MDR " +
                               std::string(mdr));
  }
  return CommitPolicy(std::move(next), std::string(paired ? "pair+ " : "pair- ") +
                                           std::string(sds) + " " + std::string(mdr));
}

dip::Status Hub::SetOptIn(std::string_view mdr, std::string_view publication, bool opted_in) {
  std::lock_guard lock(admin_mu_);
  const routing::Participant* m = registry()->Find(mdr);
  if (m == nullptr || m->role != "MDR") {
    return dip::Status::Config("\"" + std::string(mdr) + "\" is not a registered MDR");
  }
  auto iface = dip::ChannelInterface(publication);
  if (!iface) {
    return dip::Status::Config("\"" + std::string(publication) + "\" is not a publication");
  }
  const std::string pub = dip::PublicationId(*iface);
  if (!policy_->RuleFor(*iface).mdr_opt_in) {
    return dip::Status::Config(pub + " is not an MPAN-based update an MDR can opt in to");
  }
  auto next = std::make_shared<routing::Policy>(*policy_);
  if (opted_in) {
    next->opt_in.emplace(std::string(mdr), pub);
  } else {
    next->opt_in.erase(std::pair<std::string, std::string>(mdr, pub));
  }
  return CommitPolicy(std::move(next),
                      std::string(opted_in ? "optin+ " : "optin- ") + std::string(mdr) + " " + pub);
}

std::string Hub::RoutingJson() {
  std::shared_ptr<const routing::Policy> p;
  {
    std::lock_guard lock(admin_mu_);
    p = policy_;
  }
  auto journal = store_->GetMeta(kJournalKey);
  dip::JsonWriter w;
  w.BeginObject();
  w.Key("shards").Int(static_cast<long long>(routing_->size()));
  w.Key("mpans").Int(static_cast<long long>(routing_->mpans()));
  w.Key("pairings").BeginArray();
  for (const auto& [sds, mdr] : p->pairings) {
    w.BeginObject().Key("sds").String(sds).Key("mdr").String(mdr).EndObject();
  }
  w.EndArray();
  w.Key("mdrOptIn").BeginArray();
  for (const auto& [mdr, pub] : p->opt_in) {
    w.BeginObject().Key("mdr").String(mdr).Key("publication").String(pub).EndObject();
  }
  w.EndArray();
  w.Key("always").BeginObject();
  for (const auto& [iface, ids] : p->always) {
    w.Key(iface).BeginArray();
    for (const std::string& id : ids) w.String(id);
    w.EndArray();
  }
  w.EndObject();
  w.Key("publications").BeginArray();
  for (std::size_t i = 0; i < dip::generated::kInterfaceCount; ++i) {
    const std::string_view iface = dip::generated::kInterfaces[i].id;
    const routing::PublicationRule rule = p->RuleFor(iface);
    w.BeginObject()
        .Key("interface")
        .String(iface)
        .Key("senders")
        .String(routing::RolesToString(rule.senders))
        .Key("receivers")
        .String(routing::RolesToString(rule.receivers))
        .Key("byMpan")
        .Bool(rule.by_mpan)
        .Key("mdrOptIn")
        .Bool(rule.mdr_opt_in)
        .Key("paired")
        .Bool(rule.paired)
        .EndObject();
  }
  w.EndArray();
  w.Key("journal").BeginArray();
  std::istringstream lines(journal.ok() ? journal.value() : std::string());
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) w.String(line);
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

dip::Result<std::size_t> Hub::ImportAppointments(std::string_view csv) {
  auto parsed = ParseAppointmentsCsv(csv);
  if (!parsed.ok()) return parsed.status();
  const std::vector<storage::AppointmentRow>& rows = parsed.value();
  constexpr std::size_t kChunk = 100000;
  for (std::size_t at = 0; at < rows.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, rows.size() - at);
    std::span<const storage::AppointmentRow> chunk(rows.data() + at, n);
    if (auto s = store_->PutAppointments(chunk); !s.ok()) return s;
    std::vector<std::vector<storage::AppointmentRow>> per_shard(routing_->size());
    for (const storage::AppointmentRow& row : chunk) {
      per_shard[routing_->ShardOf(routing::MpanCore(row.mpan))].push_back(row);
    }
    for (std::size_t s = 0; s < per_shard.size(); ++s) {
      if (per_shard[s].empty()) continue;
      routing_->Control(s, [batch = std::move(per_shard[s])](ShardState& st) {
        for (const storage::AppointmentRow& row : batch) st.Apply(row);
      });
    }
  }
  spdlog::info("routing: imported {} appointment rows", rows.size());
  return rows.size();
}

void Hub::QueryMpan(std::string_view mpan_core, std::optional<std::string> caller,
                    std::function<void(int, std::string)> done) {
  auto error = [](std::string_view message) {
    dip::JsonWriter w;
    w.BeginObject().Key("error").String(message).EndObject();
    return w.Take();
  };
  std::optional<std::uint64_t> key = routing::MpanKey(mpan_core);
  if (!key) {
    done(400, error("MPANCore: \"" + std::string(mpan_core) + "\" is not 13 digits"));
    return;
  }
  routing_->Control(routing_->ShardOf(mpan_core), [key = *key, caller = std::move(caller),
                                                   done = std::move(done), error](ShardState& st) {
    const routing::MpanState* state = st.appointments.Find(key);
    if (caller) {
      // Only a party appointed to the MPAN (now, pending or just replaced) may see it; an
      // unknown MPAN answers the same, so the query does not reveal which MPANs exist.
      const routing::PartyId me = st.parties.Find(*caller);
      bool appointed = false;
      for (std::size_t i = 0; state != nullptr && me != 0 && i < routing::kSlotCount; ++i) {
        appointed = appointed || state->Holds(static_cast<routing::Slot>(i), me);
      }
      if (!appointed) {
        done(403, error("MPAN " + routing::MpanCore(key) + ": " + *caller +
                        " is not appointed to it; the MPAN query answers only its parties"));
        return;
      }
    } else if (state == nullptr) {
      done(404, error("MPAN " + routing::MpanCore(key) + " has no appointments"));
      return;
    }
    const routing::Day today = routing::DayOf(dip::Clock::now());
    dip::JsonWriter w;
    w.BeginObject().Key("MPANCore").String(routing::MpanCore(key));
    w.Key("date").String(routing::DateFromDay(today));
    w.Key("appointments").BeginArray();
    for (std::size_t i = 0; i < routing::kSlotCount; ++i) {
      const auto slot = static_cast<routing::Slot>(i);
      const routing::PartyId holder = state->Holder(slot, today);
      for (const routing::Appointment& a : {state->Latest(slot), state->Previous(slot)}) {
        if (a.party == 0 && a.from == 0) continue;  // never set
        const char* status = a.from > today                        ? "pending"
                             : (a.party == holder && a.party != 0) ? "current"
                                                                   : "ended";
        if (a.party == 0 && a.from <= today && holder == 0) status = "current";
        w.BeginObject().Key("role").String(routing::SlotName(slot)).Key("DIPID");
        if (a.party == 0) {
          w.Null();
        } else {
          w.String(st.parties.Name(a.party));
        }
        w.Key("effectiveFromDate").String(routing::DateFromDay(a.from));
        w.Key("status").String(status).EndObject();
      }
    }
    w.EndArray().EndObject();
    done(200, w.Take());
  });
}

}  // namespace diphub::broker
