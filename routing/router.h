// Pure routing: who receives an accepted message, as the DIP decides it, plus the bilateral
// rules of BP017. No threads, no I/O; the caller (the MPAN's owning shard) passes the state.
//
//   primary    A0.primaryRecipients: registered (MSG1031), in a receiver role (MSG1032)
//   secondary  the parties appointed to M0.MPANCore in the receiver roles on the routing day
//              (MSG1037 MPAN missing or unknown); MDRs only for publications they opted in to
//   always     fixed DIP IDs per interface (MSG1035 when one is not registered)
//   responses  R0.responseCode "R": the primary recipients (the originator) only
//   pairings   IF-061..065 only within a registered SDS-MDR pairing (MSG1030); an MDR sends
//              IF-064/065 only for MPANs it is assigned to (MSG1038)
// docs/routing.md has the full table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dip/envelope.h"
#include "dip/status.h"
#include "routing/appointments.h"
#include "routing/facts.h"
#include "routing/policy.h"
#include "routing/registry.h"

namespace diphub::routing {

struct Recipient {
  enum class Kind { kPrimary, kSecondary, kAlways };
  std::string dip_id;
  Kind kind = Kind::kPrimary;
};

// What routing reads. All pointers must be valid for the call; `appointments` and `parties`
// belong to the shard that owns the message's MPAN.
struct RouteContext {
  const Registry* registry = nullptr;
  const Policy* policy = nullptr;
  const AppointmentMap* appointments = nullptr;
  const PartyTable* parties = nullptr;
  Day today = 0;  // the routing day (the day the hub accepts the message, UTC)
};

struct Route {
  std::vector<Recipient> recipients;  // each once: primaries in the order named, then the rest
  // The message's appointment changes that take effect (a de-appointment only applies to the
  // party that holds the slot). The shard persists them with the message and applies them once
  // the message is durable.
  std::vector<AppointmentChange> changes;
};

// Routes `env`, accepted on canonical interface `interface_id`, whose routing facts are `facts`.
dip::Result<Route> RouteMessage(const dip::Envelope& env, std::string_view interface_id,
                                const RoutingFacts& facts, const RouteContext& ctx);

}  // namespace diphub::routing
