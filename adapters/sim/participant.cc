#include "adapters/sim/participant.h"

#include <algorithm>

namespace diphub::adapters::sim {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The default event of each interface the simulator composes.
std::string DefaultEvent(const std::string& interface_id) {
  static const std::map<std::string, std::string> kEvents{
      {"IF-035", "[SDS-MDROutcome]"}, {"IF-036", "[DSAppActive]"},      {"IF-037", "[DSDeApp]"},
      {"IF-061", "[MDRStart]"},       {"IF-062", "[MDRStartResponse]"}, {"IF-063", "[MDRStop]"},
      {"IF-064", "[MDRConsumption]"}, {"IF-065", "[ReadingRemote]"}};
  auto it = kEvents.find(interface_id);
  return it == kEvents.end() ? "" : it->second;
}

}  // namespace

SimParticipant::SimParticipant(SimParticipantConfig config, std::uint64_t seed, std::string role,
                               std::function<std::string(std::string_view)> mpid_of)
    : config_(std::move(config)),
      role_(std::move(role)),
      mpid_of_(std::move(mpid_of)),
      // Each participant draws from its own sequence, so one's traffic does not shift another's.
      rng_(seed ^ std::hash<std::string>{}(config_.dip_id)) {}

bool SimParticipant::Draw(double rate) {
  if (rate <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

bool SimParticipant::DrawMalformed() { return Draw(config_.malformed_rate); }

bool SimParticipant::InOutage(std::chrono::milliseconds since_start) const {
  for (const Outage& o : config_.outages) {
    if (since_start >= o.after && since_start < o.after + o.duration) return true;
  }
  return false;
}

Outgoing SimParticipant::Base(const std::string& interface_id, const std::string& event,
                              const std::string& mpan, std::vector<std::string> recipients) const {
  Outgoing o;
  o.interface_id = interface_id;
  o.event = event.empty() ? DefaultEvent(interface_id) : event;
  o.sender = config_.dip_id;
  o.sender_role = role_;
  o.mpan = mpan;
  o.primary_recipients = std::move(recipients);
  return o;
}

Outgoing SimParticipant::AnswerMdrStart(const Received& m) {
  Outgoing o = Base("IF-062", "", m.mpan, {m.sender});
  if (!m.distributor.empty()) o.distributor = m.distributor;
  o.correlation_id = m.reference;
  o.custom_block = MdrStartResponseBlock(m.custom_block);
  std::string named = CustomField(m.custom_block, "B019", "assignedMDRDIPID");
  std::string reason;
  if (named != config_.dip_id) {
    reason = "RCP1064 - MDR provided not valid";
  } else if (!config_.mpans.empty() && !Contains(config_.mpans, m.mpan)) {
    reason = "RCP1061 - MPAN Invalid or Unknown";
  } else if (Contains(config_.reject_mpans, m.mpan) || Draw(config_.reject_rate)) {
    reason = config_.reject_code;
  }
  if (reason.empty()) {
    o.response_code = "A";
    o.response_messages = {"RCP0000 - Message Success"};
    collecting_[m.mpan] = m.sender;
  } else {
    o.response_code = "R";
    o.response_messages = {reason};
  }
  return o;
}

std::vector<Outgoing> SimParticipant::OnReceived(const Received& m, dip::Clock::time_point now) {
  std::vector<Outgoing> out;
  const bool reading_request = m.interface_id == "IF-065" &&
                               !HasBlock(m.custom_block, "B076List") &&
                               !HasBlock(m.custom_block, "B065List");
  switch (config_.behaviour) {
    case Behaviour::kMdr:
      if (m.interface_id == "IF-061") out.push_back(AnswerMdrStart(m));
      if (m.interface_id == "IF-063") collecting_.erase(m.mpan);
      break;
    case Behaviour::kSds:
      if (m.interface_id == "IF-062" && m.response_code == "A") collecting_[m.mpan] = m.sender;
      if (m.interface_id == "IF-062" && m.response_code == "R") collecting_.erase(m.mpan);
      break;
    case Behaviour::kRegs:
      break;
  }
  if (reading_request && config_.behaviour != Behaviour::kRegs) {
    Outgoing o = Base("IF-065", m.event, m.mpan, {m.sender});
    if (!m.distributor.empty()) o.distributor = m.distributor;
    o.correlation_id = m.reference;
    o.custom_block = ReadingBlock(m.mpan, dip::FormatDipTimestamp(now));
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<Outgoing> SimParticipant::Consumption(dip::Clock::time_point now) const {
  std::vector<Outgoing> out;
  if (config_.behaviour != Behaviour::kMdr) return out;
  std::string yesterday = DayStart(now - std::chrono::hours(24));
  for (const auto& [mpan, sds] : collecting_) {
    Outgoing o = Base("IF-064", "", mpan, {sds});
    o.custom_block = ConsumptionBlock(yesterday);
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<Outgoing> SimParticipant::Appointments(dip::Clock::time_point now) const {
  std::vector<Outgoing> out;
  if (config_.behaviour != Behaviour::kRegs || config_.appoint_ds.empty()) return out;
  for (const std::string& mpan : config_.mpans) {
    auto o = Compose("IF-036", "", mpan, {}, "", "", now);
    if (o.ok()) out.push_back(std::move(o).value());
  }
  return out;
}

dip::Result<Outgoing> SimParticipant::Compose(const std::string& interface_id,
                                              const std::string& event, const std::string& mpan,
                                              std::vector<std::string> recipients,
                                              const std::string& response_code,
                                              const std::string& custom_block,
                                              dip::Clock::time_point now) const {
  if (DefaultEvent(interface_id).empty()) {
    return dip::Status::Config(
        "the simulator composes IF-035, IF-036, IF-037 and IF-061..IF-065, "
        "not \"" +
        interface_id + "\"");
  }
  Outgoing o = Base(interface_id, event, mpan, std::move(recipients));
  const std::string today = DayStart(now);
  auto party = [this](const std::string& id) { return Party{id, mpid_of_(id)}; };
  // The counterpart named in the blocks: the first recipient, else the configured one.
  std::string other = o.primary_recipients.empty() ? "" : o.primary_recipients.front();
  if (!custom_block.empty()) {
    o.custom_block = custom_block;
  } else if (interface_id == "IF-036") {
    std::string ds = config_.appoint_ds.empty() ? other : config_.appoint_ds;
    o.custom_block = DsAppointmentBlock(party(ds), party(config_.appoint_mdr), today);
  } else if (interface_id == "IF-035") {
    o.custom_block =
        MdrOutcomeBlock(party(config_.appoint_mdr.empty() ? other : config_.appoint_mdr), today);
  } else if (interface_id == "IF-037") {
    o.custom_block =
        DsDeAppointmentBlock(party(config_.appoint_ds.empty() ? other : config_.appoint_ds), today);
  } else if (interface_id == "IF-061") {
    o.custom_block = MdrStartBlock(party(other), today);
  } else if (interface_id == "IF-063") {
    o.custom_block = MdrStopBlock(party(other), today);
  } else if (interface_id == "IF-062") {
    o.custom_block = MdrStartResponseBlock(MdrStartBlock(Self(), today));
  } else if (interface_id == "IF-064") {
    o.custom_block = ConsumptionBlock(DayStart(now - std::chrono::hours(24)));
  }
  // IF-062 requires R0: an acceptance unless the scenario says otherwise.
  const std::string code = response_code.empty() && interface_id == "IF-062" ? "A" : response_code;
  if (!code.empty()) {
    o.response_code = code;
    o.response_messages = {code == "A" ? "RCP0000 - Message Success" : config_.reject_code};
  }
  return o;
}

}  // namespace diphub::adapters::sim
