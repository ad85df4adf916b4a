// Who may send each interface, who may receive its publication, and how its recipients are
// found: the hub's routing table per interface. The official spec names sender and receiver
// roles only in prose, so this table is kept here, by hand (its sources are named in
// publications.cc), and a deployment can override any row (routing.publications in the
// configuration). docs/routing.md prints it.
// Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dip/status.h"

namespace diphub::routing {

// A set of market roles as bits. Roles outside the known list have no bit; they may send but a
// publication cannot name them as receivers.
using RoleSet = std::uint32_t;

// The bit of one role code ("SUP", "SDS", ...), or 0 when it is not a known role.
RoleSet RoleBit(std::string_view role);
// "SUP SDS ADS UMSDS MDR": role codes, and the groups "DS" (SDS ADS UMSDS) and "MS" (MSS MSA
// UMSO), separated by spaces or commas. Unknown codes are a Config error naming them.
dip::Result<RoleSet> ParseRoles(std::string_view text);
// "SUP, SDS, MDR" (known roles in a fixed order); "-" for the empty set.
std::string RolesToString(RoleSet roles);

struct PublicationRule {
  // Roles that may send the interface; a sender registered in another role is refused
  // (MSG1010). Empty: any role.
  RoleSet senders = 0;
  // Roles that may receive the publication. A primary recipient in another role is refused
  // (MSG1032); secondary recipients are drawn from these roles. Empty: any role, and no
  // secondary recipients.
  RoleSet receivers = 0;
  // Secondary recipients are the parties appointed to M0.MPANCore in the receiver roles.
  bool by_mpan = false;
  // An MDR assigned to the MPAN receives it only when it opted in to this publication.
  bool mdr_opt_in = false;
  // BP017: exchanged only between an SDS and an MDR whose pairing is registered with the hub.
  bool paired = false;
};

// The built-in rule of a canonical interface ("IF-006"); an empty rule (any sender, primary
// recipients only) for an interface the table does not list.
PublicationRule BuiltInRule(std::string_view interface_id);

}  // namespace diphub::routing
