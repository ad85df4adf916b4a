// Pure routing: who receives an accepted message. No threads, no I/O.
// Today: the primary recipients the sender named in A0, each a registered participant. The
// secondary (MPAN appointments), always, response and MDR opt-in rules arrive with the routing
// core (see routing/README.md).
#pragma once

#include <string>
#include <vector>

#include "dip/envelope.h"
#include "dip/status.h"
#include "routing/registry.h"

namespace diphub::routing {

struct Recipient {
  enum class Kind { kPrimary, kSecondary, kAlways };
  std::string dip_id;
  Kind kind = Kind::kPrimary;
};

// The recipients of `env`, each once, in the order named; or MSG1030 (nobody to deliver to) /
// MSG1031 (a primary recipient that is not a registered DIP ID).
dip::Result<std::vector<Recipient>> Route(const dip::Envelope& env, const Registry& registry);

}  // namespace diphub::routing
