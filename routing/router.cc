#include "routing/router.h"

#include <optional>

#include "dip/catalogue.h"
#include "dip/codes.h"

namespace diphub::routing {
namespace {

using dip::Status;
namespace codes = dip::codes;

bool HasRole(const Participant& p, RoleSet roles) { return (p.role_bit & roles) != 0; }

// The roles that can hold each appointment slot.
RoleSet SlotRoles(Slot slot) {
  static const RoleSet kSlotRoles[kSlotCount] = {
      RoleBit("SUP"), RoleBit("SDS") | RoleBit("ADS") | RoleBit("UMSDS"),
      RoleBit("MSS") | RoleBit("MSA") | RoleBit("UMSO"), RoleBit("MDR")};
  return kSlotRoles[static_cast<std::size_t>(slot)];
}

// Where the message's MPAN came from, for help texts: M0.MPANCore, or M1.principalMPAN for the
// events whose schema has M1 instead of M0 (IF-020; see ingest).
std::string_view MpanField(const dip::Envelope& env) {
  return !env.has_m0 && env.mpan_core.is_string() ? "M1.principalMPAN" : "M0.MPANCore";
}

// The sender's role must be one that sends the interface: the publication table's senders, or a
// role the spec's schema lists for S1.senderRoleID on the interface (the table is at least as
// wide as the schema; v2.1.0's schemas list none, so the table's rows hold for every interface).
// The role is the registered one: ingest has checked S1.senderRoleID against the registry.
Status CheckSenderRole(const dip::Envelope& env, std::string_view interface_id,
                       const PublicationRule& rule) {
  const std::string& role = env.sender_role_id.value;
  if (rule.senders == 0 || (RoleBit(role) & rule.senders) != 0) return Status::Ok();
  for (std::string_view allowed : dip::SchemaSenderRoles(interface_id)) {
    if (allowed == role) return Status::Ok();
  }
  return Status::Dip(codes::kRoleInvalid, "S1.senderRoleID: \"" + env.sender_role_id.value +
                                              "\" may not send " + std::string(interface_id) +
                                              "; it is sent by " + RolesToString(rule.senders));
}

class Builder {
 public:
  explicit Builder(std::string_view sender) : sender_(sender) { out_.reserve(4); }

  void Add(std::string_view id, Recipient::Kind kind) {
    if (kind != Recipient::Kind::kPrimary && id == sender_) return;  // never echo to the sender
    for (const Recipient& r : out_) {
      if (r.dip_id == id) return;
    }
    out_.push_back({std::string(id), kind});
  }
  bool empty() const { return out_.empty(); }
  std::vector<Recipient> Take() { return std::move(out_); }

