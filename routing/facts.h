// The facts a message carries for routing state: appointment changes read from its CustomBlock
// (PUB-001 supplier, PUB-035 SDS-MDR outcome, PUB-036 appointments, PUB-037 de-appointments,
// IF-061 assigned MDR, IF-063 MDR end date) and the MDR an IF-061 names.
// Thread-safety: pure; safe from any thread (thread-local parser).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"
#include "routing/appointments.h"

namespace diphub::routing {

struct AppointmentChange {
  Slot slot = Slot::kSupplier;
  std::string party;       // the DIP ID appointed; "" = the slot becomes vacant
  Day from = 0;            // effective from this day
  std::string vacated_by;  // for a vacancy: the party leaving; it applies only if that party
                           // holds the slot's latest appointment
};

struct RoutingFacts {
  std::vector<AppointmentChange> changes;
  std::string assigned_mdr;  // IF-061: CustomBlock.B019.assignedMDRDIPID
};

// True when messages of (interface, event) carry routing facts; others need no second parse.
bool CarriesFacts(std::string_view interface_id, std::string_view event_code);

// Reads the facts of one message (`raw_item` as accepted by dip::ParseMessageArray). A block the
// routing needs with a missing or malformed field is MSG1001 naming the field.
dip::Result<RoutingFacts> ExtractFacts(std::string_view raw_item, std::string_view interface_id,
                                       std::string_view event_code);

// CommonBlock.M1.principalMPAN of one message, when it has one. The spec gives IF-020's events an
// M1 block (principal MPAN) where other interfaces have M0; routing takes the MPAN from it
// when M0 is absent.
std::optional<std::string> PrincipalMpan(std::string_view raw_item);

}  // namespace diphub::routing