 private:
  std::string_view sender_;
  std::vector<Recipient> out_;
};

std::string_view Holder(const RouteContext& ctx, const MpanState* state, Slot slot) {
  if (state == nullptr || ctx.parties == nullptr) return {};
  return ctx.parties->Name(state->Holder(slot, ctx.today));
}

// The changes of `facts` that take effect against `state`: a vacancy applies only when the
// party leaving holds the slot's latest appointment.
std::vector<AppointmentChange> EffectiveChanges(const RoutingFacts& facts, const MpanState* state,
                                                const PartyTable* parties) {
  std::vector<AppointmentChange> out;
  for (const AppointmentChange& c : facts.changes) {
    if (c.party.empty()) {
      std::string_view latest;
      for (const AppointmentChange& earlier : out) {
        if (earlier.slot == c.slot) latest = earlier.party;
      }
      if (latest.empty() && state != nullptr && parties != nullptr) {
        latest = parties->Name(state->Latest(c.slot).party);
      }
      if (latest != c.vacated_by) continue;
    }
    out.push_back(c);
  }
  return out;
}

Status CheckPrimaries(const dip::Envelope& env, const PublicationRule& rule,
                      std::string_view publication, const RouteContext& ctx, Builder* b) {
  const Registry& reg = *ctx.registry;
  const Participant* sender = reg.Find(env.sender_dip_id.value);
  for (std::size_t i = 0; i < env.primary_recipients.size(); ++i) {
    const std::string& id = env.primary_recipients[i];
    const std::string where = "A0.primaryRecipients[" + std::to_string(i) + "]: \"" + id + "\" ";
    const Participant* p = reg.Find(id);
    if (p == nullptr) {
      return Status::Dip(codes::kPrimaryRecipientInvalid, where + "is not a registered DIP ID");
    }
    if (rule.receivers != 0 && !HasRole(*p, rule.receivers)) {
      return Status::Dip(codes::kPrimaryRoleInvalid, where + "is registered as " + p->role + "; " +
                                                         std::string(publication) + " goes to " +
                                                         RolesToString(rule.receivers));
    }
    if (rule.paired && sender != nullptr) {
      const bool sds_to_mdr = sender->role == "SDS" && p->role == "MDR";
      const bool mdr_to_sds = sender->role == "MDR" && p->role == "SDS";
      const bool paired = (sds_to_mdr && ctx.policy->Paired(sender->dip_id, id)) ||
                          (mdr_to_sds && ctx.policy->Paired(id, sender->dip_id));
      if (!paired) {
        return Status::Dip(codes::kAddressingError,
                           where + "has no SDS-MDR pairing registered with " + sender->dip_id +
                               " (" + sender->role + "); " + std::string(publication) +
                               " flows only within a registered pairing (BP017)");
      }
    }
    b->Add(id, Recipient::Kind::kPrimary);
  }
  return Status::Ok();
}

// BP017 rules beyond addressing: the MDR an IF-061 assigns must be paired with the SDS; an MDR
// sends consumption and readings only for MPANs it is assigned to.
Status CheckPairingRules(const dip::Envelope& env, std::string_view iface,
                         const RoutingFacts& facts, const MpanState* state,
                         const RouteContext& ctx) {
  const std::string& sender = env.sender_dip_id.value;
  if (iface == "IF-061" && !ctx.policy->Paired(sender, facts.assigned_mdr)) {
    return Status::Dip(codes::kAddressingError,
                       "CustomBlock.B019.assignedMDRDIPID: \"" + facts.assigned_mdr +
                           "\" has no SDS-MDR pairing registered with " + sender);
  }
  if ((iface == "IF-064" || iface == "IF-065") && env.sender_role_id.value == "MDR") {
    PartyId me = ctx.parties != nullptr ? ctx.parties->Find(sender) : 0;
    if (state == nullptr || me == 0 || !state->Holds(Slot::kMdr, me)) {
      return Status::Dip(codes::kNoSecondaryParty,
                         "M0.MPANCore: MDR " + sender + " is not assigned to MPAN " +
                             (env.mpan_core.is_string() ? env.mpan_core.value : "(none)") +
                             " (an IF-061 B019, PUB-035 or PUB-036 assigns it)");
    }
  }
  return Status::Ok();
}

// The slot a party registered in `role` can hold, or nullopt (REGS, LDSO and the central
// services hold none).
std::optional<Slot> SlotOfRole(RoleSet role) {
  for (std::size_t i = 0; i < kSlotCount; ++i) {
    if ((SlotRoles(static_cast<Slot>(i)) & role) != 0) return static_cast<Slot>(i);
  }
  return std::nullopt;
}

// routing.appoint_unknown_mpans (a test harness option): an MPAN the hub knows nothing of is
// appointed, from the routing day, to the parties the message names in a role that holds a
// slot: the sender, then each registered primary recipient (the first for each slot).
std::vector<AppointmentChange> FirstSightAppointments(const dip::Envelope& env,
                                                      const RouteContext& ctx) {
  std::vector<AppointmentChange> out;
  auto appoint = [&](const Participant* p) {
    if (p == nullptr) return;
    std::optional<Slot> slot = SlotOfRole(p->role_bit);
    if (!slot) return;
    for (const AppointmentChange& c : out) {
      if (c.slot == *slot) return;
    }
    out.push_back({*slot, p->dip_id, ctx.today, {}});
  };
  appoint(ctx.registry->Find(env.sender_dip_id.value));
  for (const std::string& id : env.primary_recipients) appoint(ctx.registry->Find(id));
  return out;
}

}  // namespace

dip::Result<Route> RouteMessage(const dip::Envelope& env, std::string_view interface_id,
                                const RoutingFacts& facts, const RouteContext& ctx) {
  static const RoleSet kMdrBit = RoleBit("MDR");
  const PublicationRule rule = ctx.policy->RuleFor(interface_id);
  const std::string publication = dip::PublicationId(interface_id);
  const std::string& sender = env.sender_dip_id.value;
  if (Status s = CheckSenderRole(env, interface_id, rule); !s.ok()) return s;

  std::optional<std::uint64_t> mpan;
  if (env.mpan_core.is_string()) mpan = MpanKey(env.mpan_core.value);
  const MpanState* state =
      mpan && ctx.appointments != nullptr ? ctx.appointments->Find(*mpan) : nullptr;

  // The schema makes A0 (and so A0.primaryRecipients) optional. A publication not routed by MPAN
  // goes to the recipients the sender names and to its always recipients; with neither it has
  // nobody to go to.
  if (!rule.by_mpan && env.primary_recipients.empty() &&
      !ctx.policy->always.contains(interface_id)) {
    return Status::Dip(codes::kAddressingError,
                       std::string("A0.primaryRecipients: ") +
                           (env.primary_recipients_present ? "empty" : "not given") + ", and " +
                           publication +
                           " has no always recipients (routing.always) and is not routed by MPAN: "
                           "it has no recipient");
  }
  Builder b(sender);
  if (Status s = CheckPrimaries(env, rule, publication, ctx, &b); !s.ok()) return s;
  if (rule.paired) {
    if (Status s = CheckPairingRules(env, interface_id, facts, state, ctx); !s.ok()) return s;
  }

  Route route;
  if (env.response_code.is_string() && env.response_code.value == "R") {
    // A rejection goes back only to the originator, whom the responder names.
    if (b.empty()) {
      return Status::Dip(codes::kAddressingError,
                         "A0.primaryRecipients: a rejection (R0.responseCode \"R\") goes only to "
                         "the originator of the request; name it");
    }
    route.recipients = b.Take();
    return route;
  }

  route.changes = EffectiveChanges(facts, state, ctx.parties);
  if (rule.by_mpan) {
    if (!mpan) {
      return Status::Dip(codes::kMpanMissing,
                         std::string(MpanField(env)) + ": " +
                             (env.mpan_core.is_string() ? "not 13 digits" : "required") + "; " +
                             publication + "'s secondary recipients are resolved from it");
    }
    if (state == nullptr && route.changes.empty() && ctx.policy->appoint_unknown_mpans) {
      route.changes = FirstSightAppointments(env, ctx);
    }
    if (state == nullptr && route.changes.empty()) {
      return Status::Dip(codes::kMpanMissing,
                         std::string(MpanField(env)) + ": MPAN " + env.mpan_core.value +
                             " has no appointments known to the hub; " + publication +
                             "'s secondary recipients cannot be resolved");
    }
    // A party found in an appointment slot must be registered in a role that can hold the
    // slot; one registered in another role (an import or an appointment that named the wrong
    // DIP ID, or a registry change since) is refused as the DIP's MSG1034. An unregistered one
    // is no recipient.
    Status role_error = Status::Ok();
    auto consider = [&](std::string_view id, Slot slot, std::string_view source) {
      if (id.empty() || !role_error.ok()) return;
      const Participant* p = ctx.registry->Find(id);
      if (p == nullptr) return;
      if (!HasRole(*p, SlotRoles(slot))) {
        role_error = Status::Dip(codes::kSecondaryRoleInvalid,
                                 std::string(source) + ": \"" + std::string(id) + "\" holds the " +
                                     std::string(SlotName(slot)) + " appointment of MPAN " +
                                     env.mpan_core.value + " but is registered as " + p->role +
                                     ", a role that cannot hold it (" +
                                     RolesToString(SlotRoles(slot)) + "); " + publication +
                                     "'s secondary recipients are that slot's holders");
        return;
      }
      if (!HasRole(*p, rule.receivers)) return;
      if (rule.mdr_opt_in && p->role_bit == kMdrBit && !ctx.policy->OptedIn(id, publication)) {
        return;
      }
      b.Add(id, Recipient::Kind::kSecondary);
    };
    for (std::size_t i = 0; i < kSlotCount; ++i) {
      const Slot slot = static_cast<Slot>(i);
      if ((SlotRoles(slot) & rule.receivers) == 0) continue;  // no holder of it can receive
      // The message's own changes for the routing day come first: an appointment effective
      // today routes to the newcomer.
      std::optional<std::string_view> holder;
      for (const AppointmentChange& c : route.changes) {
        if (c.slot == slot && c.from <= ctx.today) holder = c.party;
      }
      if (holder) {
        consider(*holder, slot, "CustomBlock (this message's appointment)");
      } else {
        consider(Holder(ctx, state, slot), slot, "the hub's appointments");
      }
    }
    for (const AppointmentChange& c : route.changes) {
      if ((SlotRoles(c.slot) & rule.receivers) == 0) continue;
      consider(c.party.empty() ? std::string_view(c.vacated_by) : std::string_view(c.party), c.slot,
               "CustomBlock (this message's appointment)");
    }
    if (!role_error.ok()) return role_error;
    static const RoleSet kLdsoBit = RoleBit("LDSO");
    if ((rule.receivers & kLdsoBit) != 0 && env.distributor_dip_id.is_string()) {
      const Participant* ldso = ctx.registry->Find(env.distributor_dip_id.value);
      if (ldso != nullptr && ldso->role == "LDSO") b.Add(ldso->dip_id, Recipient::Kind::kSecondary);
    }
  }

  if (auto it = ctx.policy->always.find(interface_id); it != ctx.policy->always.end()) {
    for (const std::string& id : it->second) {
      const Participant* p = ctx.registry->Find(id);
      if (p == nullptr) {
        return Status::Dip(codes::kAlwaysRecipientInvalid,
                           "routing.always." + std::string(interface_id) + ": \"" + id +
                               "\" is not a registered DIP ID");
      }
      if (rule.receivers != 0 && !HasRole(*p, rule.receivers)) {
        return Status::Dip(codes::kAlwaysRoleInvalid,
                           "routing.always." + std::string(interface_id) + ": \"" + id +
                               "\" is registered as " + p->role + "; " + publication + " goes to " +
                               RolesToString(rule.receivers));
      }
      b.Add(id, Recipient::Kind::kAlways);
    }
  }

  if (b.empty()) {
    return Status::Dip(codes::kNoSecondaryParty,
                       std::string(MpanField(env)) + ": no registered party in a receiving role (" +
                           RolesToString(rule.receivers) + ") is appointed to MPAN " +
                           env.mpan_core.value + ", and no primary or always recipient is named");
  }
  route.recipients = b.Take();
  return route;
}

}  // namespace diphub::routing
